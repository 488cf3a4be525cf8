import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROTATION_ALIAS } from '../../sandbox/bundleInvoker.ts';
import { listenOnLoopback } from '../../sandbox/ports.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';

// Hostile input through the built bundle against moto (no database is reached): what the function
// echoes of an event stays short and filtered, and no AWS call goes out over plain HTTP.
let world: RotationWorld;
let app: App;

beforeAll(async () => {
  world = await RotationWorld.start(0);
  app = await world.createApp({ servers: [], namePrefix: 'echo' });
});

afterAll(async () => {
  app?.cleanup();
  await world?.stop();
});

const PASTED = 'Xk9#mQ2$vL7!pR4&wZ3^';

/** Every line the invocation printed is short and none holds `text`. */
function expectShortLinesWithout(lines: string[], text: string): void {
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((line) => line.includes(text))).toEqual([]);
  expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(2000);
}

describe('bounded echoes (finding 6)', () => {
  it('answers an event of 8,000 keys with a short error', async () => {
    // prepare
    const event = Object.fromEntries(Array.from({ length: 8000 }, (_, i) => [`key${i}`, i]));

    // act
    const invocation = await app.invoke(event);

    // assess
    expect(invocation.error?.name).toBe('InvalidEventError');
    expect(invocation.error?.message).toMatch(/\(8000 key\(s\): "key0", "key1", .* and 7\d\d\d more\)/);
    expect(invocation.error?.message.length).toBeLessThan(400);
    expectShortLinesWithout(invocation.logs, 'key7999');
  });

  it('echoes no key that is a pasted password, in the error or the logs', async () => {
    // act
    const invocation = await app.invoke({ [PASTED]: true });

    // assess
    expect(invocation.error?.message).toContain('(a key of 20 characters, not shown)');
    expect(invocation.error?.message).not.toContain(PASTED);
    expectShortLinesWithout(invocation.logs, PASTED);
  });

  it('echoes no unknown field that is a pasted password in a manual action', async () => {
    // act
    const invocation = await app.invoke({ action: 'status', [PASTED]: 1 });

    // assess
    expect(invocation.error?.message).toContain('unknown field (a key of 20 characters, not shown)');
    expectShortLinesWithout(invocation.logs, PASTED);
  });

  it.each([
    ['a rotation step', { Step: 'createSecret', ClientRequestToken: 'a-token' }, ROTATION_ALIAS],
    ['a manual action', { action: 'status' }, undefined],
  ])('refuses %s naming a 100 kB secretId before it reaches any log line', async (_name, event, alias) => {
    // prepare
    const huge = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${'x'.repeat(100_000)}`;
    const field = 'Step' in event ? 'SecretId' : 'secretId';

    // act
    const invocation = await app.invoke({ ...event, [field]: huge }, { LOG_LEVEL: 'DEBUG' }, alias);

    // assess
    expect(invocation.error?.name).toBe('InvalidEventError');
    expect(invocation.error?.message).toContain('(a string of 100053 characters, not shown)');
    expect(invocation.error?.message.length).toBeLessThan(300);
    expectShortLinesWithout(invocation.logs, 'xxxxxxxxxx');
  });

  it('writes only the configured secret on every line of a step, not the identifier the event used', async () => {
    // prepare: the event names the secret by its name, which the function also accepts
    const name = app.secretId.split(':')[6]?.replace(/-[A-Za-z0-9]{6}$/, '') as string;

    // act
    const invocation = await app.invoke(
      { Step: 'createSecret', SecretId: name, ClientRequestToken: 'no-such-version' },
      undefined,
      ROTATION_ALIAS,
    );

    // assess
    expect(invocation.error?.message).toContain('version no-such-version is not a version of secret');
    const secrets = invocation.logs.map((line) => (JSON.parse(line) as { secret?: string }).secret);
    expect(new Set(secrets)).toEqual(new Set([app.secretId]));
  });
});

describe('HTTPS only (finding 4)', () => {
  let listener: Server;
  let port: number;
  let requests = 0;

  beforeAll(async () => {
    // Stands where a plain-HTTP Secrets Manager endpoint would be; it counts what reaches it.
    listener = createServer((_request, response) => {
      requests += 1;
      response.writeHead(500).end();
    });
    port = await listenOnLoopback(listener);
  });

  afterAll(() => {
    listener?.close();
  });

  it('refuses at start-up, before any call, a plain-HTTP endpoint on a host that is not loopback', async () => {
    // prepare: *.test resolves to 127.0.0.1 in the sandbox, but by name it is any host on a network
    const endpoint = { AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://secrets.endpoint.test:${port}` };

    // act
    const status = await app.invoke({ action: 'status' }, endpoint);
    const step = await app.invoke(
      { Step: 'createSecret', SecretId: app.secretId, ClientRequestToken: 'a-token' },
      endpoint,
      ROTATION_ALIAS,
    );

    // assess
    for (const invocation of [status, step]) {
      expect(invocation.error?.name).toBe('ConfigError');
      expect(invocation.error?.message).toMatch(
        /^AWS_ENDPOINT_URL_SECRETS_MANAGER: uses plain http: to secrets\.endpoint\.test, which would send secret values unencrypted/,
      );
    }
    expect(requests).toBe(0);
  });
});
