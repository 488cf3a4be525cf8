import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import type { App } from '../../sandbox/rotationWorld.ts';

export function appServers(app: App): MariaDbServer[] {
  return app.serverIndexes.map((index) => app.world.servers[index] as MariaDbServer);
}

/** Logins and refused logins the app's servers counted while `action` ran, less our own admin reads. */
export async function countLogins<T>(servers: MariaDbServer[], action: () => Promise<T>) {
  const read = async () => {
    const counts = await Promise.all(
      servers.map(async (server) => {
        const rows = await server.adminQuery(
          "SHOW GLOBAL STATUS WHERE Variable_name IN ('Connections', 'Access_denied_errors')",
        );
        const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? 0);
        return { logins: value('Connections'), refused: value('Access_denied_errors') };
      }),
    );
    return counts.reduce((a, b) => ({ logins: a.logins + b.logins, refused: a.refused + b.refused }), {
      logins: 0,
      refused: 0,
    });
  };
  const before = await read();
  const result = await action();
  const after = await read();
  // The `after` read's own admin connection counts once per server.
  return {
    result,
    logins: after.logins - before.logins - servers.length,
    refused: after.refused - before.refused,
  };
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Milliseconds of CPU (user + system) used so far. */
export interface CpuTime {
  function: number;
  servers: number;
  aws: number;
}

/**
 * This process's CPU (the function's code, including its TLS handshakes, which Node runs on its one
 * JavaScript thread) and that of the given MariaDB servers and moto, from /proc (Linux; whole
 * processes, exited threads included, in clock ticks).
 */
export function cpuTime(servers: MariaDbServer[], motoPid: number): CpuTime {
  const ticks = (pid: number | undefined) => {
    if (pid === undefined) return 0;
    // Fields 14 and 15 (utime, stime) of /proc/PID/stat, counted after the parenthesised name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  };
  const own = process.cpuUsage();
  return {
    function: (own.user + own.system) / 1000,
    servers: servers.reduce((sum, server) => sum + ticks(server.pid), 0),
    aws: ticks(motoPid),
  };
}

export function cpuSince(before: CpuTime, after: CpuTime): CpuTime {
  return {
    function: after.function - before.function,
    servers: after.servers - before.servers,
    aws: after.aws - before.aws,
  };
}
