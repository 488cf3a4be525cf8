import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Finding 10: the zip ships the license notices of what it bundles. The list of bundled packages
// is taken from the build's own metafile, not from this test.
const root = join(import.meta.dirname, '..', '..');
let dir: string;
let notices: string;
let bundled: { name: string; version: string; license: string; dir: string }[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'notices-build-'));
  execFileSync('node', ['--import', 'tsx', join(root, 'scripts/build.ts')], {
    cwd: root,
    env: { ...process.env, DIST_DIR: dir },
    encoding: 'utf8',
  });
  notices = execFileSync('python3', ['-c', UNZIP_ONE, join(dir, 'function.zip'), 'THIRD-PARTY-NOTICES.txt'], {
    encoding: 'utf8',
  });
  const metafile = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Metafile;
  // Every file of the bundle: index.mjs and the chunks it loads on demand.
  const inputs = Object.entries(metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .flatMap(([, output]) => Object.entries(output.inputs));
  const dirs = new Set(
    inputs
      .filter(([, input]) => input.bytesInOutput > 0)
      .flatMap(([path]) => {
        const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(path);
        return match?.[1] ? [match[1]] : [];
      }),
  );
  bundled = [...dirs].map((packageDir) => ({
    ...(JSON.parse(readFileSync(join(root, packageDir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license: string;
    }),
    dir: packageDir,
  }));
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const UNZIP_ONE =
  'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())';

describe('THIRD-PARTY-NOTICES.txt in function.zip', () => {
  it('names every package the bundle holds code of, with its version and license', () => {
    // act
    const missing = bundled.filter((p) => !notices.includes(`  ${p.name} ${p.version}  ${p.license}\n`));

    // assess
    expect(bundled.length).toBeGreaterThan(30);
    expect(bundled.map((p) => p.name)).toEqual(expect.arrayContaining(['mysql2', '@aws-sdk/client-sns']));
    expect(missing).toEqual([]);
  });

  it("holds each package's license text, or says the package ships none", () => {
    // prepare
    const mysql2License = readFileSync(join(root, 'node_modules/mysql2/License'), 'utf8');
    const shipsNone = notices.slice(notices.indexOf('These packages ship no license file'));

    // act
    const unaccounted = bundled.filter(
      (p) =>
        !notices.includes(`  ${p.name} ${p.version} (`) && !shipsNone.includes(`  ${p.name} ${p.version}  `),
    );

    // assess
    expect(unaccounted).toEqual([]);
    expect(notices).toContain(mysql2License.trim().split('\n')[0]);
    expect(notices).toContain('Apache License');
    expect(notices).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });
});
