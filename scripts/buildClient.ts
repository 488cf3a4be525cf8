/**
 * Builds the client package (client/): ESM JavaScript and type declarations into client/dist,
 * from a clean directory so that no file of an older build ends up in `npm pack`.
 * Run alone with `node --import tsx scripts/buildClient.ts`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
export const clientDir = join(root, 'client');
export const clientDist = join(clientDir, 'dist');

/** Compiles client/src with client/tsconfig.json; returns the files written, relative to client/dist. */
export function buildClient(): string[] {
  rmSync(clientDist, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(clientDir, 'tsconfig.json')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`building the client (tsc -p client/tsconfig.json) failed:\n${stdout}${stderr}`, {
      cause: error,
    });
  }
  return readdirSync(clientDist, { recursive: true, encoding: 'utf8' }).sort();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = buildClient();
  console.log(`client/dist: ${files.length} files`);
}
