import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createConnection } from 'mysql2/promise';
import type { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { rdsHostname } from '../../sandbox/moto.ts';
import type { App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import { TcpFaultProxy } from '../../sandbox/tcpFaultProxy.ts';
import type { InProcessFunction } from './inProcessFunction.ts';
import { type BenchPlan, progress } from './plan.ts';
import { expectNormalSetSecret, timeSetSecret } from './setSecret.ts';
import { median } from './statistics.ts';

export interface LatencySamples {
  parallel1: number[];
  parallel10: number[];
  logins: number;
  refused: number;
  instanceRuns: number;
}

/** A TcpFaultProxy that delays every chunk in both directions by the plan's latency. */
export async function startLatencyProxy(plan: BenchPlan, upstreamPort: number): Promise<TcpFaultProxy> {
  const proxy = await TcpFaultProxy.start(upstreamPort);
  proxy.set({ kind: 'delay', ms: plan.latencyMsPerChunk });
  return proxy;
}

/** An app whose RDS records point at the proxies, each in front of the server of the same index. */
export function createProxiedApp(world: RotationWorld, proxies: TcpFaultProxy[]): Promise<App> {
  return world.createApp({
    servers: proxies.map((_, index) => index),
    instancePort: (index) => (proxies[index] as TcpFaultProxy).port,
  });
}

/**
 * setSecret at parallel 1 and 10 with every MySQL connection behind a proxy that delays each chunk
 * (AWS calls to moto are not delayed). Same warm-up and repetitions as the loopback measurement.
 */
export async function measureSimulatedLatency(
  plan: BenchPlan,
  fn: InProcessFunction,
  app: App,
): Promise<LatencySamples> {
  const samples: LatencySamples = { parallel1: [], parallel10: [], logins: 0, refused: 0, instanceRuns: 0 };
  await timeSetSecret(fn, app, 10);
  for (let rep = 1; rep <= plan.repetitions; rep++) {
    progress(
      `setSecret with simulated latency, N=${plan.latencyInstances}, repetition ${rep}/${plan.repetitions}`,
    );
    for (const parallel of [1, 10]) {
      const counted = await timeSetSecret(fn, app, parallel);
      expectNormalSetSecret(counted.result, plan.latencyInstances);
      (parallel === 1 ? samples.parallel1 : samples.parallel10).push(counted.ms);
      samples.logins += counted.logins;
      samples.refused += counted.refused;
      samples.instanceRuns += plan.latencyInstances;
    }
  }
  return samples;
}

/**
 * Median wall time of `SELECT 1` on one open TLS session of the app's user to its first instance,
 * straight to the server and through its proxy: what one query round trip costs on each path.
 */
export async function measureQueryRoundTrip(
  app: App,
  proxy: TcpFaultProxy,
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
  return { direct: await roundTrip(server.port), proxied: await roundTrip(proxy.port) };
}
