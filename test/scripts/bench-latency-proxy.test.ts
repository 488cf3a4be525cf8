import { afterEach, describe, expect, it } from 'vitest';
import {
  LatencyProxyError,
  LatencyProxyGroup,
  startLatencyProxies,
} from '../../sandbox/latencyProxyProcess.ts';
import { median } from '../../scripts/benchmark/statistics.ts';
import { startEchoServer, tcpPing } from '../../scripts/benchmark/tcpPing.ts';

// The bench's simulated network: delaying proxies in a process of their own, in front of echo
// servers here (the bench puts them in front of MariaDB servers).
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.allSettled(stops.splice(0).map((stop) => stop()));
});

async function echoServer() {
  const echo = await startEchoServer();
  stops.push(echo.stop);
  return echo;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the latency proxies of the bench', () => {
  it('add about twice the delay to a round trip, from a process of their own', async () => {
    const echo = await echoServer();
    const group = await LatencyProxyGroup.start(1, [echo.port]);
    stops.push(() => group.stop());

    const proxied = median(await tcpPing(group.ports[0] as number, 20));

    expect(group.pid).not.toBe(process.pid);
    // 1 ms each way; timers fire no earlier than asked.
    expect(proxied).toBeGreaterThanOrEqual(2);
  });

  it('run the given number of proxies per process, each in front of its own upstream, in order', async () => {
    const echoes = [await echoServer(), await echoServer(), await echoServer()];
    const { groups, ports } = await startLatencyProxies(
      0,
      echoes.map((echo) => echo.port),
      2,
    );
    stops.push(async () => {
      await Promise.all(groups.map((group) => group.stop()));
    });

    expect(groups.map((group) => group.ports.length)).toEqual([2, 1]);
    expect(new Set(groups.map((group) => group.pid)).size).toBe(2);
    expect(ports).toHaveLength(3);
    for (const port of ports) expect(await tcpPing(port, 3, 0)).toHaveLength(3);
  });

  it('are stopped by pid', async () => {
    const echo = await echoServer();
    const group = await LatencyProxyGroup.start(1, [echo.port]);

    await group.stop();

    expect(processAlive(group.pid)).toBe(false);
  });

  it('refuse a group without an upstream, saying what is missing', async () => {
    await expect(LatencyProxyGroup.start(1, [])).rejects.toThrow(
      new LatencyProxyError('a latency proxy group needs at least one upstream port'),
    );
  });
});
