import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candidate } from '../../function/src/candidates.ts';
import { type ConnectOptions, type DbInstance, DbSession } from '../../function/src/database.ts';
import { DatabaseError } from '../../function/src/errors.ts';
import { bringToPassword, type PasswordPlan } from '../../function/src/passwordSetter.ts';
import { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { TcpFaultProxy } from '../../sandbox/tcpFaultProxy.ts';
import { createTestCa } from '../../sandbox/testCa.ts';

// The per-instance password logic in-process against real MariaDB servers with TLS, counting
// what the server saw: logins and refused logins are the costs that matter in production.
const dir = mkdtempSync(join(tmpdir(), 'password-setter-'));
const ca = createTestCa(dir);
const server = new MariaDbServer({ tls: ca.issueServerCert('db', ['localhost'], ['127.0.0.1']) });
const lyingServer = new MariaDbServer({
  tls: ca.issueServerCert('lying', ['localhost'], ['127.0.0.1']),
  versionString: '8.0.36',
});
let options: ConnectOptions;
let userCount = 0;

beforeAll(async () => {
  await Promise.all([server.start(), lyingServer.start()]);
  options = { tlsCa: readFileSync(ca.caFile, 'utf8'), connectTimeoutMs: 2000, queryTimeoutMs: 2000 };
});

afterAll(async () => {
  await Promise.allSettled([server.stop(), lyingServer.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const instance = (db: MariaDbServer): DbInstance => ({
  id: `db-${db.port}`,
  host: 'localhost',
  port: db.port,
});
const current: Candidate = { label: 'current', password: 'Current-Password-1' };
const pending: Candidate = { label: 'pending', password: 'Pending-Password-2' };
const previous: Candidate = { label: 'previous', password: 'Previous-Password-3' };

async function newUser(db: MariaDbServer, password: string, options = {}): Promise<string> {
  const name = `user${++userCount}`;
  await db.createUser(name, password, options);
  return name;
}

function setSecretPlan(username: string, extra: Partial<PasswordPlan> = {}): PasswordPlan {
  return {
    username,
    target: pending,
    order: ['current', 'pending', 'previous'],
    candidates: [current, previous],
    ...extra,
  };
}

/** Logins and refused logins the server counted while `action` ran. */
async function serverCounts(db: MariaDbServer, action: () => Promise<unknown>) {
  const read = async () => {
    const rows = await db.adminQuery(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Connections', 'Access_denied_errors')",
    );
    return Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]));
  };
  const before = await read();
  const result = await action();
  const after = await read();
  // The admin connection used by `read` itself counts once.
  return {
    result,
    logins: (after.Connections ?? 0) - (before.Connections ?? 0) - 1,
    refused: (after.Access_denied_errors ?? 0) - (before.Access_denied_errors ?? 0),
  };
}

describe('bringing one instance to the pending password', () => {
  it('needs exactly two logins and no refused login in the normal case', async () => {
    const user = await newUser(server, current.password);

    const counts = await serverCounts(server, () =>
      bringToPassword(instance(server), setSecretPlan(user), options),
    );

    expect(counts).toEqual({ result: { outcome: 'changed', from: 'current' }, logins: 2, refused: 0 });
    expect(await server.accepts(user, pending.password, ca.caFile)).toBe(true);
    expect(await server.accepts(user, current.password, ca.caFile)).toBe(false);
  });

  it('does nothing when an earlier attempt already set the pending password', async () => {
    const user = await newUser(server, pending.password);

    const counts = await serverCounts(server, () =>
      bringToPassword(instance(server), setSecretPlan(user), options),
    );

    expect(counts).toEqual({ result: { outcome: 'unchanged' }, logins: 2, refused: 1 });
  });

  it('brings an instance left on the previous password into the rotation', async () => {
    const user = await newUser(server, previous.password);

    const outcome = await bringToPassword(instance(server), setSecretPlan(user), options);

    expect(outcome).toEqual({ outcome: 'changed', from: 'previous' });
    expect(await server.accepts(user, pending.password, ca.caFile)).toBe(true);
  });

  it('refuses to guess when no known password works, naming what it tried', async () => {
    const user = await newUser(server, 'Unknown-Password-4');

    const attempt = bringToPassword(instance(server), setSecretPlan(user), options);

    await expect(attempt).rejects.toThrow(
      new DatabaseError(
        'auth',
        `none of the known passwords is accepted (tried current, pending, previous) for user ${user}`,
      ),
    );
    expect(await server.accepts(user, 'Unknown-Password-4', ca.caFile)).toBe(true);
  });

  it('reports what it would change in a dry run and changes nothing', async () => {
    const user = await newUser(server, current.password);

    const outcome = await bringToPassword(instance(server), setSecretPlan(user, { dryRun: true }), options);

    expect(outcome).toEqual({ outcome: 'would-change', from: 'current' });
    expect(await server.accepts(user, current.password, ca.caFile)).toBe(true);
  });

  it('catches a server that acknowledges the change but keeps the old password', async () => {
    const user = await newUser(lyingServer, current.password, { grantCreateUser: true });

    const attempt = bringToPassword(instance(lyingServer), setSecretPlan(user), options);

    await expect(attempt).rejects.toThrow(
      /acknowledged the password change but refuses the pending password/,
    );
    expect(await lyingServer.accepts(user, current.password, ca.caFile)).toBe(true);
  });

  it('uses SET PASSWORD on MariaDB, which changes the password of a user holding CREATE USER', async () => {
    const user = await newUser(server, current.password, { grantCreateUser: true });

    const outcome = await bringToPassword(instance(server), setSecretPlan(user), options);

    expect(outcome).toEqual({ outcome: 'changed', from: 'current' });
    expect(await server.accepts(user, pending.password, ca.caFile)).toBe(true);
  });

  it('changes to a password full of SQL quoting characters', async () => {
    const user = await newUser(server, current.password);
    const tricky: Candidate = { label: 'pending', password: 'a\'b"c\\d;e)--f%g_h`i' };

    await bringToPassword(instance(server), setSecretPlan(user, { target: tricky }), options);

    expect(await server.accepts(user, tricky.password, ca.caFile)).toBe(true);
  });
});

/**
 * The statements the server ran while `action` ran, by kind: SELECTs and SETs (SET PASSWORD is
 * one). Counters of kinds, unlike the count of all commands, are not moved by quits or by reading
 * the counters.
 */
async function serverStatements(db: MariaDbServer, action: () => Promise<unknown>) {
  const read = async () => {
    const rows = await db.adminQuery(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_set_option')",
    );
    return Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]));
  };
  const before = await read();
  await action();
  const after = await read();
  return {
    selects: (after.Com_select ?? 0) - (before.Com_select ?? 0),
    sets: (after.Com_set_option ?? 0) - (before.Com_set_option ?? 0),
  };
}

describe('the round trips of one instance', () => {
  it('are one login query per login and the change in the normal case', async () => {
    const user = await newUser(server, current.password);

    const statements = await serverStatements(server, () =>
      bringToPassword(instance(server), setSecretPlan(user), options),
    );

    // The login query on each of the two logins, and SET PASSWORD.
    expect(statements).toEqual({ selects: 2, sets: 1 });
  });
});

describe('a change the server acknowledges', () => {
  it('needs an administrator when neither the new nor the old password works afterwards, and says so', async () => {
    const user = await newUser(server, current.password);
    const proxy = await TcpFaultProxy.start(server.port);
    // Someone else sets another password between the change and the check.
    proxy.set({ kind: 'pass' }, async (n) => {
      if (n === 2) await server.setPassword(user, 'Someone-Elses-Password-5');
    });
    try {
      const attempt = bringToPassword(
        { ...instance(server), port: proxy.port },
        setSecretPlan(user),
        options,
      );

      await expect(attempt).rejects.toThrow(
        new DatabaseError(
          'fatal',
          'MANUAL ACTION NEEDED: the server acknowledged the password change but refuses the pending password ' +
            `on a new connection and refuses the current password too, so user ${user} is on a password the ` +
            'function does not know. An administrator must set it (for example to the default provision ' +
            'password, then run the "reset" action).',
        ),
      );
    } finally {
      await proxy.stop();
    }
  });
});

describe('a read-only server', () => {
  it('gets no password change', async () => {
    const user = await newUser(server, current.password);
    await server.adminQuery('SET GLOBAL read_only = ON');
    try {
      const attempt = bringToPassword(instance(server), setSecretPlan(user), options);

      await expect(attempt).rejects.toMatchObject({ kind: 'fatal', code: 'SERVER_READ_ONLY' });
      await expect(attempt).rejects.toThrow(/the server is read-only/);
      expect(await server.accepts(user, current.password, ca.caFile)).toBe(true);
    } finally {
      await server.adminQuery('SET GLOBAL read_only = OFF');
    }
  });

  it('that already accepts the target is left unchanged', async () => {
    const user = await newUser(server, pending.password);
    await server.adminQuery('SET GLOBAL read_only = ON');
    try {
      const outcome = await bringToPassword(instance(server), setSecretPlan(user), options);

      expect(outcome).toEqual({ outcome: 'unchanged' });
    } finally {
      await server.adminQuery('SET GLOBAL read_only = OFF');
    }
  });
});

describe('a session to a server that does not answer', () => {
  it('gives up within the connect timeout with a transient error', async () => {
    server.pause();
    const started = Date.now();
    try {
      const attempt = DbSession.open(instance(server), 'nobody', 'x', { ...options, connectTimeoutMs: 500 });

      await expect(attempt).rejects.toMatchObject({ kind: 'transient' });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.resume();
    }
  });
});
