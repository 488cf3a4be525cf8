import { createHash } from 'node:crypto';
import { DatabaseError } from './errors.ts';

/**
 * The statements that change a session's own password, and what decides between them. Whatever
 * can, travels as mysql_native_password's hash: the plaintext then never reaches the server, its
 * general or slow query log, its binary log or its process list.
 */

/**
 * mysql_native_password's stored form of a password: '*' and the upper-case hex of
 * SHA1(SHA1(its UTF-8 bytes)). Hex only, so the statement that carries it means the same in
 * every sql_mode and needs no escaping. UTF-8 because that is what mysql2 hashes at login.
 */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

/** MariaDB: the hash form; the only statement the function sends in the normal case. */
export function setPasswordHashSql(password: string): string {
  return `SET PASSWORD = '${nativePasswordHash(password)}'`;
}

/**
 * The plaintext forms, for the engines and accounts that cannot take the hash. The password goes
 * in as a client-escaped placeholder (prepared statements cannot carry it in these statements on
 * MariaDB). MariaDB accepts `ALTER USER CURRENT_USER()` from a user with CREATE USER and silently
 * changes nothing, so it gets `SET PASSWORD`; MySQL's caching_sha2_password needs the plaintext.
 */
export const PLAINTEXT_SQL = {
  mariadb: 'SET PASSWORD = PASSWORD(?)',
  mysql: 'ALTER USER CURRENT_USER() IDENTIFIED BY ?',
} as const;

// ER_PASSWD_LENGTH: the account's plugin is not mysql_native_password (ed25519 wants 43 characters).
const ER_PASSWD_LENGTH = 1372;
// ER_OPTION_PREVENTS_STATEMENT: here --strict-password-validation, which refuses a hash because a
// password validation plugin cannot check it. The same errno means read_only, where the plaintext
// would fail the same way and only reach the server's logs for nothing.
const ER_OPTION_PREVENTS_STATEMENT = 1290;

/** Whether MariaDB's refusal of the hash form calls for the plaintext form. */
export function hashRefusedForPlaintext(errno: number | undefined, readOnly: boolean): boolean {
  return errno === ER_PASSWD_LENGTH || (errno === ER_OPTION_PREVENTS_STATEMENT && !readOnly);
}

const NO_BACKSLASH_ESCAPES = 'NO_BACKSLASH_ESCAPES';
const MODE_LIST = /^[A-Za-z0-9_]*(,[A-Za-z0-9_]+)*$/;

/**
 * The sql_mode a session needs before a client-escaped string literal, or undefined when its mode
 * is already right. mysql2 escapes with backslashes; under NO_BACKSLASH_ESCAPES a backslash is an
 * ordinary character, so `'` in a password ends the literal early (a syntax error quoting the
 * rest of the password) and `\` arrives doubled (a password nobody knows). The other modes leave
 * single-quoted literals alone (ANSI_QUOTES changes only double quotes).
 */
export function literalSafeSqlMode(sqlMode: string): string | undefined {
  if (!MODE_LIST.test(sqlMode)) {
    throw new DatabaseError(
      'fatal',
      `the session's sql_mode is not a list of mode names (${sqlMode.length} characters); refusing to send a password literal`,
    );
  }
  const modes = sqlMode.split(',');
  if (!modes.includes(NO_BACKSLASH_ESCAPES)) return undefined;
  return modes.filter((mode) => mode !== NO_BACKSLASH_ESCAPES).join(',');
}
