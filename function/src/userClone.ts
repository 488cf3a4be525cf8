import type { Candidate } from './candidates.ts';
import { type ConnectOptions, type DbInstance, DbSession, type Engine } from './database.ts';
import { DatabaseError, SecretValueError } from './errors.ts';
import { accountLiteral, grantStatements, parseGrants, sqlString } from './grants.ts';
import { logger } from './logger.ts';
import { acceptsPassword, READ_ONLY_SERVER } from './passwordSetter.ts';
import { nativePasswordHash } from './passwordStatements.ts';
import { checkUserNames } from './userNames.ts';

/**
 * The administrator's side of the alternating-users strategy on one written instance: the other
 * user of the pair made to match the current one (hosts, plugin, TLS requirement, grants) and
 * given the pending password, or, in a rollback, given back its previous password or dropped.
 * The current user is only ever read.
 */

/** Credentials of the administrator who works on an instance, and where they came from. */
export interface Administrator {
  username: string;
  password: string;
  /** For messages: "ADMIN_SECRET_ID" or "the RDS-managed master secret of db-1". */
  source: string;
}

export interface ClonePlan {
  /** The user AWSCURRENT names: read, never changed. */
  current: string;
  /** The user AWSPENDING names: created when missing, given `target`. */
  other: string;
  target: Candidate;
  suffix: string;
}

/** One row of mysql.user: what an account is defined with, besides its password. */
interface Account {
  host: string;
  plugin: string;
  sslType: string;
  sslCipher: string;
  x509Issuer: string;
  x509Subject: string;
}

const NATIVE = new Set(['', 'mysql_native_password']);

/**
 * Brings the other user in step with the current one on every host the current one is defined
 * for, sets its password to the target and checks it with a new login as that user.
 */
export async function bringOtherUserInStep(
  instance: DbInstance,
  admin: Administrator,
  plan: ClonePlan,
  options: ConnectOptions,
): Promise<{ outcome: 'changed' }> {
  await withAdministrator(instance, admin, options, async (session) => {
    try {
      checkUserNames(plan.current, plan.suffix, [session.server.engine]);
    } catch (error) {
      if (error instanceof SecretValueError)
        throw new DatabaseError('fatal', error.message, undefined, { cause: error });
      throw error;
    }
    const accounts = await readAccounts(session, plan.current);
    if (accounts.length === 0) {
      throw new DatabaseError(
        'fatal',
        `user ${plan.current} (named by AWSCURRENT) is not defined on this instance; nothing was changed. ` +
          'Create it, or leave this instance out of the rotation',
      );
    }
    const existing = new Map(
      (await readAccounts(session, plan.other)).map((account) => [account.host, account]),
    );
    for (const account of accounts) {
      const other = existing.get(account.host);
      const literal = accountLiteral(plan.other, account.host);
      if (other === undefined) {
        await createAccount(session, plan.other, account, plan.target.password);
        logger.info('user created', { instance: instance.id, user: plan.other, host: account.host });
      } else if (requireClause(other) !== requireClause(account)) {
        await session.administer(`ALTER USER ${literal} ${requireClause(account)}`, undefined, 'ALTER USER');
      }
      const statements = await grantsToSync(session, plan.current, plan.other, account.host);
      for (const statement of statements) await session.administer(statement, undefined, 'a grant statement');
      if (statements.length > 0) {
        logger.info('grants brought in step', {
          instance: instance.id,
          user: plan.other,
          host: account.host,
          statements: statements.length,
        });
      }
      if (other !== undefined) await setPassword(session, plan.other, other, plan.target.password);
    }
  });
  if (!(await acceptsPassword(instance, plan.other, plan.target, options))) {
    throw new DatabaseError(
      'fatal',
      `user ${plan.other} was given the ${plan.target.label} password, but a new login with it is refused ` +
        '(is it defined for a host this function connects from?)',
    );
  }
  return { outcome: 'changed' };
}

/**
 * Undoes what a failed rotation did to the other user: back to `previous` (the password AWSPREVIOUS
 * holds for it), or dropped when no label names it, which means this rotation created it. The base
 * user is never dropped, whatever the labels say.
 */
export async function restoreOtherUser(
  instance: DbInstance,
  admin: Administrator,
  plan: { other: string; previous: Candidate | undefined; base: string },
  options: ConnectOptions,
): Promise<{ outcome: 'changed' | 'unchanged' }> {
  let changed = false;
  await withAdministrator(instance, admin, options, async (session) => {
    for (const account of await readAccounts(session, plan.other)) {
      if (plan.previous !== undefined) {
        await setPassword(session, plan.other, account, plan.previous.password);
      } else if (plan.other !== plan.base) {
        await session.administer(
          `DROP USER ${accountLiteral(plan.other, account.host)}`,
          undefined,
          'DROP USER',
        );
        logger.info('user dropped: no label names it', {
          instance: instance.id,
          user: plan.other,
          host: account.host,
        });
      } else continue;
      changed = true;
    }
  });
  return { outcome: changed ? 'changed' : 'unchanged' };
}

/**
 * The administrator sets `user`'s password to `target` on every host it is defined for (reset and
 * heal when an administrator is configured): no known password of the user is needed. An
 * instance that already accepts the target is left alone; every change is checked with a new
 * login as the user.
 */
export async function setUserPassword(
  instance: DbInstance,
  admin: Administrator,
  plan: { user: string; target: Candidate; dryRun: boolean },
  options: ConnectOptions,
): Promise<{ outcome: 'unchanged' | 'changed' | 'would-change' }> {
  if (await acceptsPassword(instance, plan.user, plan.target, options)) return { outcome: 'unchanged' };
  let outcome: 'changed' | 'would-change' = 'changed';
  await withAdministrator(instance, admin, options, async (session) => {
    const accounts = await readAccounts(session, plan.user);
    if (accounts.length === 0) {
      throw new DatabaseError(
        'fatal',
        `user ${plan.user} is not defined on this instance; nothing was changed. Create it there as for a ` +
          'new instance, then run the action again',
      );
    }
    if (plan.dryRun) {
      outcome = 'would-change';
      return;
    }
    for (const account of accounts) await setPassword(session, plan.user, account, plan.target.password);
  });
  if (outcome === 'changed' && !(await acceptsPassword(instance, plan.user, plan.target, options))) {
    throw new DatabaseError(
      'fatal',
      `the administrator set the ${plan.target.label} password for user ${plan.user}, but a new login with it is ` +
        "refused: another account of the user may match the function's address first (compare its hosts in " +
        'mysql.user), or its authentication plugin may not take a password',
    );
  }
  return { outcome };
}

/** Logs in as the administrator and refuses a read-only server; the session is always closed. */
async function withAdministrator(
  instance: DbInstance,
  admin: Administrator,
  options: ConnectOptions,
  work: (session: DbSession) => Promise<void>,
): Promise<void> {
  let session: DbSession;
  try {
    session = await DbSession.open(instance, admin.username, admin.password, options);
  } catch (error) {
    if (error instanceof DatabaseError && error.kind === 'auth') {
      throw new DatabaseError(
        'fatal',
        `the administrator ${admin.username} (from ${admin.source}) cannot log in: the server refuses its ` +
          'password. Correct that secret; nothing was changed on this instance',
        error.code,
        { cause: error },
      );
    }
    throw error;
  }
  try {
    if (session.server.readOnly) {
      throw new DatabaseError(
        'fatal',
        'the server is read-only: users and passwords change on its source; nothing was written to it',
        READ_ONLY_SERVER,
      );
    }
    await work(session);
  } finally {
    await session.close();
  }
}

async function readAccounts(session: DbSession, user: string): Promise<Account[]> {
  const rows = await session.administer(
    'SELECT Host AS host, plugin, ssl_type AS sslType, ssl_cipher AS sslCipher, ' +
      `x509_issuer AS x509Issuer, x509_subject AS x509Subject FROM mysql.user WHERE User = ${sqlString(user)}`,
    undefined,
    'reading mysql.user',
  );
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
  return rows.map((row) => ({
    host: text(row.host),
    plugin: text(row.plugin),
    sslType: text(row.sslType).toUpperCase(),
    sslCipher: text(row.sslCipher),
    x509Issuer: text(row.x509Issuer),
    x509Subject: text(row.x509Subject),
  }));
}

/** The REQUIRE clause that gives an account the TLS requirement `account` has. */
function requireClause(account: Account): string {
  switch (account.sslType) {
    case 'ANY':
      return 'REQUIRE SSL';
    case 'X509':
      return 'REQUIRE X509';
    case 'SPECIFIED': {
      const parts = [
        account.sslCipher && `CIPHER ${sqlString(account.sslCipher)}`,
        account.x509Issuer && `ISSUER ${sqlString(account.x509Issuer)}`,
        account.x509Subject && `SUBJECT ${sqlString(account.x509Subject)}`,
      ].filter((part) => part !== '');
      return parts.length === 0 ? 'REQUIRE NONE' : `REQUIRE ${parts.join(' AND ')}`;
    }
    default:
      return 'REQUIRE NONE';
  }
}

function pluginName(account: Account): string {
  if (!/^[A-Za-z0-9_]+$/.test(account.plugin)) {
    throw new DatabaseError(
      'fatal',
      'the current user has an authentication plugin whose name is not a plain identifier; create the other user by hand',
    );
  }
  return account.plugin;
}

/**
 * Creates the other user like `model`: same host, plugin and TLS requirement, with the password.
 * On MariaDB a mysql_native_password account gets the password as its hash; other plugins, and
 * MySQL always, need the plaintext (a placeholder, client-escaped).
 */
async function createAccount(
  session: DbSession,
  user: string,
  model: Account,
  password: string,
): Promise<void> {
  const literal = accountLiteral(user, model.host);
  const require = requireClause(model);
  const engine: Engine = session.server.engine;
  if (engine === 'mariadb' && NATIVE.has(model.plugin)) {
    await session.administer(
      `CREATE USER ${literal} IDENTIFIED BY PASSWORD ${sqlString(nativePasswordHash(password))} ${require}`,
      undefined,
      'CREATE USER',
    );
    return;
  }
  const plugin = pluginName(model);
  const sql =
    engine === 'mariadb'
      ? `CREATE USER ?@? IDENTIFIED VIA ${plugin} USING PASSWORD(?) ${require}`
      : `CREATE USER ?@? IDENTIFIED WITH ${plugin} BY ? ${require}`;
  // Placeholders for every value: the REQUIRE strings above never hold a question mark from us,
  // but a certificate subject might, so they are checked first.
  if (require.includes('?')) {
    throw new DatabaseError(
      'fatal',
      'the TLS requirement of the current user holds a "?"; create the other user by hand',
    );
  }
  await session.administer(sql, [user, model.host, password], 'CREATE USER');
}

/**
 * Sets an existing account's password with ALTER USER, which needs CREATE USER only (SET PASSWORD
 * FOR another user needs UPDATE on the mysql schema): its hash on MariaDB when the plugin takes
 * one, the plaintext (a client-escaped placeholder) otherwise.
 */
async function setPassword(
  session: DbSession,
  user: string,
  account: Account,
  password: string,
): Promise<void> {
  if (session.server.engine === 'mariadb' && NATIVE.has(account.plugin)) {
    await session.administer(
      `ALTER USER ${accountLiteral(user, account.host)} IDENTIFIED BY PASSWORD ${sqlString(nativePasswordHash(password))}`,
      undefined,
      'ALTER USER',
    );
    return;
  }
  const sql =
    session.server.engine === 'mariadb'
      ? `ALTER USER ?@? IDENTIFIED VIA ${pluginName(account)} USING PASSWORD(?)`
      : 'ALTER USER ?@? IDENTIFIED BY ?';
  await session.administer(sql, [user, account.host, password], 'the password change');
}

/** The statements that make other@host's grants equal to current@host's, from SHOW GRANTS of both. */
async function grantsToSync(
  session: DbSession,
  current: string,
  other: string,
  host: string,
): Promise<string[]> {
  const show = async (user: string) =>
    (await session.administer(`SHOW GRANTS FOR ${accountLiteral(user, host)}`, undefined, 'SHOW GRANTS')).map(
      (row) => String(Object.values(row)[0] ?? ''),
    );
  const [source, target] = [parseGrants(await show(current)), parseGrants(await show(other))];
  return grantStatements(source, target, accountLiteral(other, host));
}
