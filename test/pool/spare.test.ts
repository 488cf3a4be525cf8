import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openWithRotation, type RetryPolicy, type Spare } from '../../client/src/acquire.ts';
import { CredentialSelector } from '../../client/src/credentials.ts';
import type { SecretVersion } from '../../client/src/secretCache.ts';
import { SpareSocket } from '../../client/src/spareSocket.ts';
import { FakeDatabase, FakeSecret } from './fakes.ts';
import { FAST_RETRY, sharedSecret } from './harness.ts';

// Secrets Manager is mocked here (see fakes.ts); the spare sockets of the last part are real TCP
// connections to a listener on loopback.

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Spares that record what became of them; a login "takes" one by its number. */
class FakeSpares {
  readonly opened: { id: number; taken: boolean; discarded: boolean }[] = [];

  readonly open = (): Spare<number> => {
    const state = { id: this.opened.length + 1, taken: false, discarded: false };
    this.opened.push(state);
    return {
      take: () => {
        if (state.discarded || state.taken) return undefined;
        state.taken = true;
        return state.id;
      },
      discard: () => {
        if (!state.taken) state.discarded = true;
      },
    };
  };
}

/**
 * One pool's openWithRotation on a fake database, with spares: records each login's
 * credentials label and the spare it ran on.
 */
async function poolWithSpares(db: FakeDatabase, secret: FakeSecret, retry: RetryPolicy = FAST_RETRY) {
  const selector = new CredentialSelector(sharedSecret(secret), 600_000, () => undefined);
  const spares = new FakeSpares();
  const logins: [string, number | undefined][] = [];
  const login = (credentials: SecretVersion, spare: number | undefined) => {
    logins.push([credentials.label, spare]);
    return db.login(credentials);
  };
  const open = () =>
    openWithRotation(selector, retry, { secretId: secret.id, endpoint: 'db1:3306' }, login, spares.open);
  await open();
  logins.length = 0;
  return { open, spares, logins, selector };
}

function rotationWindow() {
  const secret = new FakeSecret().put('v1', 'app', 'pw-1', 'AWSCURRENT');
  const db = new FakeDatabase('app', 'pw-1');
  return { secret, db };
}

describe('a spare connection to the server', () => {
  it('is opened when a login is refused, and the login after the read runs on it', async () => {
    const { secret, db } = rotationWindow();
    const pool = await poolWithSpares(db, secret);
    secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
    db.setPassword('app', 'pw-2');

    await expect(pool.open()).resolves.toBe('app via AWSPENDING v2');

    expect(pool.logins).toEqual([
      ['AWSCURRENT', undefined],
      ['AWSPENDING', 1],
    ]);
    expect(pool.spares.opened).toEqual([{ id: 1, taken: true, discarded: false }]);
  });

  it('is never opened by a login that needs none', async () => {
    const { secret, db } = rotationWindow();
    const pool = await poolWithSpares(db, secret);

    await pool.open();

    expect(pool.logins).toEqual([['AWSCURRENT', undefined]]);
    expect(pool.spares.opened).toEqual([]);
  });

  it('outlives a first round with nothing to try for the login after the first backoff, and is not opened later', async () => {
    vi.useFakeTimers();
    const { secret, db } = rotationWindow();
    const pool = await poolWithSpares(db, secret);
    secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
    db.setPassword('app', 'set-out-of-band');

    const outcome = pool.open().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;

    // Round 0: AWSCURRENT, then AWSPENDING on spare 1; spare 2, opened when that was refused,
    // serves the first login of round 1. Later rounds open none: their backoffs are longer.
    expect(pool.logins.map(([, spare]) => spare)).toEqual([undefined, 1, 2, undefined, undefined, undefined]);
    expect(pool.spares.opened.every((spare) => spare.taken && !spare.discarded)).toBe(true);
  });

  it('is not opened when no login could follow soon: no retry round, or a first backoff over 500 ms', async () => {
    for (const retry of [
      { retries: 0, backoff: FAST_RETRY.backoff },
      { retries: 2, backoff: { baseMs: 501, maxMs: 1_000 } },
    ]) {
      const { secret, db } = rotationWindow();
      const pool = await poolWithSpares(db, secret, retry);
      secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
      db.setPassword('app', 'pw-2');

      await expect(pool.open()).resolves.toBe('app via AWSPENDING v2');
      expect(pool.spares.opened).toEqual([]);
    }
  });

  it('is closed when the connection gives up before a login took it', async () => {
    const { secret, db } = rotationWindow();
    const pool = await poolWithSpares(db, secret);
    secret.put('v2', 'app', 'pw-2', 'AWSPENDING');
    db.setPassword('app', 'set-out-of-band');
    // Round 0 ends with nothing left to try, and round 1 fails before its login.
    const failure = new Error('the pool was closed during the backoff');
    const first = pool.selector.forNewConnection.bind(pool.selector);
    vi.spyOn(pool.selector, 'forNewConnection').mockImplementationOnce(first).mockRejectedValue(failure);

    await expect(pool.open()).rejects.toBe(failure);

    expect(pool.spares.opened.map(({ taken, discarded }) => ({ taken, discarded }))).toEqual([
      { taken: true, discarded: false },
      { taken: false, discarded: true },
    ]);
  });
});

/** A TCP listener on loopback that greets like a MySQL server and counts what reached it. */
async function listener(): Promise<{
  server: Server;
  port: number;
  accepted: Socket[];
  closed: () => number;
}> {
  const accepted: Socket[] = [];
  let closed = 0;
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.on('close', () => closed++);
    socket.on('error', () => undefined);
    socket.write('greeting');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, port, accepted, closed: () => closed };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('SpareSocket', () => {
  it('connects at once and hands over the socket with the greeting still to read', async () => {
    const { server, port, accepted } = await listener();
    const spare = new SpareSocket({ host: '127.0.0.1', port, enableKeepAlive: true });
    await until(() => accepted.length === 1);

    const socket = spare.take() as Socket;
    const greeting = await new Promise<string>((resolve) =>
      socket.once('data', (data) => resolve(String(data))),
    );

    expect(greeting).toBe('greeting');
    expect(spare.take()).toBeUndefined();
    socket.destroy();
    server.close();
  });

  it('is closed, not handed over, once older than a second', async () => {
    const { server, port, accepted, closed } = await listener();
    const spare = new SpareSocket({ host: '127.0.0.1', port });
    await until(() => accepted.length === 1);
    const now = performance.now();
    vi.spyOn(performance, 'now').mockReturnValue(now + 1_001);

    expect(spare.take()).toBeUndefined();
    await until(() => closed() === 1);
    server.close();
  });

  it('is closed by discard unless taken', async () => {
    const { server, port, accepted, closed } = await listener();
    const spare = new SpareSocket({ host: '127.0.0.1', port });
    await until(() => accepted.length === 1);

    spare.discard();

    await until(() => closed() === 1);
    expect(spare.take()).toBeUndefined();
    server.close();
  });

  it('that fails (nothing listening) neither throws nor is handed over', async () => {
    const { server, port } = await listener();
    await new Promise((resolve) => server.close(resolve));
    const spare = new SpareSocket({ host: '127.0.0.1', port });
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(spare.take()).toBeUndefined();
  });
});
