/**
 * The rotation function's performance bench: every number is measured in one run against the same
 * moto and MariaDB servers (TLS from a test CA), as medians of several repetitions, printed as a
 * table and saved as JSON. It reports; it does not gate: missed targets still exit 0.
 * See `scripts/bench --help`; the parts are in scripts/benchmark/.
 */
// The command line is read before the sandbox's modules are loaded: --help and mistakes answer at once.
import { readPlan } from './benchmark/plan.ts';
import { ensureSandboxTools } from './cli/sandboxTools.ts';

const plan = readPlan();
try {
  ensureSandboxTools();
  const { runBench } = await import('./benchmark/run.ts');
  await runBench(plan);
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
}
