import { rmSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Connection,
  type ConnectionOptions,
  createConnection,
  type ResultSetHeader,
  type RowDataPacket,
} from 'mysql2/promise';
import { BoundedProcess, type ReleasedProcess, registerExitCleanup } from './boundedProcess.ts';
import { dataDirTemplate, MARIADBD, RUN_AS, SMALL_INNODB } from './mariadbDataDir.ts';
import { type ReplicationRole, replicationArgs } from './mariadbReplication.ts';
import { freePort } from './ports.ts';
import type { ServerTlsFiles } from './testCa.ts';

// The Aria page cache (system tables) and MyISAM key buffer default to 128 MB each and are
// touched at start-up: shrinking them takes a server from ~85 MB to ~55 MB RSS.
const SMALL_CACHES = ['--aria-pagecache-buffer-size=1M', '--key-buffer-size=1M'];

/** Test users are created for any host unless told otherwise, so TCP logins from 127.0.0.1 match. */
const ANY_HOST = '%';

// Errnos that mean "the server refused these credentials" rather than "something is broken".
const ER_ACCESS_DENIED = 1045;
const ER_ACCOUNT_LOCKED = 4151;

export interface MariaDbServerOptions {
  /** Default: a free port (picked again if another process grabs it first). */
  port?: number;
  /** Without it the server speaks no TLS at all. */
  tls?: ServerTlsFiles;
  /** What `SELECT VERSION()` returns (mariadbd `--version=...`), e.g. '8.0.36' to look like MySQL. */
  versionString?: string;
  startTimeoutMs?: number;
  /** The server is SIGKILLed after this long whatever happens. */
  maxLifetimeMs?: number;
  /**
   * More mariadbd options, after the sandbox's own (the later of two wins): e.g. `--log-bin=binlog`
   * (relative paths are in the data directory) or `--sql-mode=...`.
   */
  serverArgs?: string[];
  /** A server of a replication topology: its own server id, a binary log, read-only flags. */
  replication?: ReplicationRole;
}

export interface TestUserOptions {
  /** The account's host part, e.g. '127.0.0.%' for a user that may log in from loopback only. */
  host?: string;
  requireSsl?: boolean;
  grantCreateUser?: boolean;
  maxUserConnections?: number;
}

export interface LoginTls {
  caFile: string;
  /** Host name the certificate must match; without it the host name is not verified. */
  servername?: string;
}

/** A mysql2 error as far as tests look at it. */
export interface LoginError extends Error {
  code?: string;
  errno?: number;
}

/** One independent mariadbd on 127.0.0.1 with its own data directory, socket and port. */
export class MariaDbServer {
  private currentPort: number | undefined;
  private dir: string | undefined;
  private process: BoundedProcess | undefined;
  private unregisterCleanup: (() => void) | undefined;
  /** The host part of each user createUser made; every other account is '%'. */
  private readonly userHosts = new Map<string, string>();

  constructor(private readonly options: MariaDbServerOptions = {}) {
    this.currentPort = options.port;
  }

  get port(): number {
    if (this.currentPort === undefined) throw new Error('the server has not been started');
    return this.currentPort;
  }

  get pid(): number | undefined {
    return this.process?.isRunning ? this.process.pid : undefined;
  }

  get socketPath(): string {
    return join(this.requireDir(), 'mysqld.sock');
  }

  get errorLogFile(): string {
    return join(this.requireDir(), 'error.log');
  }

  /** The server's own temporary directory: data, socket, logs. */
  get directory(): string {
    return this.requireDir();
  }

  /** Where relative paths in `serverArgs` (a binary log, a general log) end up. */
  get dataDirectory(): string {
    return join(this.requireDir(), 'data');
  }

  /** Creates the data directory (first call only) and resolves once the server accepts logins. */
  async start(): Promise<void> {
    if (this.process?.isRunning) throw new Error('the server is already running');
    if (this.dir === undefined) await this.createDataDir();
    // A port picked by us may be taken by another process between probe and bind: try again.
    for (let attempt = 1; ; attempt++) {
      this.currentPort ??= await freePort();
      // One log per start, so that a failure shows only what this start wrote.
      await rm(this.errorLogFile, { force: true });
      try {
        await this.launch();
        return;
      } catch (error) {
        const portTaken = /Address already in use/.test(await this.errorLog());
        if (!portTaken || this.options.port !== undefined || attempt >= 3) throw error;
        this.currentPort = undefined;
      }
    }
  }

  /** Stops the server and removes its data. */
  async stop(): Promise<void> {
    await this.process?.stop();
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.unregisterCleanup?.();
  }

  /** Stops (if running) and starts the process on the same port with the same data. */
  async restart(): Promise<void> {
    this.requireDir();
    await this.process?.stop();
    await this.start();
  }

  /**
   * Lets the server outlive this process (see BoundedProcess.release); its new owner removes
   * `directory` once it has stopped it.
   */
  release(): ReleasedProcess {
    const released = this.requireProcess().release();
    this.unregisterCleanup?.();
    return released;
  }

  /** SIGSTOP: connections hang instead of failing, like an unresponsive host. */
  pause(): void {
    this.requireProcess().signal('SIGSTOP');
  }

  resume(): void {
    this.requireProcess().signal('SIGCONT');
  }

  /** SIGKILL, keeping the data so that `restart()` works (with crash recovery). */
  async kill(): Promise<void> {
    await this.requireProcess().kill();
  }

  /** Runs one statement as root over the unix socket (no TLS, no password). */
  async adminQuery<T extends RowDataPacket[] | ResultSetHeader = RowDataPacket[]>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T> {
    const connection = await createConnection({ socketPath: this.socketPath, user: 'root' });
    try {
      const [result] = await connection.query<T>(sql, params);
      return result;
    } finally {
      await connection.end();
    }
  }

  async createUser(
    name: string,
    password: string,
    { host = ANY_HOST, requireSsl = true, grantCreateUser = false, maxUserConnections }: TestUserOptions = {},
  ): Promise<void> {
    let sql = 'CREATE USER ?@? IDENTIFIED BY ?';
    if (requireSsl) sql += ' REQUIRE SSL';
    if (maxUserConnections !== undefined) {
      if (!Number.isInteger(maxUserConnections) || maxUserConnections < 0) {
        throw new Error(`maxUserConnections must be a non-negative integer, got ${maxUserConnections}`);
      }
      sql += ` WITH MAX_USER_CONNECTIONS ${maxUserConnections}`;
    }
    await this.adminQuery(sql, [name, host, password]);
    this.userHosts.set(name, host);
    // Explicit although implied: logging in and SELECT CURRENT_USER() need no more than USAGE.
    await this.adminQuery('GRANT USAGE ON *.* TO ?@?', [name, host]);
    // CREATE USER is what makes MariaDB's `ALTER USER CURRENT_USER() IDENTIFIED BY` a silent no-op.
    if (grantCreateUser) await this.adminQuery('GRANT CREATE USER ON *.* TO ?@?', [name, host]);
  }

  /** The host part of `user`'s account: what createUser was given (here or on a source), else '%'. */
  userHost(user: string): string {
    return this.userHosts.get(user) ?? ANY_HOST;
  }

  /** Remembers the host of a user that reached this server without createUser (by replication). */
  knowUser(user: string, host: string): void {
    this.userHosts.set(user, host);
  }

  async setPassword(user: string, password: string): Promise<void> {
    await this.adminQuery('ALTER USER ?@? IDENTIFIED BY ?', [user, this.userHost(user), password]);
  }

  async lockAccount(user: string): Promise<void> {
    await this.adminQuery('ALTER USER ?@? ACCOUNT LOCK', [user, this.userHost(user)]);
  }

  async unlockAccount(user: string): Promise<void> {
    await this.adminQuery('ALTER USER ?@? ACCOUNT UNLOCK', [user, this.userHost(user)]);
  }

  /**
   * Whether a TLS login (CA verified) with these credentials works. False when the server
   * refuses the credentials (wrong password, no TLS for a REQUIRE SSL user, locked account);
   * any other failure (TLS, network) is thrown, since it means the test set-up is wrong.
   */
  async accepts(user: string, password: string, caFile: string, servername?: string): Promise<boolean> {
    const error = await this.loginError(user, password, { caFile, servername });
    if (error === undefined) return true;
    if (error.errno === ER_ACCESS_DENIED || error.errno === ER_ACCOUNT_LOCKED) return false;
    throw error;
  }

  /** Tries a login (over TLS when `tls` is given) and returns the error, or undefined on success. */
  async loginError(user: string, password: string, tls?: LoginTls): Promise<LoginError | undefined> {
    try {
      const connection = await this.connect(user, password, tls);
      await connection.end();
      return undefined;
    } catch (error) {
      return error as LoginError;
    }
  }

  /**
   * Opens `n` connections as `user` (over TLS when `tls` is given) and keeps them open, for
   * "too many connections" with `maxUserConnections`; returns the function that closes them.
   */
  async holdConnections(
    user: string,
    password: string,
    n: number,
    tls?: LoginTls,
  ): Promise<() => Promise<void>> {
    const connections: Connection[] = [];
    const release = async () => {
      await Promise.allSettled(connections.splice(0).map((c) => c.end()));
    };
    try {
      for (let i = 0; i < n; i++) connections.push(await this.connect(user, password, tls));
    } catch (error) {
      await release();
      throw error;
    }
    return release;
  }

  /**
   * A connection to 127.0.0.1 whatever `servername` is: mysql2 takes the TLS server name from
   * `host`, and the `stream` factory decides where the bytes go, so no DNS is needed.
   */
  private async connect(user: string, password: string, tls?: LoginTls): Promise<Connection> {
    const options: ConnectionOptions = {
      host: tls?.servername ?? '127.0.0.1',
      port: this.port,
      user,
      password,
      connectTimeout: 5_000,
      stream: () => netConnect(this.port, '127.0.0.1'),
    };
    if (tls !== undefined) {
      options.ssl = {
        ca: await readFile(tls.caFile, 'utf8'),
        rejectUnauthorized: true,
        verifyIdentity: tls.servername !== undefined,
      };
    }
    const connection = await createConnection(options);
    try {
      const [rows] = await connection.query<RowDataPacket[]>('SELECT CURRENT_USER() AS me');
      if (rows[0]?.me !== `${user}@${this.userHost(user)}`)
        throw new Error(`logged in as ${rows[0]?.me}, not ${user}`);
      return connection;
    } catch (error) {
      await connection.end();
      throw error;
    }
  }

  private async createDataDir(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'mariadb-'));
    this.dir = dir;
    // The process itself is killed by its own exit hook (BoundedProcess).
    this.unregisterCleanup = registerExitCleanup(() => rmSync(dir, { recursive: true, force: true }));
    await cp(await dataDirTemplate(), join(dir, 'data'), { recursive: true });
  }

  private async launch(): Promise<void> {
    const dir = this.requireDir();
    const { tls, versionString } = this.options;
    const args = [
      '--no-defaults',
      ...RUN_AS,
      `--datadir=${join(dir, 'data')}`,
      `--port=${this.port}`,
      '--bind-address=127.0.0.1',
      `--socket=${this.socketPath}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${this.errorLogFile}`,
      '--skip-name-resolve',
      '--performance-schema=OFF',
      ...SMALL_INNODB,
      ...SMALL_CACHES,
      ...replicationArgs(this.options.replication),
    ];
    if (tls !== undefined) {
      args.push(`--ssl-ca=${tls.caFile}`, `--ssl-cert=${tls.certFile}`, `--ssl-key=${tls.keyFile}`);
    }
    if (versionString !== undefined) {
      // A bare --version prints the version and exits; only --version=STR sets VERSION().
      if (versionString === '') throw new Error('versionString must not be empty');
      args.push(`--version=${versionString}`);
    }
    args.push(...(this.options.serverArgs ?? []));
    const child = new BoundedProcess(MARIADBD, args, {
      maxLifetimeMs: this.options.maxLifetimeMs,
      cleanupPath: dir,
    });
    this.process = child;
    await this.waitUntilReady(child);
  }

  private async waitUntilReady(child: BoundedProcess): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? 20_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!child.isRunning) throw await this.startFailure('mariadbd exited during start-up');
      try {
        await this.adminQuery('SELECT 1');
        return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        await child.kill();
        throw await this.startFailure(`mariadbd did not accept connections within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async startFailure(reason: string): Promise<Error> {
    return new Error(`${reason} (port ${this.currentPort}); error log:\n${await this.errorLog()}`);
  }

  private async errorLog(): Promise<string> {
    return readFile(this.errorLogFile, 'utf8').catch(() => '(no error log)');
  }

  private requireDir(): string {
    if (this.dir === undefined) throw new Error('the server has no data directory (not started, or stopped)');
    return this.dir;
  }

  private requireProcess(): BoundedProcess {
    if (!this.process?.isRunning) throw new Error('the server is not running');
    return this.process;
  }
}
