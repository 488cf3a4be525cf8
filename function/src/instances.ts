import { setTimeout as sleep } from 'node:timers/promises';
import type { PasswordLabel } from './candidates.ts';
import type { Config } from './config.ts';
import { type ConnectOptions, type DbInstance, endpointOf } from './database.ts';
import { DatabaseError, type DatabaseErrorKind, ReplicationWaitError } from './errors.ts';
import { logger } from './logger.ts';
import { errorMessage } from './text.ts';

/**
 * `replicated`: a replica or reader (never written to) accepts the password its source was given;
 * `awaiting-reset`: a new instance that accepts only the default provision password, left alone
 * until the application password reset gives it the current one.
 */
type InstanceOutcome =
  | 'changed'
  | 'unchanged'
  | 'would-change'
  | 'verified'
  | 'replicated'
  | 'awaiting-reset'
  | 'failed'
  | 'skipped';

/**
 * Why an instance failed or was skipped: how its database refused, or `deadline` (not started:
 * too little of the Lambda's time left), or `unavailable` (not touched: RDS says it is not
 * available), or `replication` (a replica did not receive the password in time), or `source`
 * (a replica not checked because its source failed).
 */
type InstanceErrorKind = DatabaseErrorKind | 'deadline' | 'unavailable' | 'replication' | 'source';

/** One line of every step's result: what happened on one instance. Never holds a password. */
export interface InstanceReport {
  instance: string;
  endpoint: string;
  outcome: InstanceOutcome;
  /** The password that let the function in, when it changed something. */
  from?: PasswordLabel;
  attempts: number;
  /** Logins a replica wait made (every login counts; only the last one is accepted in the end). */
  logins?: number;
  ms: number;
  error?: string;
  errorKind?: InstanceErrorKind;
}

export interface WorkResult {
  outcome: Exclude<InstanceOutcome, 'failed' | 'skipped'>;
  from?: PasswordLabel;
  logins?: number;
}

/** The Lambda's time budget: no instance work starts when less than `reserveMs` is left. */
export class Deadline {
  constructor(
    private readonly remainingMs: () => number,
    readonly reserveMs: number,
  ) {}

  static unlimited(): Deadline {
    return new Deadline(() => Number.POSITIVE_INFINITY, 0);
  }

  remaining(): number {
    return this.remainingMs();
  }

  tooLate(): boolean {
    return this.remainingMs() < this.reserveMs;
  }
}

export interface RunOptions {
  parallel: number;
  retries: number;
  retryWaitMs: number;
  deadline: Deadline;
  /** What the work is, for the logs: "setSecret", "rollback", "verify", ... */
  phase: string;
}

/** What work on instances needs from one invocation. */
export interface InstanceWork {
  /** How every login of the invocation connects. */
  connect: ConnectOptions;
  /** Parallelism, retries and the deadline; `phase` names the work in the logs. */
  run(phase: string): RunOptions;
}

/**
 * The one place the configuration becomes connect and run options: each invocation builds them
 * once (runRotationStep, runManualAction) and hands them to every instance it works on.
 */
export function instanceWork(
  config: Pick<
    Config,
    'tlsCa' | 'connectTimeoutMs' | 'queryTimeoutMs' | 'parallel' | 'retries' | 'retryWaitMs'
  >,
  deadline: Deadline,
): InstanceWork {
  const connect: ConnectOptions = {
    tlsCa: config.tlsCa,
    connectTimeoutMs: config.connectTimeoutMs,
    queryTimeoutMs: config.queryTimeoutMs,
  };
  const { parallel, retries, retryWaitMs } = config;
  return { connect, run: (phase) => ({ parallel, retries, retryWaitMs, deadline, phase }) };
}

/**
 * Runs `work` on every instance, at most `parallel` at once, retrying transient failures with
 * jittered waits. Never throws: each instance ends with a report, failures included.
 */
export async function forEachInstance<T extends DbInstance>(
  instances: T[],
  work: (instance: T) => Promise<WorkResult>,
  options: RunOptions,
): Promise<InstanceReport[]> {
  const reports: InstanceReport[] = new Array(instances.length);
  let next = 0;
  const worker = async () => {
    while (next < instances.length) {
      const index = next++;
      reports[index] = await runOne(instances[index] as T, work, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, instances.length) }, worker));
  return reports;
}

async function runOne<T extends DbInstance>(
  instance: T,
  work: (instance: T) => Promise<WorkResult>,
  options: RunOptions,
): Promise<InstanceReport> {
  const started = Date.now();
  const base = { instance: instance.id, endpoint: endpointOf(instance) };
  let attempts = 0;
  for (;;) {
    if (options.deadline.tooLate()) {
      const report: InstanceReport = {
        ...base,
        outcome: 'skipped',
        attempts,
        ms: Date.now() - started,
        error: `not started: only ${options.deadline.remaining()} ms of the Lambda's time left (reserve ${options.deadline.reserveMs} ms)`,
        errorKind: 'deadline',
      };
      logger.warn('instance skipped: deadline', { phase: options.phase, ...report });
      return report;
    }
    attempts++;
    try {
      const result = await work(instance);
      const report: InstanceReport = { ...base, ...result, attempts, ms: Date.now() - started };
      logger.info('instance done', { phase: options.phase, ...report });
      return report;
    } catch (error) {
      const kind: InstanceErrorKind =
        error instanceof DatabaseError
          ? error.kind
          : error instanceof ReplicationWaitError
            ? 'replication'
            : 'fatal';
      const retry = kind === 'transient' && attempts <= options.retries;
      const waitMs = retry ? jittered(options.retryWaitMs) : 0;
      logger.debug('instance attempt failed', {
        phase: options.phase,
        instance: instance.id,
        attempt: attempts,
        errorKind: kind,
        error: errorMessage(error),
        retryInMs: retry ? waitMs : undefined,
      });
      if (retry && options.deadline.remaining() - waitMs > options.deadline.reserveMs) {
        await sleep(waitMs);
        continue;
      }
      const report: InstanceReport = {
        ...base,
        outcome: 'failed',
        attempts,
        ...(error instanceof ReplicationWaitError ? { logins: error.logins } : {}),
        ms: Date.now() - started,
        error: errorMessage(error),
        errorKind: kind,
      };
      logger.error('instance failed', { phase: options.phase, ...report });
      return report;
    }
  }
}

/** Between half and one and a half times `ms`, so that retries of many instances do not align. */
function jittered(ms: number): number {
  return Math.round(ms * (0.5 + Math.random()));
}

export function failedReports(reports: InstanceReport[]): InstanceReport[] {
  return reports.filter((report) => report.outcome === 'failed' || report.outcome === 'skipped');
}

/**
 * "db-1 (host:port): reason; db-2 ...": the part of an error message that names each failure,
 * the replicas not checked because their source failed last: the cause comes first.
 */
export function describeFailures(reports: InstanceReport[]): string {
  const failed = failedReports(reports);
  return [
    ...failed.filter((r) => r.errorKind !== 'source'),
    ...failed.filter((r) => r.errorKind === 'source'),
  ]
    .map((report) => `${report.instance} (${report.endpoint}): ${report.error ?? report.outcome}`)
    .join('; ');
}
