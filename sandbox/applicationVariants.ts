import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createConnection,
  createPool as createMysqlPool,
  type Pool,
  type PoolOptions,
  type SslOptions,
} from 'mysql2/promise';
import { createPool } from '../client/src/index.ts';
import type { QueryKind, Variant } from './applicationLoadRecord.ts';

/** How one variant of the application reaches its instances. */
export interface Connector {
  /** The pool of instance `index` whose kept connections serve the pooled queries. */
  pooled(index: number): Pool;
  /** Opens a new connection to instance `index` (a login), runs `SELECT 1` and closes it. */
  newConnection(index: number): Promise<void>;
  end(): Promise<void>;
}

export interface ConnectorContext {
  secrets: SecretsManagerClient;
  secretId: string;
  instances: { host: string; port: number }[];
  caPem: string;
  refreshIntervalMs: number;
  pooledConnections: number;
  /** Called when a client pool switches credentials (client variant only). */
  onSwitch(index: number, kind: QueryKind, label: string, reason: string): void;
}

// The same for every variant: a connection attempt that hangs counts as failed after this long.
const CONNECT_TIMEOUT_MS = 5_000;
// Room for the new connections in flight at once (the generator caps them lower).
const NEW_CONNECTION_LIMIT = 64;
// The same for every variant. mysql2 gives each connection a prepared-statement cache of 16,000
// entries by default, allocated up front (about 400 KB): at 50 new connections a second, its
// garbage doubled the CPU of each load process (6.3 against 3.2 ms per connection), and three
// of them saturated this 2-core machine exactly when the rotations' processes run. The load
// prepares no statement.
const MAX_PREPARED_STATEMENTS = 1;

export async function connectorFor(variant: Variant, context: ConnectorContext): Promise<Connector> {
  if (variant === 'client') return clientConnector(context);
  return mysql2Connector(context, variant === 'reread');
}

interface Credentials {
  user: string;
  password: string;
}

async function readCurrent(context: ConnectorContext): Promise<Credentials> {
  const value = await context.secrets.send(
    new GetSecretValueCommand({ SecretId: context.secretId, VersionStage: 'AWSCURRENT' }),
  );
  const parsed = JSON.parse(value.SecretString ?? '{}') as { username?: unknown; password?: unknown };
  if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string') {
    throw new Error(`secret ${context.secretId} holds no "username" and "password" strings`);
  }
  return { user: parsed.username, password: parsed.password };
}

function isAccessDenied(error: unknown): boolean {
  return (error as { errno?: unknown }).errno === 1045;
}

/**
 * Plain mysql2 with the credentials of the start. With `rereadOnRefusal`, every refused login
 * reads AWSCURRENT again (each refusal its own read, as the AWS advanced Node.js wrapper does)
 * and tries once more with what it got.
 */
async function mysql2Connector(context: ConnectorContext, rereadOnRefusal: boolean): Promise<Connector> {
  let credentials = await readCurrent(context);
  // One TLS options object for every connection: mysql2 keeps one parsed TLS context per object.
  const ssl: SslOptions = { ca: context.caPem, rejectUnauthorized: true, verifyIdentity: true };
  const pools = context.instances.map((instance) =>
    createMysqlPool({
      ...instance,
      ...credentials,
      ssl,
      connectionLimit: context.pooledConnections,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxPreparedStatements: MAX_PREPARED_STATEMENTS,
    }),
  );
  const open = async (index: number, login: Credentials) => {
    const connection = await createConnection({
      ...instanceAt(context, index),
      ...login,
      ssl,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxPreparedStatements: MAX_PREPARED_STATEMENTS,
    });
    try {
      await connection.query('SELECT 1');
    } finally {
      connection.destroy();
    }
  };
  return {
    pooled: (index) => pools[index] as Pool,
    async newConnection(index) {
      try {
        await open(index, credentials);
      } catch (error) {
        if (!rereadOnRefusal || !isAccessDenied(error)) throw error;
        credentials = await readCurrent(context);
        await open(index, credentials);
      }
    },
    async end() {
      await Promise.allSettled(pools.map((pool) => pool.end()));
    },
  };
}

/**
 * The client: per instance one pool for the kept connections and one for the new ones (a pool
 * hands out idle connections before it logs in again, so new logins need a pool of their own);
 * all of them share the Secrets Manager client, hence one cache and one read at a time.
 */
function clientConnector(context: ConnectorContext): Connector {
  const poolFor = (index: number, kind: QueryKind, options: Partial<PoolOptions>) =>
    createPool({
      ...instanceAt(context, index),
      ...options,
      secretId: context.secretId,
      secretsManager: context.secrets,
      ssl: { ca: context.caPem },
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxPreparedStatements: MAX_PREPARED_STATEMENTS,
      refreshIntervalMs: context.refreshIntervalMs,
      onCredentialsChange: (change) => context.onSwitch(index, kind, change.label, change.reason),
    });
  const pooled = context.instances.map((_, index) =>
    poolFor(index, 'pooled', { connectionLimit: context.pooledConnections }),
  );
  const fresh = context.instances.map((_, index) =>
    poolFor(index, 'new', { connectionLimit: NEW_CONNECTION_LIMIT }),
  );
  return {
    pooled: (index) => pooled[index] as Pool,
    async newConnection(index) {
      const connection = await (fresh[index] as Pool).getConnection();
      try {
        await connection.query('SELECT 1');
      } finally {
        // Destroyed, not released: the next new connection must log in again.
        connection.destroy();
      }
    },
    async end() {
      await Promise.allSettled([...pooled, ...fresh].map((pool) => pool.end()));
    },
  };
}

function instanceAt(context: ConnectorContext, index: number): { host: string; port: number } {
  const instance = context.instances[index];
  if (instance === undefined) throw new Error(`no instance ${index}`);
  return instance;
}
