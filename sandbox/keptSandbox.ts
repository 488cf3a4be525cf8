import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleasedProcess } from './boundedProcess.ts';

export interface KeptSandbox {
  /** The one command that stops every kept process and removes the folders. */
  stopCommand: string;
  /** When the keeper runs that command by itself. */
  until: Date;
}

/**
 * Hands released processes over to a stop script written into `dir`, and to a keeper: a detached
 * `sleep` that runs the script when the first lifetime bound runs out. The script stops the
 * processes (SIGTERM, then SIGKILL after 10 s) and removes `paths`, which must include `dir`: the
 * folders hold the test CA's private keys, which must not outlive the servers.
 */
export function keepRunning(dir: string, processes: ReleasedProcess[], paths: string[]): KeptSandbox {
  const script = join(dir, 'stop');
  const deadline = Math.min(...processes.map((process) => process.deadline));
  const seconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
  // The script is written once the keeper's pid is known; the keeper sleeps far longer than that.
  const keeper = spawn('sh', ['-c', 'sleep "$1"; exec sh "$0"', script, String(seconds)], {
    detached: true,
    stdio: 'ignore',
  });
  keeper.unref();
  if (keeper.pid === undefined) throw new Error('could not start the keeper of the kept sandbox');
  try {
    writeFileSync(script, stopScript(script, keeper.pid, processes, paths), { mode: 0o700 });
  } catch (error) {
    process.kill(-keeper.pid, 'SIGKILL');
    throw error;
  }
  return { stopCommand: `sh ${quote(script)}`, until: new Date(Date.now() + seconds * 1000) };
}

function stopScript(script: string, keeper: number, processes: ReleasedProcess[], paths: string[]): string {
  return `#!/bin/sh
# Stops the sandbox that was kept running (scripts/demo --keep) and removes its folders, the test
# CA's private keys among them. Its keeper runs it by itself when the sandbox's lifetime is up.
# A pid counts only while it still runs the command it was started with: once a process has
# exited, the system may give its pid to another program.
runs() { case "$(ps -ww -o args= -p "$1" 2>/dev/null)" in *"$2"*) return 0 ;; esac; return 1; }
# The keeper's process group holds its sleep too; when the keeper itself runs this, it is $$.
if [ ${keeper} != $$ ] && runs ${keeper} ${quote(script)}; then kill -KILL -${keeper} 2>/dev/null; fi
# Each process: its pid, then the command line it was started with.
set -- \\
${processes.map((p) => `  ${p.pid} ${quote(p.commandLine)}`).join(' \\\n')}
signal_all() {
  sig=$1
  shift
  while [ $# -gt 1 ]; do
    if runs "$1" "$2"; then kill -"$sig" "$1" 2>/dev/null; fi
    shift 2
  done
}
any_runs() {
  while [ $# -gt 1 ]; do
    if runs "$1" "$2"; then return 0; fi
    shift 2
  done
  return 1
}
signal_all CONT "$@"
signal_all TERM "$@"
tries=0
while any_runs "$@" && [ "$tries" -lt 50 ]; do
  sleep 0.2
  tries=$((tries + 1))
done
signal_all KILL "$@"
rm -rf -- ${paths.map(quote).join(' ')}
echo "sandbox stopped; removed" ${paths.map(quote).join(' ')}
`;
}

/** One shell word, whatever the text holds. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
