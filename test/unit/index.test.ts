import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MINIMAL_ENV, stubAwsEnvironment } from './helpers.ts';

type Handler = (
  event: unknown,
  context?: { getRemainingTimeInMillis(): number; invokedFunctionArn?: string },
) => Promise<unknown>;

/**
 * The handler reads its configuration once, when the module loads: every test loads a fresh copy
 * under its own environment, with the AWS clients mocked so that nothing can reach AWS.
 */
async function loadHandler(env: Record<string, string> = {}) {
  for (const [name, value] of Object.entries({ ...MINIMAL_ENV, SECRET_ID: 'app', ...env })) {
    vi.stubEnv(name, value);
  }
  vi.resetModules();
  const { mockClient } = await import('aws-sdk-client-mock');
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const { RDSClient } = await import('@aws-sdk/client-rds');
  const secretsMock = mockClient(SecretsManagerClient);
  const rdsMock = mockClient(RDSClient);
  const { handler } = await import('../../function/src/index.ts');
  return { handler: handler as Handler, secretsMock, rdsMock };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

beforeEach(() => {
  stubAwsEnvironment();
  vi.stubEnv('LOG_LEVEL', 'ERROR');
  // The function's log lines go to process.stdout through Powertools' own Console.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('handler', () => {
  it('returns the version information without touching AWS', async () => {
    // prepare
    const { handler, secretsMock, rdsMock } = await loadHandler();

    // act
    const result = await handler({ action: 'version' });

    // assess
    expect(result).toEqual({
      action: 'version',
      ok: true,
      version: 'dev',
      commit: 'unknown',
      buildTime: 'unknown',
    });
    expect(secretsMock.calls()).toHaveLength(0);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('rejects an unknown action listing the valid actions', async () => {
    // prepare
    const { handler, secretsMock } = await loadHandler();

    // act
    const error = await rejection(handler({ action: 'explode' }));

    // assess
    expect(error.name).toBe('InvalidEventError');
    expect(error.message).toBe(
      'unknown action "explode"; valid actions: version, status, verify, reset, heal, notice',
    );
    expect(secretsMock.calls()).toHaveLength(0);
  });

  it.each(['toString', 'constructor', 'hasOwnProperty', '__proto__'])(
    'rejects the action name %s inherited from Object.prototype as unknown',
    async (action) => {
      // prepare
      const { handler } = await loadHandler();

      // act
      const outcome = handler({ action }).then(
        (value) => ({ resolved: value }),
        (error: Error) => ({ rejected: error.message }),
      );

      // assess
      expect(await outcome).toEqual({
        rejected: `unknown action "${action}"; valid actions: version, status, verify, reset, heal, notice`,
      });
    },
  );

  it('throws errors whose stack is only the first line', async () => {
    // prepare
    const { handler } = await loadHandler();

    // act
    const errors = [
      await rejection(handler({ action: 'explode' })),
      await rejection(handler(null)),
      await rejection(handler({ Step: 'rotateSecret', SecretId: 'app', ClientRequestToken: 't' })),
    ];

    // assess
    for (const error of errors) {
      expect(error.stack).toBe(`${error.name}: ${error.message}`);
      expect(error.stack).not.toContain('\n');
      expect(error.stack).not.toContain('    at ');
    }
  });

  it('rejects a malformed event before touching AWS', async () => {
    // prepare
    const { handler, secretsMock, rdsMock } = await loadHandler();

    // act
    const error = await rejection(handler({ Step: 'createSecret', SecretId: 'app' }));

    // assess
    expect(error.name).toBe('InvalidEventError');
    expect(error.message).toContain('"ClientRequestToken"');
    expect(secretsMock.calls()).toHaveLength(0);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('fails every invocation with a ConfigError naming PARALLEL when PARALLEL=abc', async () => {
    // prepare
    const { handler, secretsMock } = await loadHandler({ PARALLEL: 'abc' });

    // act
    const first = await rejection(handler({ action: 'version' }));
    const second = await rejection(
      handler({
        Step: 'createSecret',
        SecretId: 'app',
        ClientRequestToken: '11111111-2222-3333-4444-555555555555',
      }),
    );

    // assess
    for (const error of [first, second]) {
      expect(error.name).toBe('ConfigError');
      expect(error.message).toBe('PARALLEL: must be a whole number from 1 to 100, got "abc"');
      expect(error.stack).not.toContain('\n');
    }
    expect(secretsMock.calls()).toHaveLength(0);
  });

  it('runs a rotation step through Secrets Manager with the event token', async () => {
    // prepare
    const { handler, secretsMock, rdsMock } = await loadHandler();
    const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    const token = '11111111-2222-3333-4444-555555555555';
    secretsMock
      .on(DescribeSecretCommand)
      .resolves({ Name: 'app', VersionIdsToStages: { [token]: ['AWSCURRENT'] } });

    // act
    const result = await handler(
      { Step: 'setSecret', SecretId: 'app', ClientRequestToken: token },
      { getRemainingTimeInMillis: () => 300_000 },
    );

    // assess
    expect(result).toMatchObject({ step: 'setSecret', secretId: 'app', token, outcome: 'nothing-to-do' });
    expect(secretsMock.commandCalls(DescribeSecretCommand)[0]?.args[0].input).toEqual({ SecretId: 'app' });
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('refuses a finishSecret sent by hand past the rotation alias before any call to AWS', async () => {
    // prepare
    const { handler, secretsMock, rdsMock } = await loadHandler({ ROTATION_ALIAS: 'rotation' });
    const event = { Step: 'finishSecret', SecretId: 'app', ClientRequestToken: TOKEN };

    // act
    const unqualified = await rejection(handler(event, lambdaContext(FUNCTION_ARN)));
    const manual = await rejection(handler(event, lambdaContext(`${FUNCTION_ARN}:manual`)));

    // assess
    for (const error of [unqualified, manual]) {
      expect(error.name).toBe('InvalidEventError');
      expect(error.message).toContain('accepted only through the Lambda alias "rotation"');
    }
    expect(secretsMock.calls()).toHaveLength(0);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('refuses a manual action through the rotation alias before any call to AWS', async () => {
    // prepare
    const { handler, secretsMock } = await loadHandler({ ROTATION_ALIAS: 'rotation' });

    // act
    const error = await rejection(handler({ action: 'status' }, lambdaContext(`${FUNCTION_ARN}:rotation`)));

    // assess
    expect(error.message).toContain('manual actions are refused through the Lambda alias "rotation"');
    expect(secretsMock.calls()).toHaveLength(0);
  });

  it.each([
    ['a rotation step', { Step: 'createSecret', SecretId: 'other-secret', ClientRequestToken: TOKEN }],
    ['a manual reset', { action: 'reset', secretId: 'other-secret' }],
  ])('refuses %s naming a secret it does not serve before any call to AWS', async (_name, event) => {
    // prepare
    const { handler, secretsMock, rdsMock } = await loadHandler({
      DEFAULT_PROVISION_PASSWORD: 'Dpp#1234567890',
    });

    // act
    const error = await rejection(handler(event, lambdaContext(FUNCTION_ARN)));

    // assess
    expect(error.name).toBe('InvalidEventError');
    expect(error.message).toContain('"other-secret" is not a secret this function serves');
    expect(error.message).toContain('"default"');
    expect(secretsMock.calls()).toHaveLength(0);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('writes no line holding a 100 kB SecretId, and answers in a few hundred characters', async () => {
    // prepare
    const { handler } = await loadHandler({ LOG_LEVEL: 'DEBUG' });
    const huge = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${'x'.repeat(100_000)}`;
    // Powertools writes ERROR lines to stderr, the others to stdout.
    const streams = [vi.mocked(process.stdout.write), vi.mocked(process.stderr.write)];

    // act
    const error = await rejection(
      handler(
        { Step: 'createSecret', SecretId: huge, ClientRequestToken: TOKEN },
        lambdaContext(FUNCTION_ARN),
      ),
    );

    // assess
    const lines = streams.flatMap((stream) => stream.mock.calls.map(([chunk]) => String(chunk)));
    expect(lines.length).toBeGreaterThan(0);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(1000);
    expect(lines.some((line) => line.includes('xxxxxxxxxx'))).toBe(false);
    expect(error.message.length).toBeLessThan(300);
  });
});

const TOKEN = '11111111-2222-3333-4444-555555555555';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:app-rotation';

function lambdaContext(invokedFunctionArn: string) {
  return { getRemainingTimeInMillis: () => 300_000, invokedFunctionArn };
}
