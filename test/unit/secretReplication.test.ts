import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  type ReplicationStatusType,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RotationError } from '../../function/src/errors.ts';
import { Deadline } from '../../function/src/instances.ts';
import { type RotationEnvironment, runRotationStep } from '../../function/src/rotation.ts';
import { SecretStaging } from '../../function/src/staging.ts';
import { mockSecretsManager, rdsClient, secretsClient, testConfig, testSecret } from './helpers.ts';

// finishSecret's wait for the secret's replica regions with a mocked Secrets Manager: moto
// reports every replica InSync at once (the end-to-end test uses that), so replication in
// progress, a failed region and a region that never syncs can only be played here.
const secretsMock = mockSecretsManager();
const rdsMock = mockClient(RDSClient);

const SECRET_ID = 'app-db-credentials';
const ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET_ID}-AbCdEf`;
const TOKEN = '22222222-0000-0000-0000-00000000000b';
const CURRENT_ID = '11111111-0000-0000-0000-00000000000a';
const VALUE = { username: 'app', password: 'Current#Pass1word!xyz' };

beforeEach(() => {
  rdsMock.reset();
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
  secretsMock.on(UpdateSecretVersionStageCommand).resolves({});
  secretsMock
    .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
    .resolves({ VersionId: CURRENT_ID, SecretString: JSON.stringify(VALUE) });
  secretsMock.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING', VersionId: TOKEN }).resolves({
    VersionId: TOKEN,
    SecretString: JSON.stringify({ ...VALUE, password: 'Pending#Pass2word!xyz' }),
  });
  secretsMock.on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' }).rejects(new Error('none'));
});

function environment(secretReplicationWaitMs = 5000): RotationEnvironment {
  return {
    config: testConfig({ secretReplicationWaitMs }),
    secret: testSecret({ secretId: SECRET_ID }),
    staging: new SecretStaging(secretsClient(), SECRET_ID),
    rds: rdsClient(),
    deadline: Deadline.unlimited(),
  };
}

/** DescribeSecret answers in turn: the first is runRotationStep's, the last repeats. */
function replication(...answers: ReplicationStatusType[][]): void {
  const described = (status: ReplicationStatusType[]): DescribeSecretCommandOutput => ({
    $metadata: {},
    ARN,
    Name: SECRET_ID,
    RotationEnabled: true,
    VersionIdsToStages: { [CURRENT_ID]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    ReplicationStatus: status,
  });
  let mock = secretsMock.on(DescribeSecretCommand);
  for (const answer of answers.slice(0, -1)) mock = mock.resolvesOnce(described(answer));
  mock.resolves(described(answers.at(-1) ?? []));
}

const inSync = (Region: string): ReplicationStatusType => ({ Region, Status: 'InSync' });
const inProgress = (Region: string): ReplicationStatusType => ({ Region, Status: 'InProgress' });

/** What finishSecret did to the labels, in order. */
const labelMoves = () =>
  secretsMock
    .commandCalls(UpdateSecretVersionStageCommand)
    .map(
      (call) =>
        `${call.args[0].input.VersionStage}${call.args[0].input.MoveToVersionId ? ' moved' : ' removed'}`,
    );

describe("finishSecret and the secret's replica regions", () => {
  it('waits for every region to be in sync after moving AWSCURRENT and again after removing AWSPENDING', async () => {
    // prepare
    replication(
      [inSync('eu-west-1'), inSync('ap-south-1')],
      [inProgress('eu-west-1'), inSync('ap-south-1')],
      [inSync('eu-west-1'), inSync('ap-south-1')],
      [inProgress('eu-west-1'), inProgress('ap-south-1')],
      [inSync('eu-west-1'), inSync('ap-south-1')],
    );

    // act
    const result = await runRotationStep(environment(), 'finishSecret', TOKEN);

    // assess
    expect(labelMoves()).toEqual(['AWSCURRENT moved', 'AWSPENDING removed']);
    expect(secretsMock.commandCalls(DescribeSecretCommand)).toHaveLength(5);
    expect(result.message).toMatch(/; 2 replica region\(s\) in sync after \d+ ms$/);
  });

  it('fails at once, the rotation over in the primary region, when a region reports Failed', async () => {
    // prepare
    replication(
      [inSync('eu-west-1')],
      [{ Region: 'eu-west-1', Status: 'Failed', StatusMessage: 'KMS key disabled' }],
    );

    // act
    const error = await runRotationStep(environment(), 'finishSecret', TOKEN).catch(
      (caught: unknown) => caught,
    );

    // assess
    expect(error).toBeInstanceOf(RotationError);
    const message = (error as RotationError).message;
    expect(message).toContain(
      `the rotation is finished in the primary region (version ${TOKEN} is AWSCURRENT`,
    );
    expect(message).toContain('but AWSCURRENT was moved and not every replica region');
    expect(message).toContain('eu-west-1 reports Failed (KMS key disabled)');
    expect(message).toContain(
      `aws secretsmanager describe-secret --secret-id ${ARN} --query ReplicationStatus`,
    );
    expect(message).toContain('start no new rotation until every region reports InSync');
    // AWSPENDING stays for the retried finishSecret, which removes it (the version is AWSCURRENT).
    expect(labelMoves()).toEqual(['AWSCURRENT moved']);
  });

  it('gives up after SECRET_REPLICATION_WAIT_MS when a region stays in progress', async () => {
    // prepare
    replication([inSync('eu-west-1')], [inProgress('eu-west-1')]);

    // act
    const started = Date.now();
    const error = await runRotationStep(environment(600), 'finishSecret', TOKEN).catch(
      (caught: unknown) => caught,
    );
    const took = Date.now() - started;

    // assess
    expect((error as Error).message).toMatch(
      /not every replica region of secret app-db-credentials is in sync \d+ ms later \(SECRET_REPLICATION_WAIT_MS=600\): eu-west-1 reports InProgress/,
    );
    expect(took).toBeGreaterThanOrEqual(600);
    expect(took).toBeLessThan(3000);
  });

  it('does not ask again for a secret without replica regions', async () => {
    // prepare
    replication([]);

    // act
    const result = await runRotationStep(environment(), 'finishSecret', TOKEN);

    // assess
    expect(secretsMock.commandCalls(DescribeSecretCommand)).toHaveLength(1);
    expect(result.message).not.toContain('replica region');
  });
});
