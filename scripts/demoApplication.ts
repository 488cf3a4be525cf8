import { ApplicationLoad, appInstances } from '../sandbox/applicationLoad.ts';
import { contains, type Period, tally } from '../sandbox/applicationLoadAnalysis.ts';
import type { LoadSnapshot, Sample } from '../sandbox/applicationLoadRecord.ts';
import type { App } from '../sandbox/rotationWorld.ts';

/** What the application saw from its start to its stop. */
export interface ApplicationOutcome {
  queries: number;
  /** Failed queries, other than those sent to an instance while the demo had it stopped. */
  failed: number;
  failedByCode: Record<string, number>;
  /** Queries refused by an instance while it was stopped (and just after it came back). */
  failedWhileStopped: number;
}

// A pooled connection to a restarted instance fails on its next query, a moment after the
// restart: those failures belong to the stop too.
const AFTER_RESTART_MS = 1_000;

/**
 * The demo's application: built on the client, in a process of its own, under load (a new
 * connection every 20 ms round-robin, 4 pooled connections querying every 50 ms) while the demo
 * rotates its password. Reports its queries and failures since the last report, one short line.
 */
export class DemoApplication {
  private last: LoadSnapshot;
  private readonly stops: { index: number; period: Period }[] = [];

  private constructor(
    private readonly load: ApplicationLoad,
    first: LoadSnapshot,
  ) {
    this.last = first;
  }

  static async start(app: App): Promise<DemoApplication> {
    const load = await ApplicationLoad.start({
      variant: 'client',
      secretId: app.secretId,
      awsEndpoint: app.world.moto.endpoint,
      instances: appInstances(app),
      caFile: app.world.ca.caFile,
    });
    return new DemoApplication(load, await load.snapshot());
  }

  /** The demo is about to stop instance `index` (by its place among the app's instances). */
  stopping(index: number): void {
    this.stops.push({ index, period: { from: Date.now(), to: Number.POSITIVE_INFINITY } });
  }

  /** Instance `index` accepts connections again. */
  restarted(index: number): void {
    const stop = this.stops.findLast((s) => s.index === index);
    if (stop !== undefined) stop.period.to = Date.now() + AFTER_RESTART_MS;
  }

  /** e.g. "app: 412 queries, 0 failed": since the previous line. */
  async line(): Promise<string> {
    const now = await this.load.snapshot();
    const queries = totalQueries(now) - totalQueries(this.last);
    const failedOn = now.failedByInstance.map((n, index) => n - (this.last.failedByInstance[index] ?? 0));
    const down = new Set(this.stops.filter((s) => s.period.to >= this.last.at).map((s) => s.index));
    const onStopped = failedOn.filter((_, index) => down.has(index)).reduce((a, b) => a + b, 0);
    const failed = failedOn.reduce((a, b) => a + b, 0) - onStopped;
    this.last = now;
    const stopped = onStopped > 0 ? ` (and ${onStopped} refused by the stopped instance)` : '';
    return `app: ${queries} queries, ${failed} failed${stopped}`;
  }

  /** Stops the load and reads every query it sent. */
  async stop(): Promise<ApplicationOutcome> {
    const record = await this.load.stop();
    // A query belongs to the stop when it ran while the instance was down: started then, or
    // started just before and cut off by the kill (a TLS handshake or a reset in flight).
    const whileStopped = ([started, latency, index]: Sample) =>
      this.stops.some(
        (s) => s.index === index && (contains(s.period, started) || contains(s.period, started + latency)),
      );
    const samples = [...record.newConnections, ...record.pooledQueries];
    const counted = tally(samples, (sample) => !whileStopped(sample));
    return {
      queries: samples.length,
      failed: counted.failed,
      failedByCode: counted.byCode,
      failedWhileStopped: tally(samples, whileStopped).failed,
    };
  }

  /** Kills the load without reading it (the demo failed before the end). */
  async discard(): Promise<void> {
    await this.load.discard();
  }

  /** What it printed: nothing, unless it failed. */
  output(): string {
    return this.load.output();
  }
}

function totalQueries(snapshot: LoadSnapshot): number {
  return snapshot.newConnections.attempts + snapshot.pooledQueries.attempts;
}
