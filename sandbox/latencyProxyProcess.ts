import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BoundedProcess } from './boundedProcess.ts';

const PROXY_SCRIPT = join(import.meta.dirname, 'latency-proxy.mjs');
const READY_TIMEOUT_MS = 10_000;
const LIFETIME_MS = 30 * 60_000;

export class LatencyProxyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LatencyProxyError';
  }
}

/**
 * Delaying TCP proxies on 127.0.0.1 that run in a Node process of their own (sandbox/latency-proxy.mjs):
 * a simulated network between the function and its servers, whose timers do not run on the
 * function's thread. Each proxy holds every chunk `delayMs` in each direction, so a round trip
 * costs about twice that.
 */
export class LatencyProxyGroup {
  private constructor(
    private readonly process: BoundedProcess,
    /** The proxies' ports, in the order of the upstream ports given to `start`. */
    readonly ports: number[],
  ) {}

  get pid(): number {
    return this.process.pid;
  }

  static async start(delayMs: number, upstreamPorts: number[]): Promise<LatencyProxyGroup> {
    if (upstreamPorts.length === 0)
      throw new LatencyProxyError('a latency proxy group needs at least one upstream port');
    const child = new BoundedProcess(
      process.execPath,
      [PROXY_SCRIPT, String(delayMs), ...upstreamPorts.map(String)],
      { maxLifetimeMs: LIFETIME_MS, captureOutput: true, env: { PATH: process.env.PATH ?? '' } },
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const ready = child.output().match(/^\{"ports":\[[\d,]*\]\}$/m);
      if (ready !== null) {
        const { ports } = JSON.parse(ready[0]) as { ports: number[] };
        return new LatencyProxyGroup(child, ports);
      }
      if (!child.isRunning || Date.now() > deadline) {
        await child.kill();
        throw new LatencyProxyError(
          `the latency proxy process did not start listening within ${READY_TIMEOUT_MS} ms: ${child.output().trim() || 'no output'}`,
        );
      }
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    await this.process.stop(2_000);
  }
}

/**
 * One proxy per upstream port, `perProcess` proxies per process (processes started in parallel):
 * the ports come back in the order of `upstreamPorts`.
 */
export async function startLatencyProxies(
  delayMs: number,
  upstreamPorts: number[],
  perProcess: number,
): Promise<{ groups: LatencyProxyGroup[]; ports: number[] }> {
  const slices: number[][] = [];
  for (let i = 0; i < upstreamPorts.length; i += perProcess)
    slices.push(upstreamPorts.slice(i, i + perProcess));
  const started = await Promise.allSettled(slices.map((slice) => LatencyProxyGroup.start(delayMs, slice)));
  const groups = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.allSettled(groups.map((group) => group.stop()));
    throw failure.reason;
  }
  return { groups, ports: groups.flatMap((group) => group.ports) };
}
