import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOOPBACK_DNS_PRELOAD } from './loopbackDns.ts';

const root = join(import.meta.dirname, '..');
const INVOKE_ONCE = join(import.meta.dirname, 'invoke-once.mjs');

export interface Invocation {
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string; stack?: string };
  /** Every line the function printed (its JSON logs), in order. */
  logs: string[];
  ms: number;
}

export type Invoke = (event: unknown, extraEnv?: Record<string, string>) => Promise<Invocation>;

/** Builds dist/function.zip unless it is newer than every source of the function. */
export function ensureBuiltZip(): string {
  const zip = join(root, 'dist/function.zip');
  if (!existsSync(zip) || newestSourceMs() > statSync(zip).mtimeMs) {
    execFileSync(join(root, 'scripts/build'), { cwd: root, stdio: 'ignore' });
  }
  return zip;
}

function newestSourceMs(): number {
  const dirs = ['function/src', 'function/shims'];
  const files = dirs.flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).map((name) => join(root, dir, name)),
  );
  return Math.max(...[...files, join(root, 'package-lock.json')].map((file) => statSync(file).mtimeMs));
}

/**
 * Unzips the built function.zip into a temporary directory and returns an invoker that runs each
 * invocation in a fresh Node process (a cold Lambda), with the given environment.
 */
export function bundleInvoker(env: Record<string, string>, options: { timeoutMs?: number } = {}) {
  const zip = ensureBuiltZip();
  const dir = mkdtempSync(join(tmpdir(), 'rotation-bundle-'));
  execFileSync('python3', ['-m', 'zipfile', '-e', zip, dir]);
  const entry = join(dir, 'index.mjs');
  const invoke: Invoke = (event, extraEnv = {}) =>
    invokeInFreshProcess(entry, event, { ...env, ...extraEnv }, { timeoutMs: options.timeoutMs });
  return { invoke, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FreshProcessOptions {
  /** Default 120 s; the process is killed 5 s after it. */
  timeoutMs?: number;
  /** More modules for `node --import`, after the loopback DNS. */
  preloads?: string[];
  /** Stack traces in the TypeScript sources (default); loading the map costs memory. */
  sourceMaps?: boolean;
  /** Collect the function's log lines (default); without, its stdout goes nowhere. */
  collectLogs?: boolean;
}

/** Runs one invocation of the bundle's handler `entry` in a new Node process, as a cold Lambda. */
export async function invokeInFreshProcess(
  entry: string,
  event: unknown,
  env: Record<string, string>,
  options: FreshProcessOptions = {},
): Promise<Invocation> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const preloads = [LOOPBACK_DNS_PRELOAD, ...(options.preloads ?? [])].flatMap((module) => [
    '--import',
    module,
  ]);
  const resultDir = mkdtempSync(join(tmpdir(), 'rotation-invoke-'));
  const resultFile = join(resultDir, 'result.json');
  const started = Date.now();
  try {
    const child = spawn(
      process.execPath,
      [...(options.sourceMaps === false ? [] : ['--enable-source-maps']), ...preloads, INVOKE_ONCE, entry],
      {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
          INVOKE_RESULT_FILE: resultFile,
        },
        stdio: ['pipe', options.collectLogs === false ? 'ignore' : 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdin?.end(JSON.stringify(event));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);
    const logs = output.split('\n').filter((line) => line.trim() !== '');
    if (!existsSync(resultFile)) {
      return {
        ok: false,
        error: {
          name: 'ProcessDied',
          message: `the invocation process exited with ${code} before answering`,
        },
        logs,
        ms: Date.now() - started,
      };
    }
    const outcome = JSON.parse(readFileSync(resultFile, 'utf8')) as Omit<Invocation, 'logs' | 'ms'>;
    return { ...outcome, logs, ms: Date.now() - started };
  } finally {
    rmSync(resultDir, { recursive: true, force: true });
  }
}
