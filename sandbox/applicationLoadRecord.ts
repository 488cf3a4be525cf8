// What an application load process records, shared by the process that writes it
// (applicationLoadProcess.ts) and those that read it (applicationLoad.ts, the analysis).
// Everything is timed with the wall clock (epoch ms) so that the reader can lay the samples over
// the rotation windows it saw from its own process; durations come from the monotonic clock.

/**
 * How the application gets its credentials:
 * - `plain`: mysql2, AWSCURRENT read once at start (what most applications do);
 * - `reread`: mysql2, AWSCURRENT read again after a refused login (1045) and the login tried once
 *   more, as the AWS advanced Node.js wrapper does;
 * - `client`: this repository's client (`createPool`, pools per instance sharing one
 *   Secrets Manager client).
 */
export type Variant = 'plain' | 'reread' | 'client';
export const VARIANTS: readonly Variant[] = ['plain', 'reread', 'client'];

/** `new`: a new connection, `SELECT 1`, closed; `pooled`: `SELECT 1` on a kept pooled connection. */
export type QueryKind = 'new' | 'pooled';

/** [started (epoch ms), latency (ms), instance index, error code, '' when it succeeded] */
export type Sample = [number, number, number, string];

/** One GetSecretValue call: [started (epoch ms), latency (ms), VersionStage asked for, error name or ''] */
export type SecretRead = [number, number, string, string];

/** A client pool switching credentials: [at (epoch ms), instance index, pool kind, label, reason] */
export type CredentialSwitch = [number, number, QueryKind, string, string];

/** The load process's event loop held up: [when it ran again (epoch ms), how late (ms)] */
export type Stall = [number, number];

/**
 * Lateness of the event loop worth recording: beyond it, the process could not start or finish
 * a query in time (a saturated machine, or a long collection), which lengthens every latency.
 */
export const STALL_MS = 20;

/** What the parent asks for: never a password (the process reads the secret itself). */
export interface LoadConfig {
  variant: Variant;
  secretId: string;
  awsEndpoint: string;
  region: string;
  instances: { host: string; port: number }[];
  /** PEM file of the CA the servers' certificates chain to. */
  caFile: string;
  /** The client's refresh interval (client variant only). */
  refreshIntervalMs: number;
  newConnectionEveryMs: number;
  pooledEveryMs: number;
  pooledConnections: number;
  /** The process stops by itself after this long, as if told to. */
  maxRunMs: number;
  /** Where status.json (on SIGUSR2) and record.json (at the end) go. */
  dir: string;
}

/** Everything one load process saw, written when it stops. */
export interface LoadRecord {
  variant: Variant;
  /** host:port of each instance, by index. */
  instances: string[];
  refreshIntervalMs: number;
  newConnectionEveryMs: number;
  pooledEveryMs: number;
  pooledConnections: number;
  /** When the warm-up was over and the load began. */
  readyAt: number;
  stoppedAt: number;
  /** `stop`: told to (SIGTERM or SIGINT); `time limit`: `maxRunMs` ran out first. */
  endedBy: 'stop' | 'time limit';
  newConnections: Sample[];
  pooledQueries: Sample[];
  /** Ticks of the new-connection schedule skipped because too many were still in flight. */
  skippedNewConnections: number;
  reads: SecretRead[];
  switches: CredentialSwitch[];
  /** Every time the event loop ran more than `STALL_MS` late. */
  stalls: Stall[];
}

export interface KindCounts {
  attempts: number;
  failed: number;
}

/** Running totals, written on request while the load runs. */
export interface LoadSnapshot {
  seq: number;
  at: number;
  newConnections: KindCounts;
  pooledQueries: KindCounts;
  /** Failed queries of both kinds, by instance index. */
  failedByInstance: number[];
  reads: number;
}

/** The samples and totals of one load process. */
export class Recorder {
  readonly newConnections: Sample[] = [];
  readonly pooledQueries: Sample[] = [];
  readonly reads: SecretRead[] = [];
  readonly switches: CredentialSwitch[] = [];
  readonly stalls: Stall[] = [];
  skippedNewConnections = 0;
  private readonly failedByInstance: number[];

  constructor(instances: number) {
    this.failedByInstance = Array.from({ length: instances }, () => 0);
  }

  add(kind: QueryKind, sample: Sample): void {
    (kind === 'new' ? this.newConnections : this.pooledQueries).push(sample);
    if (sample[3] !== '') this.failedByInstance[sample[2]] = (this.failedByInstance[sample[2]] ?? 0) + 1;
  }

  snapshot(seq: number): LoadSnapshot {
    const counts = (samples: Sample[]): KindCounts => ({
      attempts: samples.length,
      failed: samples.filter((s) => s[3] !== '').length,
    });
    return {
      seq,
      at: Date.now(),
      newConnections: counts(this.newConnections),
      pooledQueries: counts(this.pooledQueries),
      failedByInstance: [...this.failedByInstance],
      reads: this.reads.length,
    };
  }
}

/**
 * The code of a failed query as the record keeps it: mysql2's error code (`ER_ACCESS_DENIED_ERROR`,
 * `ECONNREFUSED`) or, for errors without one, the error's name (`CredentialsRejectedError`).
 * Never the message: it is the only part that could carry a value from the secret.
 */
export function errorCode(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  if (typeof name === 'string' && name !== '') return name;
  return 'unknown';
}
