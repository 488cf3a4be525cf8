import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type {
  HealAnswer,
  StatusAnswer,
  VersionAnswer,
  WorkAnswer,
} from '../../function/src/actions/answers.ts';
import { buildEvent, EXIT, formatTable, parseArgs, run } from '../../scripts/invoke.ts';

// The invoke client against a mocked Lambda: answers have the types the function's actions
// return (function/src/actions/answers.ts), so a change of shape breaks this test at compile time.
const lambda = mockClient(LambdaClient);
const client = new LambdaClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'fake' },
});
const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:app-rotation';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rotation/app-AbCdEf';

const verifyFailed = {
  action: 'verify',
  ok: false,
  secretId: SECRET,
  dryRun: false,
  message: '2 verified, 1 failed; FAILED on 1 of 3: app-db1',
  instances: [
    {
      instance: 'app-db0',
      endpoint: 'app-db0.x.rds.amazonaws.com:3306',
      outcome: 'verified',
      attempts: 1,
      ms: 41,
    },
    {
      instance: 'app-db1',
      endpoint: 'app-db1.x.rds.amazonaws.com:3306',
      outcome: 'failed',
      attempts: 3,
      ms: 5012,
      error: 'cannot connect: connect ECONNREFUSED',
      errorKind: 'transient',
    },
    {
      instance: 'app-db2',
      endpoint: 'app-db2.x.rds.amazonaws.com:3306',
      outcome: 'verified',
      attempts: 1,
      ms: 39,
    },
  ],
  notIncluded: [
    {
      instance: 'app-db3',
      rdsStatus: 'creating',
      reason: 'still being created: reset it once it is available',
    },
  ],
  ms: 5020,
} satisfies WorkAnswer;

const resetDryRun = {
  action: 'reset',
  ok: true,
  secretId: SECRET,
  dryRun: true,
  message: 'dry run, nothing changed: 1 unchanged, 1 would-change (from provision)',
  instances: [
    {
      instance: 'app-db0',
      endpoint: 'app-db0.x.rds.amazonaws.com:3306',
      outcome: 'unchanged',
      attempts: 1,
      ms: 30,
    },
    {
      instance: 'app-db1',
      endpoint: 'app-db1.x.rds.amazonaws.com:3306',
      outcome: 'would-change',
      from: 'provision',
      attempts: 1,
      ms: 52,
    },
  ],
  notIncluded: [],
  ms: 90,
} satisfies WorkAnswer;

const healed = {
  action: 'heal',
  ok: true,
  secretId: SECRET,
  dryRun: false,
  message: '1 changed (from pending); stale AWSPENDING removed: no rotation is running for it',
  instances: [
    {
      instance: 'app-db0',
      endpoint: 'app-db0.x.rds.amazonaws.com:3306',
      outcome: 'changed',
      from: 'pending',
      attempts: 1,
      ms: 77,
    },
  ],
  notIncluded: [],
  pending: {
    versionId: 'v-pending',
    onCurrent: false,
    created: '2026-11-23T08:00:00.000Z',
    ageMinutes: 120,
    stale: true,
    rule: 'created 120 min ago (ListSecretVersionIds CreatedDate), at least STALE_PENDING_MINUTES=60: no rotation runs that long, so it is stale',
    label: 'removed',
    labelReason: 'no rotation is running for it; new rotations can start',
  },
  ms: 300,
} satisfies HealAnswer;

const status = {
  action: 'status',
  ok: false,
  secretId: SECRET,
  name: 'rotation/app',
  rotation: {
    enabled: true,
    lambdaArn: FUNCTION,
    rules: { automaticallyAfterDays: 30, duration: '2h', scheduleExpression: null },
    lastRotated: '2026-11-01T00:00:00.000Z',
    nextRotation: '2026-12-01T00:00:00.000Z',
    lastChanged: '2026-11-01T00:00:00.000Z',
  },
  versions: [
    {
      versionId: 'v-pending',
      stages: ['AWSPENDING'],
      created: '2026-11-23T08:00:00.000Z',
      lastAccessed: null,
    },
    {
      versionId: 'v-current',
      stages: ['AWSCURRENT'],
      created: '2026-11-01T00:00:00.000Z',
      lastAccessed: null,
    },
  ],
  pending: {
    versionId: 'v-pending',
    onCurrent: false,
    created: '2026-11-23T08:00:00.000Z',
    ageMinutes: 120,
    stale: true,
    rule: 'created 120 min ago, at least STALE_PENDING_MINUTES=60',
  },
  instances: [
    {
      instance: 'app-db0',
      endpoint: 'app-db0.x.rds.amazonaws.com:3306',
      rdsStatus: 'available',
      engine: 'mysql',
      outcome: 'included',
    },
    {
      instance: 'app-db3',
      endpoint: null,
      rdsStatus: 'creating',
      engine: 'mysql',
      outcome: 'creating',
      note: 'still being created: reset it once it is available',
    },
  ],
  attention: ['AWSPENDING on version v-pending is stale and blocks new rotations; run "heal" to remove it'],
  ms: 120,
} satisfies StatusAnswer;

const version = {
  action: 'version',
  ok: true,
  version: '0.1.0',
  commit: 'abc123',
  buildTime: '2026-11-20T10:00:00Z',
} satisfies VersionAnswer;

function answers(payload: unknown, functionError?: string) {
  lambda.on(InvokeCommand).resolves({
    StatusCode: 200,
    FunctionError: functionError,
    Payload: new TextEncoder().encode(JSON.stringify(payload)) as never,
  });
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { client, out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function sentEvent(): unknown {
  const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
  return JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array));
}

beforeEach(() => {
  lambda.reset();
});

describe('parseArgs', () => {
  it('reads the function, the action and every option', () => {
    expect(
      parseArgs([
        FUNCTION,
        'reset',
        '--instances',
        'db-1,db-2',
        '--secret',
        'rotation/app',
        '--dry-run',
        '--json',
      ]),
    ).toMatchObject({
      target: { given: FUNCTION, name: 'app-rotation', qualifier: undefined },
      action: 'reset',
      instances: ['db-1', 'db-2'],
      secretId: 'rotation/app',
      dryRun: true,
      json: true,
    });
  });

  it('accepts --flag=value, repeated --instances, and --secret-id for --secret', () => {
    expect(
      parseArgs(['fn', 'verify', '--instances=a', '--instances', 'b, c', '--secret-id', 's']),
    ).toMatchObject({
      action: 'verify',
      instances: ['a', 'b', 'c'],
      secretId: 's',
      dryRun: false,
      json: false,
    });
  });

  it('reads rotate and history options, with their defaults', () => {
    expect(parseArgs(['fn:live', 'rotate', '--user', 'app', '--wait'])).toMatchObject({
      target: { given: 'fn:live', name: 'fn', qualifier: 'live' },
      action: 'rotate',
      user: 'app',
      wait: true,
      timeoutMs: 15 * 60_000,
      logGroup: '/aws/lambda/fn',
    });
    expect(parseArgs(['fn', 'rotate', '--wait', '--timeout', '90s'])).toMatchObject({ timeoutMs: 90_000 });
    expect(parseArgs(['fn', 'history', '--since', '30d', '--log-group', '/custom/group'])).toMatchObject({
      action: 'history',
      sinceMs: 30 * 86_400_000,
      logGroup: '/custom/group',
    });
    expect(parseArgs(['fn', 'history'])).not.toHaveProperty('sinceMs');
  });

  it.each([
    [[], 'expected <function-name-or-arn> <action>, got 0 argument(s); see --help'],
    [['fn'], 'expected <function-name-or-arn> <action>, got 1 argument(s); see --help'],
    [['fn', 'verify', 'extra'], 'expected <function-name-or-arn> <action>, got 3 argument(s); see --help'],
    [['fn', 'verify', '--instances'], '--instances needs a value'],
    [['fn', 'verify', '--instances', ','], '--instances needs at least one instance identifier'],
    [['fn', 'verify', '--instances', '--json'], '--instances needs a value'],
    [['fn', 'reset', '--dry-run=yes'], '--dry-run takes no value'],
    [
      ['fn', 'verify', '--force'],
      'unknown option --force; options: --secret, --secret-id, --user, --instances, --dry-run, --wait, --timeout, --since, --log-group, --json, --help',
    ],
    [['fn', 'verify', '--dry-run'], '--dry-run is not for verify; it goes with reset, heal'],
    [
      ['fn', 'version', '--secret', 's'],
      '--secret is not for version; it goes with status, verify, reset, heal, rotate, history',
    ],
    [['fn', 'status', '--wait'], '--wait is not for status; it goes with rotate'],
    [
      ['fn', 'rotate', '--json'],
      '--json is not for rotate; it goes with version, status, verify, reset, heal, notice, history',
    ],
    [['fn', 'rotate', '--timeout', '5m'], '--timeout goes with --wait'],
    [['fn', 'history', '--secret', 's', '--user', 'u'], 'give --secret or --user, not both'],
    [
      ['fn', 'history', '--secret', 's', '--secret-id', 's'],
      '--secret and --secret-id are the same option: give it once',
    ],
    [
      ['fn', 'rotate', '--wait', '--timeout', '10'],
      '--timeout must be a length of time such as 90s, 15m, 2h or 7d, at most 1d, got "10"',
    ],
    [
      ['fn', 'history', '--since', 'yesterday'],
      '--since must be a length of time such as 90s, 15m, 2h or 7d, at most 3650d, got "yesterday"',
    ],
    [
      ['my function', 'status'],
      '"my function" is not a Lambda function name or ARN (name, name:alias, or arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS])',
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('answers help for -h and --help wherever they are', () => {
    expect(parseArgs(['--help'])).toBe('help');
    expect(parseArgs(['fn', 'verify', '-h'])).toBe('help');
  });
});

describe('buildEvent', () => {
  it('leaves out what was not given so that the function applies its defaults', () => {
    expect(buildEvent({ dryRun: false }, 'verify')).toEqual({ action: 'verify' });
  });

  it('passes the user or the secret as the function expects them', () => {
    expect(buildEvent({ user: 'app', dryRun: false }, 'status')).toEqual({ action: 'status', user: 'app' });
    expect(buildEvent({ secretId: 'rotation/app', dryRun: true }, 'heal')).toEqual({
      action: 'heal',
      secretId: 'rotation/app',
      dryRun: true,
    });
  });
});

describe('run', () => {
  it('invokes the function synchronously with the event and prints a table; exit 1 when an instance failed', async () => {
    answers(verifyFailed);

    const { code, out, err } = await cli(FUNCTION, 'verify', '--instances', 'app-db0,app-db1,app-db2');

    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: FUNCTION,
      Qualifier: 'manual',
      InvocationType: 'RequestResponse',
    });
    expect(sentEvent()).toEqual({ action: 'verify', instances: ['app-db0', 'app-db1', 'app-db2'] });
    expect(code).toBe(EXIT.failed);
    expect(err).toBe('');
    const lines = out.split('\n');
    expect(lines[0]).toBe(`verify of ${SECRET}: FAILED`);
    expect(lines[1]).toBe('2 verified, 1 failed; FAILED on 1 of 3: app-db1');
    expect(lines[3]).toMatch(/^INSTANCE +ENDPOINT +OUTCOME +FROM +ATTEMPTS +MS +ERROR$/);
    expect(lines[4]).toMatch(/^app-db0 +app-db0\.x\.rds\.amazonaws\.com:3306 +verified +1 +41$/);
    expect(lines[5]).toMatch(
      /^app-db1 +app-db1\.x\.rds\.amazonaws\.com:3306 +failed +3 +5012 +cannot connect: connect ECONNREFUSED$/,
    );
    expect(out).toContain(
      'not included:\n  - app-db3 (creating): still being created: reset it once it is available',
    );
  });

  it('prints the raw JSON answer with --json, with the same exit status', async () => {
    answers(verifyFailed);

    const { code, out } = await cli(FUNCTION, 'verify', '--json');

    expect(JSON.parse(out)).toEqual(verifyFailed);
    expect(code).toBe(EXIT.failed);
  });

  it('invokes the alias or version the caller named, and only that', async () => {
    answers(version);

    await cli('app-rotation:live', 'version');
    await cli(`${FUNCTION}:7`, 'version');

    const targets = lambda.commandCalls(InvokeCommand).map((call) => ({
      FunctionName: call.args[0].input.FunctionName,
      Qualifier: call.args[0].input.Qualifier,
    }));
    expect(targets).toEqual([
      { FunctionName: 'app-rotation:live', Qualifier: undefined },
      { FunctionName: `${FUNCTION}:7`, Qualifier: undefined },
    ]);
  });

  it('passes --user on as "user", for a function that serves several secrets', async () => {
    answers(verifyFailed);

    await cli('app-rotation', 'verify', '--user', 'app');

    expect(sentEvent()).toEqual({ action: 'verify', user: 'app' });
  });

  it('asks "status" which secret --user names before rotate and history, and stops when the function refuses', async () => {
    // Only the function knows its SECRETS; moto cannot run it, so its refusal is played here.
    answers(
      {
        errorType: 'InvalidEventError',
        errorMessage: 'unknown user "nobody"; the function serves: app, reporting',
        trace: [],
      },
      'Unhandled',
    );

    const { code, err } = await cli('app-rotation', 'history', '--user', 'nobody');

    expect(sentEvent()).toEqual({ action: 'status', user: 'nobody' });
    expect(code).toBe(EXIT.error);
    expect(err).toBe(
      'scripts/invoke: the function failed (Unhandled): InvalidEventError: unknown user "nobody"; the function serves: app, reporting',
    );
  });

  it('sends a dry run and exits 0 when the answer is ok', async () => {
    answers(resetDryRun);

    const { code, out } = await cli('app-rotation', 'reset', '--dry-run', '--secret-id', 'rotation/app');

    expect(sentEvent()).toEqual({ action: 'reset', secretId: 'rotation/app', dryRun: true });
    expect(code).toBe(EXIT.ok);
    expect(out.split('\n')[0]).toBe(`reset (dry run) of ${SECRET}: ok`);
    expect(out).toMatch(/app-db1 +\S+ +would-change +provision +1 +52/);
  });

  it('shows what heal did about a stale AWSPENDING', async () => {
    answers(healed);

    const { code, out } = await cli('app-rotation', 'heal');

    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/app-db0 +\S+ +changed +pending/);
    expect(out).toContain(
      'AWSPENDING on version v-pending: removed (no rotation is running for it; new rotations can start)',
    );
  });

  it('shows the status with versions, AWSPENDING, instances and what needs attention; exit 1 when something does', async () => {
    answers(status);

    const { code, out } = await cli('app-rotation', 'status');

    expect(code).toBe(EXIT.failed);
    expect(out).toContain('status of rotation/app: NEEDS ATTENTION');
    expect(out).toContain('rotation:      enabled (every 30 days, window 2h)');
    expect(out).toMatch(/v-pending +AWSPENDING +2026-11-23T08:00:00\.000Z/);
    expect(out).toMatch(/v-current +AWSCURRENT +2026-11-01T00:00:00\.000Z/);
    expect(out).toContain('AWSPENDING:    version v-pending is STALE: created 120 min ago');
    expect(out).toMatch(/app-db3 +- +creating +creating +still being created/);
    expect(out).toContain('needs attention:\n  - AWSPENDING on version v-pending is stale');
  });

  it('shows the version', async () => {
    answers(version);

    const { code, out } = await cli('app-rotation', 'version');

    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/^VERSION +COMMIT +BUILT\n0\.1\.0 +abc123 +2026-11-20T10:00:00Z$/);
  });

  it('exits 3 and prints the error when the function raised one', async () => {
    // A deployed function older than this command may not know an action the command offers.
    answers(
      {
        errorType: 'InvalidEventError',
        errorMessage: 'unknown action "heal"; valid actions: version, status, verify, reset',
        trace: ['InvalidEventError: unknown action "heal"'],
      },
      'Unhandled',
    );

    const { code, out, err } = await cli('app-rotation', 'heal');

    expect(code).toBe(EXIT.error);
    expect(out).toBe('');
    expect(err).toBe(
      'scripts/invoke: the function failed (Unhandled): InvalidEventError: unknown action "heal"; valid actions: version, status, verify, reset',
    );
  });

  it('refuses an action it does not know before calling AWS, listing the valid ones', async () => {
    const { code, out, err } = await cli('app-rotation', 'explode');

    expect(code).toBe(EXIT.usage);
    expect(out).toBe('');
    expect(err).toBe(
      'scripts/invoke: unknown action "explode"; valid actions: version, status, verify, reset, heal, notice, rotate, history (run scripts/invoke --help)',
    );
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('exits 3 when the invocation is throttled', async () => {
    lambda.on(InvokeCommand).rejects(
      new TooManyRequestsException({
        message: 'Rate Exceeded.',
        $metadata: { httpStatusCode: 429 },
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      }),
    );

    const { code, out, err } = await cli('app-rotation', 'verify');

    expect(code).toBe(EXIT.error);
    expect(out).toBe('');
    expect(err).toBe(
      'scripts/invoke: invoking app-rotation (alias manual) failed: TooManyRequestsException: Rate Exceeded.',
    );
  });

  it('exits 2 on a bad command line without invoking anything', async () => {
    const { code, err } = await cli('app-rotation');

    expect(code).toBe(EXIT.usage);
    expect(err).toContain('expected <function-name-or-arn> <action>');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('prints the help with --help and exits 0', async () => {
    const { code, out } = await cli('--help');

    expect(code).toBe(EXIT.ok);
    expect(out).toContain('Usage: scripts/invoke <function-name-or-arn> <action> [options]');
    expect(out).toContain('AWS_ENDPOINT_URL_LAMBDA');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});

describe('formatTable', () => {
  it('prints an answer of unknown shape as JSON', () => {
    expect(formatTable({ something: 1 })).toBe('{\n  "something": 1\n}');
  });
});
