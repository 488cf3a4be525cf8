import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `scripts/demo --keep` must give the prompt back with the sandbox still running, and print the
// one command that stops it and removes its folders, the test CA's private key among them.
const root = join(import.meta.dirname, '..', '..');

function sh(file: string, args: string[], timeout: number): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, timeout }, (error, stdout, stderr) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout: stdout + stderr,
      });
    });
  });
}

async function motoAnswers(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

function portListens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let stopScript: string | undefined;

// Should an assertion fail half-way, nothing is left running.
afterAll(async () => {
  if (stopScript !== undefined && existsSync(stopScript)) await sh('sh', [stopScript], 30_000);
});

describe('scripts/demo --keep', () => {
  it('returns with the sandbox running and prints the one command that stops it and removes its keys', {
    timeout: 300_000,
  }, async () => {
    const demo = await sh(join(root, 'scripts/demo'), ['--keep', '--instances', '1'], 280_000);

    expect(demo.code, demo.stdout).toBe(0);
    // The application on the client ran through the rotations, one line per rotation.
    expect(demo.stdout).toMatch(/app: \d+ queries, 0 failed/);
    expect(demo.stdout).toContain('ok   the application saw 0 failed queries');
    const stop = /stop everything and remove its folders and keys: sh '([^']+)'/.exec(demo.stdout);
    const endpoint = /moto (http:\/\/127\.0\.0\.1:\d+)/.exec(demo.stdout)?.[1] as string;
    const port = Number(/mariadb -h 127\.0\.0\.1 -P (\d+)/.exec(demo.stdout)?.[1]);
    const serverDir = dirname(/\(or -S (\S+)\)/.exec(demo.stdout)?.[1] as string);
    stopScript = stop?.[1];
    expect(stopScript, demo.stdout).toBeDefined();
    const folder = join(stopScript as string, '..');
    const keys = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.key'));
    expect(keys.length).toBeGreaterThan(0);
    expect(await motoAnswers(endpoint)).toBe(true);
    expect(await portListens(port)).toBe(true);
    expect(existsSync(serverDir)).toBe(true);

    const stopped = await sh('sh', [stopScript as string], 60_000);

    expect(stopped.code, stopped.stdout).toBe(0);
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(serverDir)).toBe(false);
    expect(await motoAnswers(endpoint)).toBe(false);
    expect(await portListens(port)).toBe(false);
  });
});
