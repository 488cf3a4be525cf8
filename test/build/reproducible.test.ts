import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];

/** Builds into a fresh directory, in the given time zone, and returns what the build wrote. */
function buildInto(timeZone: string) {
  const dir = mkdtempSync(join(tmpdir(), 'build-'));
  dirs.push(dir);
  const output = execFileSync('node', ['--import', 'tsx', join(root, 'scripts/build.ts')], {
    cwd: root,
    env: { ...process.env, DIST_DIR: dir, TZ: timeZone },
    encoding: 'utf8',
  });
  return {
    output,
    zip: readFileSync(join(dir, 'function.zip')),
    info: JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as Record<string, unknown>,
  };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/build', () => {
  it('produces the same bytes twice, in different time zones, and prints the SHA-256 in hex and base64', () => {
    const first = buildInto('UTC');
    const second = buildInto('Pacific/Auckland');

    expect(first.zip.equals(second.zip)).toBe(true);
    expect(first.output).toContain(`sha256 (hex)     ${first.info.sha256}`);
    expect(first.output).toContain(`sha256 (base64)  ${first.info.sha256Base64}`);
    expect(first.info.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('bundles a handler that loads without node_modules and answers the version action', async () => {
    const built = buildInto('UTC');
    const dir = mkdtempSync(join(tmpdir(), 'unzipped-'));
    dirs.push(dir);
    execFileSync('python3', ['-m', 'zipfile', '-e', join(dirs.at(-2) as string, 'function.zip'), dir]);
    const listing = execFileSync(
      'python3',
      ['-m', 'zipfile', '-l', join(dirs.at(-2) as string, 'function.zip')],
      {
        encoding: 'utf8',
      },
    );

    const answer = execFileSync(
      'node',
      [
        '-e',
        `import('${join(dir, 'index.mjs')}').then(async (m) => console.log(JSON.stringify(await m.handler({ action: 'version' }))))`,
      ],
      {
        cwd: tmpdir(),
        encoding: 'utf8',
        // The least configuration the handler accepts: a secret and a discovery scope.
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          SECRET_ID: 'app-db-credentials',
          DB_IDENTIFIER_PREFIX: 'app-',
        },
      },
    );

    expect(listing).toMatch(/index\.mjs\s+1980-01-01 00:00:00/);
    expect(listing).toContain('index.mjs.map');
    expect(JSON.parse(answer)).toMatchObject({
      action: 'version',
      version: built.info.version,
      commit: built.info.commit,
    });
    expect(listing).toContain('THIRD-PARTY-NOTICES.txt');
    // 589,650 bytes before the SNS client of the notice action and the new modules (+24 kB) and the
    // license notices (+7 kB).
    expect(built.zip.length).toBeLessThan(640 * 1024);
  });
});
