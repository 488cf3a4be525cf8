import type { LoadRecord, Sample, SecretRead } from './applicationLoadRecord.ts';

// Reads an application load's record against what the rotating side saw: the rotations'
// windows and the periods of a scenario (all in epoch ms, the clock both processes share).

/** From `from` to `to` (epoch ms), both included. */
export interface Period {
  from: number;
  to: number;
}

export interface Tally {
  attempts: number;
  failed: number;
  /** Failed queries by error code. */
  byCode: Record<string, number>;
}

export function contains(period: Period, at: number): boolean {
  return at >= period.from && at <= period.to;
}

export function tally(samples: Sample[], keep: (sample: Sample) => boolean = () => true): Tally {
  const result: Tally = { attempts: 0, failed: 0, byCode: {} };
  for (const sample of samples) {
    if (!keep(sample)) continue;
    result.attempts++;
    const code = sample[3];
    if (code === '') continue;
    result.failed++;
    result.byCode[code] = (result.byCode[code] ?? 0) + 1;
  }
  return result;
}

export function sumTallies(tallies: Tally[]): Tally {
  const total: Tally = { attempts: 0, failed: 0, byCode: {} };
  for (const t of tallies) {
    total.attempts += t.attempts;
    total.failed += t.failed;
    for (const [code, n] of Object.entries(t.byCode)) total.byCode[code] = (total.byCode[code] ?? 0) + n;
  }
  return total;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round = (value: number | null, digits = 1) => (value === null ? null : Number(value.toFixed(digits)));

export interface RotationsSummary {
  rotations: number;
  /** Each window: from the start of setSecret to the end of finishSecret. */
  windowMs: { median: number | null; min: number | null; max: number | null };
  newConnections: Tally & { failedInWindows: number };
  pooledQueries: Tally;
  secretReads: { total: number; perRotation: number };
  /** The load process's event loop held up beyond STALL_MS in the period: how often, how long. */
  stalls: { count: number; totalMs: number; longestMs: number };
  latency: {
    /** Median latency of a new connection opened outside every window. */
    outsideMs: number | null;
    /** Median latency of a new connection opened inside a window (the fallbacks among them). */
    insideMs: number | null;
    /**
     * The connections refused first in a window that then fell back (see `fallbackConnections`).
     * `fromCache` of them found AWSPENDING already read (back-to-back rotations: the periodic
     * read while on AWSPENDING saw the next rotation's) and waited for no read; the medians are
     * of the others, which pay what every first rotation after a quiet period pays: the whole
     * connection and its parts, the refused login (to the start of the read, for the connection
     * that started it), the wait for the read (to the switch) and the login after it.
     */
    fallback: {
      connections: number;
      fromCache: number;
      medianMs: number | null;
      refusedLoginMs: number | null;
      readWaitMs: number | null;
      loginMs: number | null;
    };
    /** Median latency of one GetSecretValue call inside the windows (of all, if none was). */
    readMs: number | null;
    /**
     * Median time of one read of both labels inside the windows (of all, if none was): the
     * client asks for AWSCURRENT and AWSPENDING at once, and is answered when both are. On AWS
     * the two calls overlap; moto answers them one after the other.
     */
    readBothMs: number | null;
  };
}

/** A load's failures, reads and latencies over `period`, in which the rotations had `windows`. */
export function summarizeRotations(record: LoadRecord, period: Period, windows: Period[]): RotationsSummary {
  const inPeriod = (sample: Sample) => contains(period, sample[0]);
  const inWindow = (sample: Sample) => windows.some((window) => contains(window, sample[0]));
  const lengths = windows.map((window) => window.to - window.from);
  const newConnections = tally(record.newConnections, inPeriod);
  const readCount = record.reads.filter((read) => contains(period, read[0])).length;
  // Latencies are compared within the period: the rotations' own processes load the machine too.
  const succeeded = record.newConnections.filter((sample) => sample[3] === '' && inPeriod(sample));
  const fallbacks = fallbackConnections(record).filter((f) => inPeriod(f.sample));
  const fallback = fallbacks.filter((f) => f.waitedForRead);
  const inWindowReads = record.reads.filter(
    (read) => read[3] === '' && windows.some((w) => contains(w, read[0])),
  );
  const reads = inWindowReads.length > 0 ? inWindowReads : record.reads.filter((read) => read[3] === '');
  const rounds = readsOfBothLabels(record.reads.filter((read) => read[3] === ''));
  const inWindowRounds = rounds.filter((r) => windows.some((w) => contains(w, r.at)));
  const part = (of: (f: Fallback) => number | undefined) =>
    round(median(fallback.flatMap((f) => of(f) ?? [])));
  return {
    rotations: windows.length,
    windowMs: {
      median: round(median(lengths), 0),
      min: lengths.length > 0 ? Math.min(...lengths) : null,
      max: lengths.length > 0 ? Math.max(...lengths) : null,
    },
    newConnections: {
      ...newConnections,
      failedInWindows: tally(record.newConnections, (s) => inPeriod(s) && inWindow(s)).failed,
    },
    pooledQueries: tally(record.pooledQueries, inPeriod),
    stalls: stallsIn(record, period),
    secretReads: {
      total: readCount,
      perRotation: round(windows.length > 0 ? readCount / windows.length : 0) ?? 0,
    },
    latency: {
      outsideMs: round(median(succeeded.filter((s) => !inWindow(s)).map((s) => s[1]))),
      insideMs: round(median(succeeded.filter(inWindow).map((s) => s[1]))),
      fallback: {
        connections: fallbacks.length,
        fromCache: fallbacks.length - fallback.length,
        medianMs: part((f) => f.sample[1]),
        refusedLoginMs: part((f) => (f.readFrom === undefined ? undefined : f.readFrom - f.sample[0])),
        readWaitMs: part((f) => (f.readFrom === undefined ? undefined : f.switchAt - f.readFrom)),
        loginMs: part((f) => f.sample[0] + f.sample[1] - f.switchAt),
      },
      readMs: round(median(reads.map((read) => read[1]))),
      readBothMs: round(median((inWindowRounds.length > 0 ? inWindowRounds : rounds).map((r) => r.ms))),
    },
  };
}

function stallsIn(record: LoadRecord, period: Period): RotationsSummary['stalls'] {
  const delays = record.stalls.filter(([at]) => contains(period, at)).map(([, ms]) => ms);
  return {
    count: delays.length,
    totalMs: delays.reduce((sum, ms) => sum + ms, 0),
    longestMs: delays.length > 0 ? Math.max(...delays) : 0,
  };
}

/**
 * The reads of both labels: each AWSPENDING call with the AWSCURRENT call asked for with it (the
 * one that overlaps it in time and started nearest; the SDK can start the second call a few
 * milliseconds after the first), from the first start to the last answer.
 */
export function readsOfBothLabels(reads: SecretRead[]): { at: number; ms: number }[] {
  const current = reads.filter(([, , stage]) => stage === 'AWSCURRENT');
  return reads.flatMap(([at, ms, stage]) => {
    if (stage !== 'AWSPENDING') return [];
    const overlapping = current.filter(([from, took]) => from <= at + ms && from + took >= at);
    const partner = overlapping.reduce<SecretRead | undefined>(
      (best, read) => (best === undefined || Math.abs(read[0] - at) < Math.abs(best[0] - at) ? read : best),
      undefined,
    );
    if (partner === undefined) return [];
    const from = Math.min(at, partner[0]);
    return [{ at: from, ms: Math.max(at + ms, partner[0] + partner[1]) - from }];
  });
}

export interface Fallback {
  sample: Sample;
  /** When its pool switched to the credentials it then logged in with. */
  switchAt: number;
  /** When the last AWSPENDING read before the switch started, if one started during the connection. */
  readFrom?: number;
  /** Whether an AWSPENDING read ended while it waited: false when it took one read before. */
  waitedForRead: boolean;
}

// Reads are timed on the performance clock (timeOrigin plus now), switches by Date.now(), which
// drops the fraction: allow for the millisecond between a read's end and the switch it caused.
const CLOCK_SLACK_MS = 2;

/**
 * The new connections that paid for a fallback in full: for each switch of a new-connection pool
 * after a refused login, the earliest-started connection to that instance that was in flight at
 * the switch and then succeeded. The client switches inside the refused attempt, before it logs
 * in again, so that connection is the one refused first: it paid one refused login and the whole
 * read (connections refused later join the read already in flight). The client reads AWSPENDING
 * (with AWSCURRENT) after a refusal, so the last such read that began during the connection and
 * before the switch is the one it waited for. A connection refused while another pool's read
 * was in flight waits for that one (no read of its own); one whose pool finds AWSPENDING in a
 * read made before waits for none.
 */
export function fallbackConnections(record: LoadRecord): Fallback[] {
  const switches = record.switches.filter(
    ([, , kind, , reason]) => kind === 'new' && reason === 'access-denied',
  );
  const pendingReads = record.reads.filter(([, , stage]) => stage === 'AWSPENDING');
  const found = new Map<Sample, Fallback>();
  for (const [switchAt, instance] of switches) {
    const inFlight = record.newConnections.filter(
      ([at, ms, index, code]) => code === '' && index === instance && at <= switchAt && switchAt <= at + ms,
    );
    const sample = inFlight.reduce<Sample | undefined>(
      (a, b) => (a === undefined || b[0] < a[0] ? b : a),
      undefined,
    );
    if (sample === undefined || found.has(sample)) continue;
    const readFrom = pendingReads
      .filter(([at]) => at >= sample[0] && at <= switchAt)
      .reduce<number | undefined>(
        (latest, [at]) => (latest === undefined || at > latest ? at : latest),
        undefined,
      );
    const waitedForRead = pendingReads.some(
      ([at, ms]) => at + ms >= sample[0] && at + ms <= switchAt + CLOCK_SLACK_MS,
    );
    found.set(
      sample,
      readFrom === undefined
        ? { sample, switchAt, waitedForRead }
        : { sample, switchAt, readFrom, waitedForRead },
    );
  }
  return [...found.values()];
}

export interface SteadyReads {
  seconds: number;
  refreshIntervalMs: number;
  reads: number;
  /** One read per refresh interval: reads at least that far apart, as many as fit in the period. */
  limit: number;
}

/** Secrets Manager reads in a period without rotations, against the client's refresh interval. */
export function steadyReads(record: LoadRecord, period: Period): SteadyReads {
  const ms = period.to - period.from;
  return {
    seconds: round(ms / 1000) ?? 0,
    refreshIntervalMs: record.refreshIntervalMs,
    reads: record.reads.filter((read) => contains(period, read[0])).length,
    limit: Math.floor(ms / record.refreshIntervalMs) + 1,
  };
}

/** Failed queries of both kinds in `period`, by instance index. */
export function failuresByInstance(record: LoadRecord, period: Period): Tally[] {
  return record.instances.map((_, index) =>
    tally(
      [...record.newConnections, ...record.pooledQueries],
      (sample) => sample[2] === index && contains(period, sample[0]),
    ),
  );
}
