import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

// Last-resort cleanups run synchronously when this process exits (a crash, a forgotten stop()).
// Normal flow stops everything explicitly and unregisters.
const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;

/** Runs `cleanup` (synchronous) if this process exits first; returns the unregister function. */
export function registerExitCleanup(cleanup: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const run of exitCleanups) {
        try {
          run();
        } catch {
          // Best effort: the process is going away anyway.
        }
      }
    });
  }
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

// The watchdog covers what an 'exit' hook cannot: this process being SIGKILLed or outliving
// its budget. It polls every 5 seconds (with 32 idle servers, polling once a second kept this
// 2-core machine 12 % busy, every 5 seconds 5 %), kills the child (SIGCONT first, in case it is
// paused) when this process is gone or the lifetime is up, and removes `cleanupPath` only
// when this process is gone (a running caller may still need it, e.g. to restart a server).
const WATCHDOG_SCRIPT = `
parent=$1 child=$2 left=$3 cleanup=$4
while kill -0 "$child" 2>/dev/null; do
  if ! kill -0 "$parent" 2>/dev/null || [ "$left" -le 0 ]; then
    kill -CONT "$child" 2>/dev/null; kill -KILL "$child" 2>/dev/null
    break
  fi
  sleep 5
  left=$((left - 5))
done
if [ -n "$cleanup" ] && ! kill -0 "$parent" 2>/dev/null; then rm -rf -- "$cleanup"; fi
`;

export interface BoundedProcessOptions extends Pick<SpawnOptions, 'env' | 'cwd'> {
  /** Hard upper bound on the child's life; the watchdog SIGKILLs it after that. */
  maxLifetimeMs?: number;
  /** Removed by the watchdog if this process dies without cleaning up. */
  cleanupPath?: string;
  /** Keep the last part of what the child prints, for error messages (see `output()`). */
  captureOutput?: boolean;
}

/** What a released process's new owner needs to stop it safely and in time. */
export interface ReleasedProcess {
  pid: number;
  /** The command line it was started with: a pid reused by another program does not match it. */
  commandLine: string;
  /** When its lifetime bound runs out (epoch ms). */
  deadline: number;
}

const DEFAULT_MAX_LIFETIME_MS = 30 * 60_000;
// Enough for the last start-up messages and a stack trace; a chatty server cannot fill memory.
const OUTPUT_TAIL_CHARS = 64 * 1024;

/** A child process that cannot outlive this process (or its time budget) and is stopped by pid. */
export class BoundedProcess {
  readonly pid: number;
  /** Resolves when the child has exited (never rejects). */
  readonly exited: Promise<void>;
  private running = true;
  private outputTail = '';
  private readonly child: ChildProcess;
  private readonly watchdog: ChildProcess;
  private readonly unregister: () => void;
  private readonly deadline: number;
  private readonly commandLine: string;

  constructor(command: string, args: string[], options: BoundedProcessOptions = {}) {
    const lifetimeMs = options.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS;
    this.deadline = Date.now() + lifetimeMs;
    this.commandLine = [command, ...args].join(' ');
    this.child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: options.captureOutput ? ['ignore', 'pipe', 'pipe'] : 'ignore',
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.outputTail = (this.outputTail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
      });
    }
    this.exited = new Promise((resolve) => {
      const onEnd = () => {
        this.running = false;
        resolve();
      };
      this.child.once('exit', onEnd);
      this.child.once('error', onEnd);
    });
    // Spawn failures (ENOENT) arrive as an 'error' event, handled just above.
    if (this.child.pid === undefined) throw new Error(`could not start ${command}`);
    this.pid = this.child.pid;
    // Its own process group, so a Ctrl-C aimed at this process does not take it down too
    // and it can be killed together with its `sleep`.
    this.watchdog = spawn(
      'sh',
      [
        '-c',
        WATCHDOG_SCRIPT,
        'watchdog',
        String(process.pid),
        String(this.pid),
        String(Math.ceil(lifetimeMs / 1000)),
        options.cleanupPath ?? '',
      ],
      { detached: true, stdio: 'ignore' },
    );
    this.watchdog.unref();
    this.unregister = registerExitCleanup(() => this.forceKill());
    void this.exited.then(() => {
      this.unregister();
      this.killWatchdog();
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The last part of what the child printed, when started with `captureOutput`. */
  output(): string {
    return this.outputTail;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch (error) {
      // Exited, and not yet reported by the 'exit' event.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** SIGCONT (it may be paused), SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    });
    const gaveUp = await Promise.race([this.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (gaveUp) this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGKILL now and wait for the exit. */
  async kill(): Promise<void> {
    this.forceKill();
    await this.exited;
  }

  /**
   * Lets the child outlive this process: no exit hook, no watchdog, and this process no longer
   * waits for it. Whoever takes the returned description over must stop it by its deadline.
   */
  release(): ReleasedProcess {
    if (!this.running) throw new Error(`process ${this.pid} has exited; there is nothing to release`);
    if (this.child.stdout !== null) throw new Error('a process whose output is captured cannot be released');
    this.unregister();
    this.killWatchdog();
    this.child.unref();
    return { pid: this.pid, commandLine: this.commandLine, deadline: this.deadline };
  }

  private forceKill(): void {
    this.killWatchdog();
    if (!this.running) return;
    this.signal('SIGCONT');
    this.signal('SIGKILL');
  }

  private killWatchdog(): void {
    const pid = this.watchdog.pid;
    if (pid === undefined || this.watchdog.exitCode !== null || this.watchdog.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
