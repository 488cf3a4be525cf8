import type { LoadRecord, Sample } from './applicationLoadRecord.ts';

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
  latency: {
    /** Median latency of a new connection opened outside every window. */
    outsideMs: number | null;
    /** Median latency of a new connection opened inside a window (the fallbacks among them). */
    insideMs: number | null;
    /**
     * The connections refused first in a window that then fell back (see `fallbackConnections`):
     * medians of the whole connection and of its parts, the refused login (to the start of the
     * read), the wait for the read (to the switch) and the login after it.
     */
    fallback: {
      connections: number;
      medianMs: number | null;
      refusedLoginMs: number | null;
      readWaitMs: number | null;
      loginMs: number | null;
    };
    /** Median latency of one GetSecretValue call inside the windows (of all, if none was). */
    readMs: number | null;
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
  const fallback = fallbackConnections(record).filter((f) => inPeriod(f.sample));
  const inWindowReads = record.reads.filter(
    (read) => read[3] === '' && windows.some((w) => contains(w, read[0])),
  );
  const reads = inWindowReads.length > 0 ? inWindowReads : record.reads.filter((read) => read[3] === '');
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
    secretReads: {
      total: readCount,
      perRotation: round(windows.length > 0 ? readCount / windows.length : 0) ?? 0,
    },
    latency: {
      outsideMs: round(median(succeeded.filter((s) => !inWindow(s)).map((s) => s[1]))),
      insideMs: round(median(succeeded.filter(inWindow).map((s) => s[1]))),
      fallback: {
        connections: fallback.length,
        medianMs: part((f) => f.sample[1]),
        refusedLoginMs: part((f) => (f.readFrom === undefined ? undefined : f.readFrom - f.sample[0])),
        readWaitMs: part((f) => (f.readFrom === undefined ? undefined : f.switchAt - f.readFrom)),
        loginMs: part((f) => f.sample[0] + f.sample[1] - f.switchAt),
      },
      readMs: round(median(reads.map((read) => read[1]))),
    },
  };
}

export interface Fallback {
  sample: Sample;
  /** When its pool switched to the credentials it then logged in with. */
  switchAt: number;
  /** When the last AWSPENDING read before the switch started, if one started during the connection. */
  readFrom?: number;
}

/**
 * The new connections that paid for a fallback in full: for each switch of a new-connection pool
 * after a refused login, the earliest-started connection to that instance that was in flight at
 * the switch and then succeeded. The client switches inside the refused attempt, before it logs
 * in again, so that connection is the one refused first: it paid one refused login and the whole
 * read (connections refused later join the read already in flight). The client reads AWSPENDING
 * (with AWSCURRENT) after a refusal, so the last such read that began during the connection and
 * before the switch is the one it waited for.
 */
export function fallbackConnections(record: LoadRecord): Fallback[] {
  const switches = record.switches.filter(
    ([, , kind, , reason]) => kind === 'new' && reason === 'access-denied',
  );
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
    const readFrom = record.reads
      .filter(([at, , stage]) => stage === 'AWSPENDING' && at >= sample[0] && at <= switchAt)
      .reduce<number | undefined>(
        (latest, [at]) => (latest === undefined || at > latest ? at : latest),
        undefined,
      );
    found.set(sample, readFrom === undefined ? { sample, switchAt } : { sample, switchAt, readFrom });
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
