import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOOPBACK_DNS_PRELOAD } from './loopbackDns.ts';
import { MOTO_ACCOUNT_ID, TEST_REGION } from './moto.ts';

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

/** The function's ARN in the sandbox, as Lambda hands it to the handler for an unqualified call. */
export const LOCAL_FUNCTION_ARN = `arn:aws:lambda:${TEST_REGION}:${MOTO_ACCOUNT_ID}:function:local-rotation`;

/**
 * The aliases of the deployed function: Secrets Manager invokes `rotation` (the world sets
 * ROTATION_ALIAS to it), people and scripts invoke `manual`.
 */
export const ROTATION_ALIAS = 'rotation';
export const MANUAL_ALIAS = 'manual';

/** The alias (or version) an invocation goes through; null for the unqualified function. */
export type Qualifier = string | null;

export type Invoke = (
  event: unknown,
  extraEnv?: Record<string, string>,
  qualifier?: Qualifier,
) => Promise<Invocation>;

/** context.invokedFunctionArn of an invocation through `qualifier`. */
export function invokedFunctionArn(qualifier: Qualifier): string {
  return qualifier === null ? LOCAL_FUNCTION_ARN : `${LOCAL_FUNCTION_ARN}:${qualifier}`;
}

const BUILD_LOCK = join(root, 'dist.build-lock');
// A lock left by a process killed mid-build; a build takes about 10 s.
const BUILD_LOCK_STALE_MS = 5 * 60_000;

/**
 * Builds dist/function.zip unless it is newer than every source of the function. Test files run
 * two at a time, and two builds at once would write dist/ over each other: the first to find the
 * zip out of date builds it, holding a lock directory, while the others wait and use its build.
 */
export function ensureBuiltZip(): string {
  const zip = join(root, 'dist/function.zip');
  if (!zipOutOfDate(zip)) return zip;
  while (!takeLock()) sleepSync(100);
  try {
    if (zipOutOfDate(zip)) execFileSync(join(root, 'scripts/build'), { cwd: root, stdio: 'ignore' });
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
  return zip;
}

function zipOutOfDate(zip: string): boolean {
  // A build older than the split into chunks/ has no sourcemaps.json beside it: build again.
  if (!existsSync(zip) || !existsSync(join(root, 'dist/sourcemaps.json'))) return true;
  return newestSourceMs() > statSync(zip).mtimeMs;
}

function takeLock(): boolean {
  try {
    mkdirSync(BUILD_LOCK);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const age = Date.now() - (statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > BUILD_LOCK_STALE_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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
  const invoke: Invoke = (event, extraEnv = {}, qualifier = null) =>
    invokeInFreshProcess(entry, event, { ...env, ...extraEnv }, { timeoutMs: options.timeoutMs, qualifier });
  return { invoke, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FreshProcessOptions {
  /** Default 120 s; the process is killed 5 s after it. */
  timeoutMs?: number;
  /** More modules for `node --import`, after the loopback DNS. */
  preloads?: string[];
  /** Collect the function's log lines (default); without, its stdout goes nowhere. */
  collectLogs?: boolean;
  /** The alias the invocation goes through (context.invokedFunctionArn); default unqualified. */
  qualifier?: Qualifier;
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
      [...preloads, INVOKE_ONCE, entry, invokedFunctionArn(options.qualifier ?? null)],
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
