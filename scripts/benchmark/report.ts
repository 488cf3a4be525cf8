import { writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { textTable } from '../cli/table.ts';
import { type BenchPlan, latencyNetwork } from './plan.ts';
import { type Results, round } from './statistics.ts';
import { targetLimits, type Verdict } from './targets.ts';

/** How the run went, beside its numbers: the machine's load (1, 5 and 15 minutes) and its duration. */
export interface RunFacts {
  loadAtStart: number[];
  loadAtEnd: number[];
  servers: number;
  serverStartSeconds: number;
  seconds: number;
}

const loadText = (load: number[]) => load.map((value) => value.toFixed(2)).join(', ');

/** The verdicts as a table, under the lines that say how and where they were measured. */
export function printTable(plan: BenchPlan, results: Results, verdicts: Verdict[], run: RunFacts): void {
  console.log(
    `\nBench (${plan.smoke ? 'smoke' : 'full'}${plan.fleet === null ? '' : `, fleet of ${plan.fleet}`}, ` +
      `medians of ${plan.repetitions}; ${run.servers} MariaDB servers started in ${round(run.serverStartSeconds)} s; ` +
      `${round(run.seconds)} s in all)\n` +
      `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` +
      `load average (1, 5, 15 min) at start ${loadText(run.loadAtStart)}, at end ${loadText(run.loadAtEnd)}\n` +
      `Network: loopback = 127.0.0.1 with no added delay; ${latencyNetwork(plan)} = MySQL traffic through ` +
      `proxies in processes of their own that hold every chunk ${plan.latencyMsPerChunk} ms in each direction, ` +
      `AWS calls not delayed. Fixed AWS part of setSecret ${results.fixedAwsMs} ms.\n`,
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
export function saveReport(plan: BenchPlan, results: Results, verdicts: Verdict[], run: RunFacts): void {
  const report = {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${platform()}-${arch()}`,
      date: new Date().toISOString(),
      loadAverage: {
        atStart: run.loadAtStart.map((value) => round(value, 2)),
        atEnd: run.loadAtEnd.map((value) => round(value, 2)),
      },
    },
    options: {
      smoke: plan.smoke,
      fleet: plan.fleet,
      repetitions: plan.repetitions,
      servers: run.servers,
      serverStartSeconds: round(run.serverStartSeconds),
      benchSeconds: round(run.seconds),
    },
    results,
    targets: targetLimits(),
    verdicts,
  };
  writeFileSync(plan.outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nSaved to ${plan.outFile} (${report.options.benchSeconds} s).`);
}
