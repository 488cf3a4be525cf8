/**
 * The built function's cost where the bench measures it only at one size: peak RSS of a whole
 * rotation of the bundle (each step in a fresh process, PARALLEL=10) at several fleet sizes, and
 * the cold import of the bundle above a bare `node -e 0`. Reuses the bench's own measurements.
 */
import { ensureBuiltZip } from '../sandbox/bundleInvoker.ts';
import { installLoopbackDns } from '../sandbox/loopbackDns.ts';
import type { MariaDbServer } from '../sandbox/mariadbServer.ts';
import { createRdsInstance } from '../sandbox/moto.ts';
import { RotationWorld } from '../sandbox/rotationWorld.ts';
import { measureBundleRotation } from './benchmark/bundleRotation.ts';
import { type BenchPlan, RSS_PARALLEL } from './benchmark/plan.ts';
import { measureColdStart } from './benchmark/startup.ts';
import { median } from './benchmark/statistics.ts';
import { command, readCommandLine, UsageError, wholeNumber } from './cli/commandLine.ts';
import { textTable } from './cli/table.ts';

const USAGE = `Usage: node --import tsx scripts/measure-cost.ts [--sizes N,N,...] [--servers S] [--cold-runs R] [--repetitions R]

Builds dist/function.zip if its sources are newer, then measures with real MariaDB servers (TLS)
and moto on 127.0.0.1:
  - peak RSS (MiB) of each step of a whole rotation through the built bundle, each step in a fresh
    Node process at PARALLEL=${RSS_PARALLEL}, for an application of each size (one server per instance);
  - the cold import of the bundle against a bare \`node -e 0\` (medians of interleaved runs).

  --sizes N,N,...   instances per application, each 1 to 160 (default 8,64,128)
  --servers S       MariaDB servers to start, 1 to 160 (default: the largest size). Instances
                    beyond S are more RDS records of the same servers, round robin: on a busy
                    machine 128 servers may not start in time. Such an instance finds the user's
                    password already changed by its twin and takes the pending path instead.
  --cold-runs R     cold-start runs of each kind, 0 to 100 (default 20; 0 skips it)
  --repetitions R   rotations per size, the peak of each step being their median (default 1)
  -h, --help        this text`;

interface Options {
  sizes: number[];
  servers: number;
  coldRuns: number;
  repetitions: number;
}

function sizeList(raw: string | undefined): number[] {
  const sizes = (raw ?? '8,64,128').split(',').map((part) => Number(part.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 160)) {
    throw new UsageError(`--sizes takes whole numbers from 1 to 160 separated by commas, not "${raw}"`);
  }
  return sizes;
}

const options: Options = readCommandLine(
  command({
    name: 'scripts/measure-cost.ts',
    usage: USAGE,
    options: {
      sizes: { type: 'string' },
      servers: { type: 'string' },
      'cold-runs': { type: 'string' },
      repetitions: { type: 'string' },
    },
  }),
  ({ values }) => {
    const sizes = sizeList(values.sizes);
    return {
      sizes,
      servers: wholeNumber('--servers', values.servers, Math.max(...sizes), 1, 160),
      coldRuns: wholeNumber('--cold-runs', values['cold-runs'], 20, 0, 100),
      repetitions: wholeNumber('--repetitions', values.repetitions, 1, 1, 20),
    };
  },
);

installLoopbackDns();
ensureBuiltZip();
const world = await RotationWorld.start(options.servers);
const cleanups: (() => void)[] = [];
try {
  const rows: string[][] = [];
  let headers: string[] = [];
  let bundleDir = '';
  for (const n of options.sizes) {
    const real = Math.min(n, options.servers);
    const app = await world.createApp({ servers: Array.from({ length: real }, (_, i) => i) });
    for (let index = real; index < n; index++) {
      const server = world.servers[index % real] as MariaDbServer;
      await createRdsInstance(world.rds, {
        id: `${app.env.DB_IDENTIFIER_PREFIX}db${index}`,
        engine: 'mariadb',
        port: server.port,
      });
    }
    cleanups.push(() => app.cleanup());
    bundleDir = app.invoker.dir;
    const plan = { rssInstances: n, rssParallel: RSS_PARALLEL } as BenchPlan;
    const runs: Record<string, number>[] = [];
    for (let rep = 0; rep < options.repetitions; rep++)
      runs.push(await measureBundleRotation(plan, app, world));
    const steps = Object.keys(runs[0] ?? {});
    const peaks = steps.map((step) => median(runs.map((run) => run[step] ?? 0)));
    rows.push([String(n), ...peaks.map((mib) => mib.toFixed(1)), Math.max(...peaks).toFixed(1)]);
    headers = ['instances', ...steps, 'rotation'];
    process.stderr.write(`measure-cost: ${n} instances done\n`);
  }
  console.log('Peak RSS (MiB) per step, PARALLEL=10, fresh process per step');
  console.log(textTable(headers, rows));
  if (options.coldRuns > 0) {
    const { bare, imported } = measureColdStart({ coldStartRuns: options.coldRuns } as BenchPlan, bundleDir);
    const above = median(imported) - median(bare);
    console.log(
      `cold import: node -e 0 ${median(bare).toFixed(1)} ms, import ${median(imported).toFixed(1)} ms, ` +
        `above ${above.toFixed(1)} ms (medians of ${options.coldRuns})`,
    );
  }
} finally {
  for (const cleanup of cleanups) cleanup();
  await world.stop();
}
