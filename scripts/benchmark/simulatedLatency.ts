import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createConnection } from 'mysql2/promise';
import { LatencyProxyGroup, startLatencyProxies } from '../../sandbox/latencyProxyProcess.ts';
import type { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { rdsHostname } from '../../sandbox/moto.ts';
import type { App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import type { InProcessFunction } from './inProcessFunction.ts';
import { type BenchPlan, progress } from './plan.ts';
import { expectNormalSetSecret, timeSetSecret } from './setSecret.ts';
import { median } from './statistics.ts';
import { startEchoServer, tcpPing } from './tcpPing.ts';

const PING_SAMPLES = 200;

export interface LatencySamples {
  /** setSecret of one instance (parallelism does not matter there). */
  single: number[];
  /** setSecret of `latencyInstances` at parallel 1, 10 and `latencyInstances`. */
  parallel1: number[];
  parallel10: number[];
  parallelAll: number[];
  logins: number;
  refused: number;
  instanceRuns: number;
  proxyProcesses: number;
  /** One-byte TCP round trips to an echo server, straight and through a proxy like the others. */
  ping: { direct: number[]; proxied: number[] };
  /** `SELECT 1` on an open TLS session, straight to the server and through its proxy (medians). */
  queryRoundTrip: { direct: number; proxied: number };
}

/**
 * setSecret with every MySQL connection behind a proxy that delays each chunk (AWS calls to moto
 * are not delayed). The proxies run in processes of their own, `latencyProxiesPerProcess` each,
 * so their timers never wait for the function's work; the added round trip is measured first.
 */
export async function measureSimulatedLatency(
  plan: BenchPlan,
  world: RotationWorld,
  fn: InProcessFunction,
  /** Receives each app created here, for the caller to clean up. */
  created: App[],
): Promise<LatencySamples> {
  const n = plan.latencyInstances;
  const echo = await startEchoServer();
  const groups: LatencyProxyGroup[] = [];
  try {
    const serverPorts = world.servers.slice(0, n).map((server) => server.port);
    const proxies = await startLatencyProxies(
      plan.latencyMsPerChunk,
      serverPorts,
      plan.latencyProxiesPerProcess,
    );
    groups.push(...proxies.groups);
    const pingProxy = await LatencyProxyGroup.start(plan.latencyMsPerChunk, [echo.port]);
    groups.push(pingProxy);
    progress(`TCP ping, ${PING_SAMPLES} round trips straight and through a latency proxy`);
    const ping = {
      direct: await tcpPing(echo.port, PING_SAMPLES),
      proxied: await tcpPing(pingProxy.ports[0] as number, PING_SAMPLES),
    };
    const proxyPort = (index: number) => proxies.ports[index] as number;
    const single = await world.createApp({ servers: [0], instancePort: proxyPort });
    created.push(single);
    const fleet = await world.createApp({
      servers: serverPorts.map((_, index) => index),
      instancePort: proxyPort,
    });
    created.push(fleet);
    const samples: LatencySamples = {
      single: [],
      parallel1: [],
      parallel10: [],
      parallelAll: [],
      logins: 0,
      refused: 0,
      instanceRuns: 0,
      proxyProcesses: proxies.groups.length,
      ping,
      queryRoundTrip: await measureQueryRoundTrip(fleet, proxyPort(0)),
    };
    await timeSetSecret(fn, single, 1);
    await timeSetSecret(fn, fleet, n);
    const parallels: [number, number[]][] = [
      [1, samples.parallel1],
      [10, samples.parallel10],
      [n, samples.parallelAll],
    ];
    for (let rep = 1; rep <= plan.repetitions; rep++) {
      progress(`setSecret with simulated latency, N=1 and N=${n}, repetition ${rep}/${plan.repetitions}`);
      const one = await timeSetSecret(fn, single, 1);
      expectNormalSetSecret(one.result, 1);
      samples.single.push(one.ms);
      for (const [parallel, into] of parallels) {
        const counted = await timeSetSecret(fn, fleet, parallel);
        expectNormalSetSecret(counted.result, n);
        into.push(counted.ms);
        samples.logins += counted.logins;
        samples.refused += counted.refused;
        samples.instanceRuns += n;
      }
    }
    return samples;
  } finally {
    await Promise.allSettled(groups.map((group) => group.stop()));
    await echo.stop();
  }
}

/**
 * Median wall time of `SELECT 1` on one open TLS session of the app's user to its first instance,
 * straight to the server and through its proxy: what one query round trip costs on each path.
 */
async function measureQueryRoundTrip(
  app: App,
  proxyPort: number,
): Promise<{ direct: number; proxied: number }> {
  const password = await app.password('AWSCURRENT');
  const server = app.world.servers[app.serverIndexes[0] as number] as MariaDbServer;
  const roundTrip = async (port: number) => {
    const session = await createConnection({
      host: rdsHostname(app.instanceIds[0] as string),
      port,
      user: app.username,
      password,
      ssl: { ca: readFileSync(app.world.ca.caFile, 'utf8'), rejectUnauthorized: true, verifyIdentity: true },
    });
    try {
      await session.query('SELECT 1');
      const samples: number[] = [];
      for (let run = 0; run < 21; run++) {
        const started = performance.now();
        await session.query('SELECT 1');
        samples.push(performance.now() - started);
      }
      return median(samples);
    } finally {
      await session.end();
    }
  };
  return { direct: await roundTrip(server.port), proxied: await roundTrip(proxyPort) };
}
