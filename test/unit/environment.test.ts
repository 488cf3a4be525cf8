import { RDSClient } from '@aws-sdk/client-rds';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type AwsClients,
  createAwsClients,
  createRdsClient,
  FunctionEnvironment,
} from '../../function/src/environment.ts';
import { ConfigError } from '../../function/src/errors.ts';
import { logger, redactText, registerSensitive, withMemoryWipe } from '../../function/src/logger.ts';
import { MINIMAL_ENV, mockSecretsManager, rdsClient, secretsClient, silenceLogs } from './helpers.ts';

const SECRET_ID = MINIMAL_ENV.SECRET_ID;
const TOKEN = '11111111-2222-3333-4444-555555555555';
const LEFTOVER = 'Leftover#Pass9word!from-an-earlier-call';

// The memory wipe concerns the function's own memory, not AWS: a mocked Secrets Manager answer
// lets the test look into the redaction list while the step runs, which no emulator can do.
const secretsMock = mockSecretsManager();

// fromEnv applies the log level it reads; the other tests of the file expect silence.
afterEach(() => silenceLogs());

function testClients(): AwsClients {
  return { secrets: secretsClient(), rds: rdsClient() };
}

describe('createRdsClient', () => {
  it('builds a client with and without an HTTPS proxy', async () => {
    // act
    const direct = createRdsClient({ rdsHttpsProxy: undefined });
    const proxied = createRdsClient({ rdsHttpsProxy: 'http://proxy.internal:3128' });

    // assess
    expect(direct).toBeInstanceOf(RDSClient);
    expect(proxied).toBeInstanceOf(RDSClient);
    expect(await proxied.config.region()).toBe('us-east-1');
  });
});

describe('createAwsClients', () => {
  it('points both clients at an explicit endpoint, region and credentials', async () => {
    // prepare
    const settings = {
      endpoint: 'http://127.0.0.1:5000',
      region: 'eu-west-3',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-fake-secret-access-key' },
    };

    // act
    const { secrets, rds } = createAwsClients(settings);

    // assess
    for (const client of [secrets, rds]) {
      expect(await client.config.region()).toBe('eu-west-3');
      const endpoint = await client.config.endpoint?.();
      expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe('http://127.0.0.1:5000');
      expect((await client.config.credentials()).accessKeyId).toBe('bench');
    }
  });

  it('leaves the SDK defaults in place when nothing is given', async () => {
    // act
    const { secrets } = createAwsClients();

    // assess
    expect(await secrets.config.region()).toBe('us-east-1');
    expect(await secrets.config.endpoint?.()).toBeUndefined();
  });
});

describe('FunctionEnvironment', () => {
  it('validates the configuration from an environment object and applies its log level', () => {
    // act
    const environment = FunctionEnvironment.fromEnv(
      { ...MINIMAL_ENV, PARALLEL: '3', LOG_LEVEL: 'WARN' },
      testClients(),
    );

    // assess
    expect(environment.config.parallel).toBe(3);
    expect(logger.getLevelName()).toBe('WARN');
  });

  it('refuses a bad variable with a ConfigError naming it', () => {
    // act
    const load = () => FunctionEnvironment.fromEnv({ ...MINIMAL_ENV, PARALLEL: 'abc' });

    // assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow('PARALLEL: must be a whole number from 1 to 100, got "abc"');
  });

  it('creates the AWS clients once, on first use', () => {
    // prepare
    const create = vi.fn(testClients);
    const environment = new FunctionEnvironment(FunctionEnvironment.fromEnv(MINIMAL_ENV).config, create);
    const actions = environment.actions();

    // act
    const before = create.mock.calls.length;
    const first = environment.aws();
    const staging = actions.staging(SECRET_ID);
    const rotation = environment.rotation(environment.servedSecret(SECRET_ID));

    // assess
    expect(before).toBe(0);
    expect(create).toHaveBeenCalledTimes(1);
    expect(actions.rds()).toBe(first.rds);
    expect(rotation.rds).toBe(first.rds);
    expect(staging.secretId).toBe(SECRET_ID);
    expect(rotation.staging.secretId).toBe(SECRET_ID);
  });

  it('keeps back time for a rollback from the Lambda deadline, and has none without a context', () => {
    // prepare
    const environment = FunctionEnvironment.fromEnv(
      { ...MINIMAL_ENV, CONNECT_TIMEOUT_MS: '1000', QUERY_TIMEOUT_MS: '2000' },
      testClients(),
    );
    let remaining = 8000;

    // act
    const lambda = environment.deadline({ getRemainingTimeInMillis: () => remaining });
    const early = lambda.tooLate();
    remaining = 6999;
    const late = lambda.tooLate();
    const local = environment.deadline();

    // assess
    expect(lambda.reserveMs).toBe(3 * 1000 + 2 * 2000);
    expect([early, late]).toEqual([false, true]);
    expect(local.remaining()).toBe(Number.POSITIVE_INFINITY);
  });

  it('runs one step with the passwords of earlier calls forgotten during and after it', async () => {
    // prepare
    const environment = FunctionEnvironment.fromEnv(MINIMAL_ENV, testClients());
    let redactedDuringStep: string | undefined;
    secretsMock.on(DescribeSecretCommand).callsFake(() => {
      redactedDuringStep = redactText(LEFTOVER);
      registerSensitive('Seen#During4the!step');
      return { Name: SECRET_ID, VersionIdsToStages: { [TOKEN]: ['AWSCURRENT'] } };
    });
    registerSensitive(LEFTOVER);

    // act
    const result = await environment.runStep(SECRET_ID, 'finishSecret', TOKEN);

    // assess
    expect(result).toMatchObject({ step: 'finishSecret', secretId: SECRET_ID, outcome: 'nothing-to-do' });
    expect(redactedDuringStep).toBe(LEFTOVER);
    expect(redactText('Seen#During4the!step')).toBe('Seen#During4the!step');
  });
});

describe('withMemoryWipe', () => {
  it('forgets the passwords registered during the work when it fails', async () => {
    // act
    const run = withMemoryWipe(async () => {
      registerSensitive('Failing#Pass1word!xyz');
      throw new Error('the work failed');
    });

    // assess
    await expect(run).rejects.toThrow('the work failed');
    expect(redactText('Failing#Pass1word!xyz')).toBe('Failing#Pass1word!xyz');
  });
});
