import type { Socket } from 'node:net';
import { createPool as createMysqlPool, type Pool, type PoolConnection } from 'mysql2/promise';
import { openWithRotation } from './acquire.ts';
import { CredentialSelector } from './credentials.ts';
import { UnsupportedDriverError } from './errors.ts';
import { type CredentialsChange, parseOptions, type RotatingPoolOptions } from './options.ts';
import { type SecretVersion, secretCacheFor } from './secretCache.ts';
import { SpareSocket } from './spareSocket.ts';

/**
 * The part of mysql2's pool settings that every new pooled connection copies its login and its
 * socket from.
 */
interface LoginSlot {
  user?: string;
  password?: string;
  host: string;
  port: number;
  enableKeepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** The socket, or a function that gives it, when not mysql2's own TCP connection. */
  stream?: unknown;
}

// mysql2 destroys a connection that reports a read-only server instead of returning it to the
// pool (after an Aurora failover the next connection reaches the new writer); so does this pool.
const READ_ONLY_ERRNOS = new Set([1290, 1792, 1836]);

/**
 * A mysql2/promise pool whose new connections log in with the secret's credentials and follow
 * it through rotations; open connections are never touched. `query` and `execute` take a
 * connection through `getConnection`, so a login refused during a rotation is retried with the
 * next credentials before the statement is sent: no statement is ever sent twice.
 */
export function createPool(options: RotatingPoolOptions): Pool {
  const settings = parseOptions(options);
  const { secretId, onCredentialsChange } = settings;
  const pool = createMysqlPool(settings.poolOptions);
  let slot: LoginSlot;
  try {
    slot = loginSlot(pool);
  } catch (error) {
    // The pool may already run its idle-connection timer, which would keep the process alive.
    pool.end().catch(() => undefined);
    throw error;
  }
  const endpoint = `${settings.poolOptions.host ?? 'localhost'}:${settings.poolOptions.port ?? 3306}`;
  const selector = new CredentialSelector(
    secretCacheFor(settings.secretsManager, secretId),
    settings.refreshIntervalMs,
    (version, reason) => {
      // Connections mysql2 creates on its own (for a queued request) use the newest choice too.
      useLogin(slot, version);
      if (onCredentialsChange === undefined) return;
      const { label, versionId, username } = version;
      notify(() =>
        onCredentialsChange({ secretId, endpoint, label, versionId, username, reason, at: new Date() }),
      );
    },
  );
  const acquire = pool.getConnection.bind(pool);
  // mysql2 copies the settings synchronously when this call creates a connection.
  const open = (credentials: SecretVersion, spare: Socket | undefined): Promise<PoolConnection> => {
    useLogin(slot, credentials);
    if (spare === undefined) return acquire();
    let taken = false;
    slot.stream = () => {
      taken = true;
      return spare;
    };
    try {
      return acquire();
    } finally {
      slot.stream = undefined;
      // The pool had a free connection (no login) or none to spare (the request waits).
      if (!taken) spare.destroy();
    }
  };
  // A caller's own stream (a tunnel, say) is the only way to the server: no spare of ours.
  const openSpare = slot.stream === undefined ? () => new SpareSocket(slot) : undefined;
  const getConnection = (): Promise<PoolConnection> =>
    openWithRotation(selector, settings.retry, { secretId, endpoint }, open, openSpare);

  async function withConnection(use: (connection: PoolConnection) => Promise<unknown>): Promise<unknown> {
    const connection = await getConnection();
    try {
      return await use(connection);
    } catch (error) {
      if (READ_ONLY_ERRNOS.has((error as { errno?: number }).errno ?? 0)) connection.destroy();
      throw error;
    } finally {
      connection.release();
    }
  }

  type Statement = (...args: unknown[]) => Promise<unknown>;
  const query: Statement = (...args) =>
    withConnection((connection) => (connection.query as Statement).apply(connection, args));
  const execute: Statement = (...args) =>
    withConnection((connection) => (connection.execute as Statement).apply(connection, args));
  pool.getConnection = getConnection;
  pool.query = query as Pool['query'];
  pool.execute = execute as Pool['execute'];
  return pool;
}

function useLogin(slot: LoginSlot, credentials: SecretVersion): void {
  slot.user = credentials.username;
  slot.password = credentials.password;
}

/**
 * mysql2 3.x keeps the settings new pooled connections are created from in
 * `pool.config.connectionConfig` (copied per connection); changing its user and password
 * changes the login of new connections only. This is mysql2's internal state, not its API:
 * refuse to run on a mysql2 that does not have it rather than log in with stale credentials.
 */
function loginSlot(pool: Pool): LoginSlot {
  const config = (pool.pool as unknown as { config?: { connectionConfig?: unknown } }).config
    ?.connectionConfig;
  if (typeof config !== 'object' || config === null || !('user' in config) || !('password' in config)) {
    throw new UnsupportedDriverError(
      'the installed mysql2 has no pool.config.connectionConfig with user and password, which this ' +
        'client sets for new connections; install mysql2 ^3.24.6 (the peer dependency range)',
    );
  }
  return config as LoginSlot;
}

/** Runs a caller's hook; a metrics hook that throws must never break a connection. */
function notify(hook: () => unknown): void {
  try {
    const result = hook();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // Deliberately ignored (see above).
  }
}

export type { CredentialsChange, RotatingPoolOptions };
