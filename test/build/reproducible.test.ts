import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

interface BuildInfo {
  version: string;
  commit: string;
  sha256: string;
  sha256Base64: string;
  sourceMap: { file: string; bytes: number; sha256: string; sha256Base64: string };
}
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
    map: readFileSync(join(dir, 'sourcemaps.json')),
    mapSha256: readFileSync(join(dir, 'sourcemaps.json.sha256'), 'utf8'),
    info: JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as BuildInfo,
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
    expect(first.map.equals(second.map)).toBe(true);
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
    expect(JSON.parse(answer)).toMatchObject({
      action: 'version',
      version: built.info.version,
      commit: built.info.commit,
    });
    expect(listing).toContain('THIRD-PARTY-NOTICES.txt');
    // The files index.mjs loads on demand.
    expect(listing).toMatch(/chunks\/environment-[A-Z0-9]+\.mjs\s+1980-01-01 00:00:00/);
    expect(listing).toMatch(/chunks\/promise-[A-Z0-9]+\.mjs/);
    // 634,329 bytes with the source map inside, 355,101 without it, 390,680 split into chunks/.
    expect(built.zip.length).toBeLessThanOrEqual(400_000);
  });

  it('writes the source maps beside the zip, not in it, one per bundle file, with their SHA-256, naming the sources from the repository', () => {
    const built = buildInto('UTC');
    const listing = execFileSync(
      'python3',
      ['-m', 'zipfile', '-l', join(dirs.at(-1) as string, 'function.zip')],
      {
        encoding: 'utf8',
      },
    );

    expect(listing).not.toContain('.map');
    expect(built.info.sourceMap).toEqual({
      file: 'sourcemaps.json',
      bytes: built.map.length,
      sha256: createHash('sha256').update(built.map).digest('hex'),
      sha256Base64: createHash('sha256').update(built.map).digest('base64'),
    });
    expect(built.mapSha256).toBe(`${built.info.sourceMap.sha256}  sourcemaps.json\n`);
    const { files } = JSON.parse(built.map.toString('utf8')) as {
      files: Record<string, { sources: string[] }>;
    };
    const bundleFiles = [...listing.matchAll(/^(\S+\.mjs)\s/gm)].map((match) => match[1]);
    expect(Object.keys(files).sort()).toEqual(bundleFiles.sort());
    expect(files['index.mjs']?.sources).toContain('function/src/index.ts');
    const sources = Object.values(files).flatMap((map) => map.sources);
    expect(sources).toContain('function/src/environment.ts');
    expect(sources.filter((source) => source.startsWith('../'))).toEqual([]);
  });
});
