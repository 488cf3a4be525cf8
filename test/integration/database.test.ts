import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candidate } from '../../function/src/candidates.ts';
import { type ConnectOptions, type DbInstance, DbSession } from '../../function/src/database.ts';
import { DatabaseError } from '../../function/src/errors.ts';
import { bringToPassword, type PasswordPlan } from '../../function/src/passwordSetter.ts';
import { nativePasswordHash } from '../../function/src/passwordStatements.ts';
import { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { createTestCa } from '../../sandbox/testCa.ts';
import { leakedFragments, textsOf } from '../leaks.ts';

// The database session and its password statements against real MariaDB servers with TLS: what
// the login reads, which form of the change reaches the server (and its logs), and how the
// session copes with sql_mode, other authentication plugins and password validation.
const dir = mkdtempSync(join(tmpdir(), 'database-'));
const ca = createTestCa(dir);
const server = new MariaDbServer({ tls: ca.issueServerCert('db', ['localhost'], ['127.0.0.1']) });
// MariaDB answering VERSION() like MySQL: the function sends it MySQL's statement.
const mysqlLike = new MariaDbServer({
  tls: ca.issueServerCert('mysql-like', ['localhost'], ['127.0.0.1']),
  versionString: '8.0.36',
});
let options: ConnectOptions;
let userCount = 0;

// Every character class the generator leaves out, with non-ASCII letters: each 4 characters in a
// row hold characters no log line has by chance, so a fragment found is a leak.
const TRICKY_CURRENT = `Cé'r"ü\\% Xø'k"9\\%Ñ ß'W1`;
const TRICKY_PENDING = `Pä'q"ö\\% Yå'j"8\\%Ü ð'V2`;
const AWKWARD_MODES = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES';

beforeAll(async () => {
  await Promise.all([server.start(), mysqlLike.start()]);
  options = { tlsCa: readFileSync(ca.caFile, 'utf8'), connectTimeoutMs: 2000, queryTimeoutMs: 2000 };
});

afterAll(async () => {
  await Promise.allSettled([server.stop(), mysqlLike.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const instance = (db: MariaDbServer): DbInstance => ({
  id: `db-${db.port}`,
  host: 'localhost',
  port: db.port,
});

async function newUser(db: MariaDbServer, password: string, extra = {}): Promise<string> {
  const name = `dbuser${++userCount}`;
  await db.createUser(name, password, extra);
  return name;
}

function plan(username: string, from: string, to: string): PasswordPlan {
  return {
    username,
    target: { label: 'pending', password: to },
    order: ['current', 'pending'],
    candidates: [{ label: 'current', password: from } satisfies Candidate],
  };
}

/**
 * Runs `action` with the server's global sql_mode set to `mode`: sessions opened meanwhile start
 * with it. The sandbox's own statements (creating users) run before, in the default mode, since
 * they send passwords as client-escaped literals too.
 */
async function withGlobalSqlMode<T>(db: MariaDbServer, mode: string, action: () => Promise<T>): Promise<T> {
  const [row] = await db.adminQuery('SELECT @@GLOBAL.sql_mode AS mode');
  await db.adminQuery('SET GLOBAL sql_mode = ?', [`${row?.mode},${mode}`]);
  try {
    return await action();
  } finally {
    await db.adminQuery('SET GLOBAL sql_mode = ?', [row?.mode]);
  }
}

/** SELECTs and SETs the server ran while `action` ran (counters of kinds: quits do not move them). */
async function countStatements(db: MariaDbServer, action: () => Promise<unknown>) {
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

async function installPlugin(db: MariaDbServer, name: string, soname: string): Promise<void> {
  const rows = await db.adminQuery('SELECT 1 FROM information_schema.PLUGINS WHERE PLUGIN_NAME = ?', [name]);
  if (rows.length === 0) await db.adminQuery(`INSTALL SONAME '${soname}'`);
}

async function failure(attempt: Promise<unknown>): Promise<DatabaseError> {
  const error = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DatabaseError);
  return error as DatabaseError;
}

describe('the login', () => {
  it('reads the user, the engine, the sql_mode and the read-only state in one statement', async () => {
    const user = await newUser(server, 'Login-Password-1');
    const [defaults] = await server.adminQuery('SELECT @@GLOBAL.sql_mode AS mode, VERSION() AS version');
    let session: DbSession | undefined;

    const counted = await countStatements(server, async () => {
      session = await DbSession.open(instance(server), user, 'Login-Password-1', options);
      await session.close();
    });

    expect(session?.server).toEqual({
      user: `${user}@%`,
      engine: 'mariadb',
      version: defaults?.version,
      // mysql2 asks for IGNORE_SPACE with a client flag; the server adds it to the session's mode.
      sqlMode: `IGNORE_SPACE,${defaults?.mode}`,
      readOnly: false,
    });
    expect(counted).toEqual({ selects: 1, sets: 0 });
  });

  it('reports a server set read-only', async () => {
    const user = await newUser(server, 'Login-Password-2');
    await server.adminQuery('SET GLOBAL read_only = ON');
    try {
      const session = await DbSession.open(instance(server), user, 'Login-Password-2', options);
      await session.close();

      expect(session.server.readOnly).toBe(true);
    } finally {
      await server.adminQuery('SET GLOBAL read_only = OFF');
    }
  });

  it('takes a server whose version does not name MariaDB for MySQL', async () => {
    const user = await newUser(mysqlLike, 'Login-Password-3');

    const session = await DbSession.open(instance(mysqlLike), user, 'Login-Password-3', options);
    await session.close();

    expect(session.server).toMatchObject({ engine: 'mysql', version: '8.0.36' });
  });
});

describe('a password change on MariaDB', () => {
  it("sends the mysql_native_password hash the server's own PASSWORD() computes", async () => {
    const passwords = [TRICKY_CURRENT, TRICKY_PENDING, 'plain-Password-1', 'Ünïcödé ∂ 𝒳 ä'];

    const hashes = await Promise.all(
      passwords.map(async (password) => {
        const [row] = await server.adminQuery('SELECT PASSWORD(?) AS hash', [password]);
        return row?.hash;
      }),
    );

    expect(passwords.map(nativePasswordHash)).toEqual(hashes);
  });

  it('leaves only the hash in the general and slow query logs: no piece of either password', async () => {
    const user = await newUser(server, TRICKY_CURRENT);
    const general = join(server.directory, 'general-hash.log');
    const slow = join(server.directory, 'slow-hash.log');
    // Every statement counts as slow: the slow log then shows what it would hold for a slow change.
    await server.adminQuery('SET GLOBAL general_log_file = ?, slow_query_log_file = ?, long_query_time = 0', [
      general,
      slow,
    ]);
    await server.adminQuery('SET GLOBAL general_log = ON, slow_query_log = ON');
    try {
      const outcome = await bringToPassword(
        instance(server),
        plan(user, TRICKY_CURRENT, TRICKY_PENDING),
        options,
      );

      expect(outcome).toEqual({ outcome: 'changed', from: 'current' });
    } finally {
      await server.adminQuery(
        'SET GLOBAL general_log = OFF, slow_query_log = OFF, long_query_time = DEFAULT',
      );
    }
    const logs = [readFileSync(general, 'utf8'), readFileSync(slow, 'utf8')];
    expect(leakedFragments(logs, [TRICKY_CURRENT, TRICKY_PENDING])).toEqual([]);
    for (const log of logs) expect(log).toContain(`SET PASSWORD = '${nativePasswordHash(TRICKY_PENDING)}'`);
  });

  it('changes passwords full of quotes, backslashes, spaces and non-ASCII letters under NO_BACKSLASH_ESCAPES and ANSI_QUOTES', async () => {
    const user = await newUser(server, TRICKY_CURRENT);

    const outcome = await withGlobalSqlMode(server, AWKWARD_MODES, () =>
      bringToPassword(instance(server), plan(user, TRICKY_CURRENT, TRICKY_PENDING), options),
    );

    expect(outcome).toEqual({ outcome: 'changed', from: 'current' });
    expect(await server.accepts(user, TRICKY_PENDING, ca.caFile)).toBe(true);
    expect(await server.accepts(user, TRICKY_CURRENT, ca.caFile)).toBe(false);
  });

  it('falls back to the plaintext form for an account of another plugin, with NO_BACKSLASH_ESCAPES taken out first', async () => {
    await installPlugin(server, 'ed25519', 'auth_ed25519');
    const user = await newUser(server, 'Native-Before-1');
    // The session starts in the awkward mode; the account changes plugin under it.
    const session = await withGlobalSqlMode(server, AWKWARD_MODES, () =>
      DbSession.open(instance(server), user, 'Native-Before-1', options),
    );
    await server.adminQuery("ALTER USER ?@'%' IDENTIFIED VIA ed25519 USING PASSWORD(?)", [
      user,
      'Ed-Before-2',
    ]);
    const reference = await newUser(server, 'Unused-Password-3');
    await server.adminQuery("ALTER USER ?@'%' IDENTIFIED VIA ed25519 USING PASSWORD(?)", [
      reference,
      TRICKY_PENDING,
    ]);

    let form: string;
    try {
      form = await session.changePassword(TRICKY_PENDING);
    } finally {
      await session.close();
    }

    expect(session.server.sqlMode).toContain('NO_BACKSLASH_ESCAPES');
    expect(form).toBe('plaintext');
    const stored = async (name: string) => {
      const [row] = await server.adminQuery(`SHOW CREATE USER ?@'%'`, [name]);
      return String(Object.values(row ?? {})[0]).match(/USING '([^']+)'/)?.[1];
    };
    expect(await stored(user)).toBe(await stored(reference));
  });

  it('falls back to the plaintext form under strict password validation, and reports a refusal by code and errno only', async () => {
    await installPlugin(server, 'simple_password_check', 'simple_password_check');
    try {
      const user = await newUser(server, TRICKY_CURRENT);

      const changed = await withGlobalSqlMode(server, AWKWARD_MODES, () =>
        bringToPassword(instance(server), plan(user, TRICKY_CURRENT, TRICKY_PENDING), options),
      );
      const refused = await failure(
        bringToPassword(instance(server), plan(user, TRICKY_PENDING, 'weak'), options),
      );

      expect(changed).toEqual({ outcome: 'changed', from: 'current' });
      expect(await server.accepts(user, TRICKY_PENDING, ca.caFile)).toBe(true);
      expect(refused.kind).toBe('fatal');
      expect(refused.message).toBe(
        "database error: the password change failed with error 1819 (ER_NOT_VALID_PASSWORD); the server's message is not shown because the statement carried the password",
      );
      expect(await server.accepts(user, TRICKY_PENDING, ca.caFile)).toBe(true);
    } finally {
      await server.adminQuery("UNINSTALL SONAME 'simple_password_check'");
    }
  });
});

describe('a password change on MySQL', () => {
  it('sends the plaintext literal intact under NO_BACKSLASH_ESCAPES, and no piece of it comes back', async () => {
    // On this MariaDB, MySQL's statement from a user with CREATE USER is acknowledged and does
    // nothing: reaching that answer (rather than a syntax error) shows the literal was whole.
    const user = await newUser(mysqlLike, TRICKY_CURRENT, { grantCreateUser: true });

    const error = await withGlobalSqlMode(mysqlLike, AWKWARD_MODES, () =>
      failure(bringToPassword(instance(mysqlLike), plan(user, TRICKY_CURRENT, TRICKY_PENDING), options)),
    );

    expect(error.message).toMatch(
      /acknowledged the password change but refuses the pending password .* still accepts the current password/,
    );
    expect(
      leakedFragments(textsOf({ ...error, message: error.message }), [TRICKY_CURRENT, TRICKY_PENDING]),
    ).toEqual([]);
  });
});
