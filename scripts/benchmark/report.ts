import { writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { textTable } from '../cli/table.ts';
import { type BenchPlan, latencyNetwork } from './plan.ts';
import { type Results, round } from './statistics.ts';
import { targetLimits, type Verdict } from './targets.ts';

/** The verdicts as a table, under a line that says how they were measured. */
export function printTable(plan: BenchPlan, results: Results, verdicts: Verdict[]): void {
  console.log(
    `\nBench (${plan.smoke ? 'smoke' : 'full'}, medians of ${plan.repetitions}; fixed AWS part ${results.fixedAwsMs} ms; ` +
      `network: loopback = 127.0.0.1 with no added delay, ${latencyNetwork(plan)} = MySQL traffic through ` +
      `proxies that hold every chunk ${plan.latencyMsPerChunk} ms in each direction, AWS calls not delayed)\n`,
  );
  const met = (v: Verdict) => (v.met === null ? (v.target ? 'n/a' : '') : v.met ? 'yes' : 'NO');
  console.log(
    textTable(
      ['metric', 'network', 'value', 'target', 'met'],
      verdicts.map((v) => [v.metric, v.network, v.value, v.target, met(v)]),
      { alignRight: [2] },
    ),
  );
}

/** Saves the machine, the options, every result, the targets and the verdicts as JSON. */
export function saveReport(
  plan: BenchPlan,
  results: Results,
  verdicts: Verdict[],
  run: { loadAtStart: number; seconds: number },
): void {
  const report = {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${platform()}-${arch()}`,
      date: new Date().toISOString(),
      loadAverage1m: { atStart: round(run.loadAtStart, 2), atEnd: round(loadavg()[0] as number, 2) },
    },
    options: { smoke: plan.smoke, repetitions: plan.repetitions, benchSeconds: round(run.seconds) },
    results,
    targets: targetLimits(),
    verdicts,
  };
  writeFileSync(plan.outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nSaved to ${plan.outFile} (${report.options.benchSeconds} s).`);
}
