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

/** The client's latencies: a connection outside the window, inside it, one that fell back, a read. */
function clientLines(): Line<ApplicationLoadResult>[] {
  const client = (a: ApplicationLoadResult) =>
    a.variants.find((v) => v.variant === 'client') as VariantSummary;
  const ms = (value: number | null) => (value === null ? 'n/a' : `${value} ms`);
  return [
    {
      metric: () => 'app client: new connection, outside / inside the windows (medians)',
      value: (a) => `${ms(client(a).latency.outsideMs)} / ${ms(client(a).latency.insideMs)}`,
    },
    {
      metric: () => 'app client: Secrets Manager read inside the windows (median)',
      value: (a) => ms(client(a).latency.readMs),
    },
    {
      metric: (a) =>
        `app client: refused first in a window: refused login / wait for the read / login (medians of ${client(a).latency.fallback.connections})`,
      value: (a) => {
        const { refusedLoginMs, readWaitMs, loginMs } = client(a).latency.fallback;
        return `${ms(refusedLoginMs)} / ${ms(readWaitMs)} / ${ms(loginMs)}`;
      },
    },
    {
      metric: (a) =>
        `app client: refused first in a window, extra beyond its refused login (median of ${client(a).latency.fallback.connections})`,
      value: (a) => ms(windowExtraMs(client(a))),
      judge: {
        text: TARGETS.windowExtraLatency.text,
        met: (a) => {
          const extraMs = windowExtraMs(client(a));
          const readMs = client(a).latency.readMs;
          return extraMs === null || readMs === null
            ? false
            : TARGETS.windowExtraLatency.holds({ extraMs, readMs });
        },
      },
    },
  ];
}

/**
 * What a connection refused first inside a window paid beyond two logins (the refused one and the
 * one that worked), each as long as a new connection inside the windows, where the machine is as
 * busy (the bundle's steps run then): the wait for the read.
 */
export function windowExtraMs(client: VariantSummary): number | null {
  const { fallback, insideMs } = client.latency;
  if (fallback.medianMs === null || insideMs === null) return null;
  return Number((fallback.medianMs - 2 * insideMs).toFixed(1));
}
