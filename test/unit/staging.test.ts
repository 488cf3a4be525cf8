import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SecretStateError, SecretValueError } from '../../function/src/errors.ts';
import {
  CURRENT,
  PENDING,
  PREVIOUS,
  parseCredentials,
  SecretStaging,
  versionWithStage,
} from '../../function/src/staging.ts';
import { invalidParameter, mockSecretsManager, notFound, secretsClient, throttling } from './helpers.ts';

const SECRET_ID = 'app-db-credentials';
const TOKEN = '11111111-2222-3333-4444-555555555555';
const CURRENT_ID = 'aaaaaaaa-0000-0000-0000-000000000001';
const PASSWORD = 'Zq8!vR#2mK$9pL&4wX*7';

const secretsMock = mockSecretsManager();

/** The SecretValueError parseCredentials throws for `secretString`. */
function parseError(secretString: string | undefined): SecretValueError {
  try {
    parseCredentials(secretString, 'the test version');
  } catch (error) {
    expect(error).toBeInstanceOf(SecretValueError);
    return error as SecretValueError;
  }
  throw new Error('parseCredentials accepted the value');
}

describe('parseCredentials', () => {
  it('returns the credentials keeping every other key verbatim', () => {
    // prepare
    const value = {
      username: 'app',
      password: PASSWORD,
      engine: 'mysql',
      host: 'db',
      port: 3306,
      extra: { a: [1] },
    };

    // act
    const credentials = parseCredentials(JSON.stringify(value), 'the test version');

    // assess
    expect(credentials).toEqual(value);
  });

  it('accepts an empty password string', () => {
    // act
    const credentials = parseCredentials('{"username":"app","password":""}', 'the test version');

    // assess
    expect(credentials).toEqual({ username: 'app', password: '' });
  });

  it.each([
    ['non-JSON text', `password=${PASSWORD}`, 'is not valid JSON'],
    ['truncated JSON', `{"username":"app","password":"${PASSWORD}"`, 'is not valid JSON'],
    ['a JSON array', `["app","${PASSWORD}"]`, 'is not a JSON object'],
    ['a JSON string', `"${PASSWORD}"`, 'is not a JSON object'],
    ['JSON null', 'null', 'is not a JSON object'],
    ['a missing username', `{"password":"${PASSWORD}"}`, 'has no non-empty string "username"'],
    ['an empty username', `{"username":"","password":"${PASSWORD}"}`, 'has no non-empty string "username"'],
    ['a blank username', `{"username":"  ","password":"${PASSWORD}"}`, 'has no non-empty string "username"'],
    ['a numeric username', `{"username":42,"password":"${PASSWORD}"}`, 'has no non-empty string "username"'],
    ['a missing password', '{"username":"app"}', 'has no string "password"'],
    ['a numeric password', '{"username":"app","password":12345678}', 'has no string "password"'],
    [
      'an object password',
      `{"username":"app","password":{"value":"${PASSWORD}"}}`,
      'has no string "password"',
    ],
  ])(
    'rejects %s with a message that names the version and never the password',
    (_name, secretString, expected) => {
      // act
      const error = parseError(secretString);

      // assess
      expect(error.message).toContain('the test version');
      expect(error.message).toContain(expected);
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain('12345678');
    },
  );

  it('rejects a version without SecretString saying binary secrets are unsupported', () => {
    // act
    const error = parseError(undefined);

    // assess
    expect(error.message).toContain('binary secrets are not supported');
  });
});

describe('SecretStaging', () => {
  it('describes the secret with its versions and staging labels', async () => {
    // prepare
    secretsMock.on(DescribeSecretCommand).resolves({
      ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-db-credentials-AbCdEf',
      Name: SECRET_ID,
      RotationEnabled: true,
      VersionIdsToStages: { [CURRENT_ID]: [CURRENT], [TOKEN]: [PENDING] },
    });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const description = await staging.describe();

    // assess
    expect(secretsMock.commandCalls(DescribeSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ID,
    });
    expect(description).toMatchObject({
      name: SECRET_ID,
      rotationEnabled: true,
      versions: { [CURRENT_ID]: [CURRENT], [TOKEN]: [PENDING] },
    });
    expect(versionWithStage(description, CURRENT)).toBe(CURRENT_ID);
    expect(versionWithStage(description, PENDING)).toBe(TOKEN);
    expect(versionWithStage(description, PREVIOUS)).toBeUndefined();
  });

  it("gives each replica region's replication status, and none for a secret without replicas", async () => {
    // prepare
    secretsMock
      .on(DescribeSecretCommand)
      .resolvesOnce({
        Name: SECRET_ID,
        ReplicationStatus: [
          { Region: 'eu-west-1', Status: 'InSync' },
          { Region: 'ap-south-1', Status: 'Failed', StatusMessage: 'KMS key not accessible' },
        ],
      })
      .resolvesOnce({ Name: SECRET_ID });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const replicated = await staging.describe();
    const alone = await staging.describe();

    // assess
    expect(replicated.replication).toEqual([
      { region: 'eu-west-1', status: 'InSync' },
      { region: 'ap-south-1', status: 'Failed', message: 'KMS key not accessible' },
    ]);
    expect(alone.replication).toEqual([]);
  });

  it('reads a version passing VersionStage and VersionId explicitly', async () => {
    // prepare
    secretsMock.on(GetSecretValueCommand).resolves({
      VersionId: TOKEN,
      SecretString: JSON.stringify({ username: 'app', password: PASSWORD }),
    });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const version = await staging.read(PENDING, TOKEN);

    // assess
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ID,
      VersionStage: 'AWSPENDING',
      VersionId: TOKEN,
    });
    expect(version).toEqual({ versionId: TOKEN, credentials: { username: 'app', password: PASSWORD } });
  });

  it('reads the current version by stage, never relying on the default version', async () => {
    // prepare
    secretsMock.on(GetSecretValueCommand).resolves({
      VersionId: CURRENT_ID,
      SecretString: JSON.stringify({ username: 'app', password: PASSWORD }),
    });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const version = await staging.read(CURRENT);

    // assess
    const input = secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input;
    expect(input?.VersionStage).toBe('AWSCURRENT');
    expect(version?.versionId).toBe(CURRENT_ID);
  });

  it('returns undefined when the version has no value (ResourceNotFoundException)', async () => {
    // prepare
    secretsMock.on(GetSecretValueCommand).rejects(notFound());
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const version = await staging.read(PENDING, TOKEN);

    // assess
    expect(version).toBeUndefined();
  });

  it('refuses a read that returns no VersionId', async () => {
    // prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"app","password":"x"}' });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const read = staging.read(CURRENT);

    // assess
    await expect(read).rejects.toThrow(SecretStateError);
  });

  it('surfaces an invalid stored value as SecretValueError naming the version, not the password', async () => {
    // prepare
    secretsMock
      .on(GetSecretValueCommand)
      .resolves({ VersionId: CURRENT_ID, SecretString: `{"password":"${PASSWORD}"}` });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const error = await staging.read(CURRENT).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );

    // assess
    expect(error).toBeInstanceOf(SecretValueError);
    expect(error?.message).toContain(`the AWSCURRENT version ${CURRENT_ID} of secret ${SECRET_ID}`);
    expect(error?.message).not.toContain(PASSWORD);
  });

  it('surfaces throttling that persists after the SDK retries', async () => {
    // prepare
    secretsMock.on(GetSecretValueCommand).rejects(throttling());
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const read = staging.read(CURRENT);

    // assess
    await expect(read).rejects.toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
  });

  it('puts a pending value with the token, the RotationToken and VersionStages ["AWSPENDING"]', async () => {
    // prepare
    secretsMock.on(PutSecretValueCommand).resolves({ VersionId: TOKEN });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);
    const credentials = { username: 'app', password: PASSWORD, host: 'db' };

    // act
    await staging.putPending(TOKEN, credentials, 'rotation-token-xyz');

    // assess
    const input = secretsMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input;
    expect(input).toEqual({
      SecretId: SECRET_ID,
      ClientRequestToken: TOKEN,
      SecretString: JSON.stringify(credentials),
      VersionStages: ['AWSPENDING'],
      RotationToken: 'rotation-token-xyz',
    });
  });

  it('puts a pending value without a RotationToken when the event has none', async () => {
    // prepare
    secretsMock.on(PutSecretValueCommand).resolves({ VersionId: TOKEN });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    await staging.putPending(TOKEN, { username: 'app', password: PASSWORD });

    // assess
    const input = secretsMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input;
    expect(input?.RotationToken).toBeUndefined();
    expect(input?.VersionStages).toEqual(['AWSPENDING']);
  });

  it('surfaces a PutSecretValue error', async () => {
    // prepare
    secretsMock.on(PutSecretValueCommand).rejects(throttling());
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const put = staging.putPending(TOKEN, { username: 'app', password: PASSWORD });

    // assess
    await expect(put).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('promotes with MoveToVersionId = token and RemoveFromVersionId = old current', async () => {
    // prepare
    secretsMock.on(UpdateSecretVersionStageCommand).resolves({});
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    await staging.promote(TOKEN, CURRENT_ID);

    // assess
    expect(secretsMock.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ID,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: CURRENT_ID,
    });
  });

  it("surfaces AWS's strict check of RemoveFromVersionId when promoting", async () => {
    // prepare: AWS refuses a RemoveFromVersionId that does not carry the stage
    secretsMock
      .on(UpdateSecretVersionStageCommand)
      .rejects(
        invalidParameter(
          "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version aaaa",
        ),
      );
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const promote = staging.promote(TOKEN, 'not-the-current-version');

    // assess
    await expect(promote).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('removes a stage passing only RemoveFromVersionId', async () => {
    // prepare
    secretsMock.on(UpdateSecretVersionStageCommand).resolves({});
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    await staging.removeStage(PENDING, TOKEN);

    // assess
    expect(secretsMock.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ID,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: TOKEN,
    });
  });

  it('reads an unlabelled version by its id alone', async () => {
    // prepare
    secretsMock.on(GetSecretValueCommand).resolves({
      VersionId: TOKEN,
      SecretString: JSON.stringify({ username: 'app', password: PASSWORD }),
    });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const version = await staging.readVersion(TOKEN);

    // assess
    const input = secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input;
    expect(input).toEqual({ SecretId: SECRET_ID, VersionId: TOKEN });
    expect(input?.VersionStage).toBeUndefined();
    expect(version).toEqual({ versionId: TOKEN, credentials: { username: 'app', password: PASSWORD } });
  });

  it('lists every version over all pages, unlabelled ones included', async () => {
    // prepare
    const created = new Date('2026-11-23T08:00:00.000Z');
    secretsMock
      .on(ListSecretVersionIdsCommand)
      .resolvesOnce({
        Versions: [{ VersionId: CURRENT_ID, VersionStages: [CURRENT], CreatedDate: created }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ Versions: [{ VersionId: TOKEN }] });
    const staging = new SecretStaging(secretsClient(), SECRET_ID);

    // act
    const versions = await staging.listVersions();

    // assess
    expect(secretsMock.commandCalls(ListSecretVersionIdsCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET_ID, MaxResults: 100, IncludeDeprecated: true },
      { SecretId: SECRET_ID, MaxResults: 100, IncludeDeprecated: true, NextToken: 'page-2' },
    ]);
    expect(versions).toEqual([
      { versionId: CURRENT_ID, stages: [CURRENT], created, lastAccessed: undefined },
      { versionId: TOKEN, stages: [], created: undefined, lastAccessed: undefined },
    ]);
  });
});
