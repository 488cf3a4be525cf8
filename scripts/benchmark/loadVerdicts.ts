import type { RotationsSummary } from '../../sandbox/applicationLoadAnalysis.ts';
import { STALL_MS } from '../../sandbox/applicationLoadRecord.ts';
import type { ApplicationLoadResult, VariantSummary } from './applicationLoad.ts';
import { TARGETS } from './targetTable.ts';
import { judgedForVariant, type Line, loopback, type Section, section } from './verdictTable.ts';

/** The applications under load through rotations: their failures, reads and latencies. */
export const LOAD_SECTIONS: Section[] = [
  section<VariantSummary>(
    loopback,
    (results) => results.applicationLoad.variants,
    [
      {
        metric: (v) =>
          `app ${v.variant}: failed new connections (in windows) / pooled queries, ${v.rotations} rotations`,
        value: (v) =>
          `${v.newConnections.failed} (${v.newConnections.failedInWindows}) / ${v.pooledQueries.failed}`,
        judge: judgedForVariant(
          TARGETS.loadFailedQueries,
          (v) => v.newConnections.failed + v.pooledQueries.failed,
        ),
      },
      {
        metric: (v) => `app ${v.variant}: queries sent, new connections / pooled`,
        value: (v) => `${v.newConnections.attempts} / ${v.pooledQueries.attempts}`,
      },
      {
        metric: (v) => `app ${v.variant}: Secrets Manager reads per rotation`,
        value: (v) => `${v.secretReads.perRotation}`,
      },
      {
        metric: (v) =>
          `app ${v.variant}: Secrets Manager reads in ${v.steady.seconds} s without rotation` +
          (v.variant === 'client' ? `, refresh every ${v.steady.refreshIntervalMs / 1000} s` : ''),
        value: (v) => `${v.steady.reads}${v.variant === 'client' ? ` (limit ${v.steady.limit})` : ''}`,
        judge: judgedForVariant(TARGETS.steadyReads, (v) => v.steady),
      },
    ],
    true,
  ),
  section<ApplicationLoadResult>(loopback, (results) => [results.applicationLoad], [
    {
      metric: (a) =>
        `rotation window (setSecret start to finishSecret end), ${a.stepDelayMs} ms between steps`,
      value: (a) => {
        const all = a.variants.map((v) => v.windowMs);
        const min = Math.min(...all.map((w) => w.min ?? Number.NaN));
        const max = Math.max(...all.map((w) => w.max ?? Number.NaN));
        return `${min} to ${max} ms`;
      },
    },
    ...clientLines(),
    {
      metric: (a) => `app client, rollback with 1 of ${a.rollback.instances} instances stopped: rolled back`,
      value: (a) => (a.rollback.rolledBack ? 'yes' : 'NO'),
    },
    {
      metric: () => 'app client, rollback: failed queries on running instances / on the stopped one',
      value: (a) => `${a.rollback.running.failed} / ${a.rollback.stopped.failed}`,
      judge: {
        text: TARGETS.rollbackFailedQueries.text,
        met: (a) => TARGETS.rollbackFailedQueries.holds(a.rollback.running.failed),
      },
    },
  ]),
];

const ms = (value: number | null) => (value === null ? 'n/a' : `${value} ms`);

/** Counts of the fallbacks a median is of: those that waited for a read, and the others. */
function fallbackCounts(summary: RotationsSummary): string {
  const { connections, fromCache } = summary.latency.fallback;
  return `${connections - fromCache}; ${fromCache} more found AWSPENDING read before`;
}

/**
 * The client's application alone (judged) and, before it, among the others on a saturated
 * machine: a new connection outside and inside the windows, the event loop's stalls, a read, and
 * the connections refused first in a window that waited for a read (what the first rotation
 * after a quiet period costs; back to back, AWSPENDING can be read already).
 */
function clientLines(): Line<ApplicationLoadResult>[] {
  const withOthers = (a: ApplicationLoadResult) =>
    a.variants.find((v) => v.variant === 'client') as VariantSummary;
  const alone = (a: ApplicationLoadResult) => a.alone;
  const ALONE = 'app client alone';
  const WAITED = 'refused first in a window, waited for a read';
  return [
    {
      metric: () => `app client: its process's event loop over ${STALL_MS} ms late, with the others / alone`,
      value: (a) => `${stallsOf(withOthers(a))} / ${stallsOf(alone(a))}`,
    },
    {
      metric: (a) =>
        `app client, with the others: ${WAITED}: extra beyond its refused login (median of ${fallbackCounts(withOthers(a))})`,
      value: (a) => ms(windowExtraMs(withOthers(a))),
    },
    {
      metric: (a) =>
        `${ALONE}: failed new connections / pooled queries, ${a.alone.rotations} rotations each after a quiet refresh interval`,
      value: (a) => `${a.alone.newConnections.failed} / ${a.alone.pooledQueries.failed}`,
      judge: {
        text: TARGETS.loadFailedQueries.text,
        met: (a) =>
          TARGETS.loadFailedQueries.holds(a.alone.newConnections.failed + a.alone.pooledQueries.failed),
      },
    },
    {
      metric: () => `${ALONE}: new connection, outside / inside the windows (medians)`,
      value: (a) => `${ms(alone(a).latency.outsideMs)} / ${ms(alone(a).latency.insideMs)}`,
    },
    {
      metric: () =>
        `${ALONE}: Secrets Manager read inside the windows: one call / AWSCURRENT and AWSPENDING at once (medians)`,
      value: (a) => `${ms(alone(a).latency.readMs)} / ${ms(alone(a).latency.readBothMs)}`,
    },
    {
      metric: (a) =>
        `${ALONE}: ${WAITED}: refused login / wait for the read / login (medians of ${fallbackCounts(alone(a))})`,
      value: (a) => {
        const { refusedLoginMs, readWaitMs, loginMs } = alone(a).latency.fallback;
        return `${ms(refusedLoginMs)} / ${ms(readWaitMs)} / ${ms(loginMs)}`;
      },
    },
    {
      metric: (a) =>
        `${ALONE}: ${WAITED}: extra beyond its refused login (median of ${fallbackCounts(alone(a))})`,
      value: (a) => ms(windowExtraMs(alone(a))),
    },
    {
      metric: (a) =>
        `${ONE}: new connection after a call / in a row / refused first / refused logins each (medians of ${a.oneAtATime.repetitions})`,
      value: ({ oneAtATime: o }) =>
        `${o.newConnectionMs} ms / ${o.loopConnectionMs} ms / ${o.fallbackMs} ms / ${o.refusedLogins}`,
    },
    {
      metric: (a) =>
        `${ONE}: refused first: until the read / read of both labels / after it, to SELECT 1 done (medians of ${a.oneAtATime.repetitions})`,
      value: ({ oneAtATime: o }) => `${o.beforeReadMs} ms / ${o.readBothMs} ms / ${o.afterReadMs} ms`,
    },
    {
      metric: (a) =>
        `${ONE}: refused first, extra beyond two new connections (median of ${a.oneAtATime.repetitions})`,
      value: (a) => `${a.oneAtATime.extraMs} ms`,
      judge: {
        text: TARGETS.windowExtraLatency.text,
        // The client's read after a refused login is of both labels at once.
        met: ({ oneAtATime: o }) =>
          TARGETS.windowExtraLatency.holds({ extraMs: o.extraMs, readMs: o.readBothMs }),
      },
    },
  ];
}

/** The client's own cost of a window: the password changed as setSecret does, nothing else running. */
const ONE = 'app client, one window at a time';

/** times / in all / longest */
function stallsOf(summary: RotationsSummary): string {
  const { count, totalMs, longestMs } = summary.stalls;
  return `${count}, ${totalMs} ms, longest ${longestMs} ms`;
}

/**
 * What a connection refused first inside a window paid beyond two logins (the refused one and the
 * one that worked), each as long as a new connection inside the windows, where the machine is as
 * busy (the bundle's steps run then): the wait for the read.
 */
export function windowExtraMs(client: RotationsSummary): number | null {
  const { fallback, insideMs } = client.latency;
  if (fallback.medianMs === null || insideMs === null) return null;
  return Number((fallback.medianMs - 2 * insideMs).toFixed(1));
}
