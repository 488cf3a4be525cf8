import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltZip } from '../../sandbox/bundleInvoker.ts';
import { AWS_TEST_CREDENTIALS, awsEnv, type MotoServer, startMoto, TEST_REGION } from '../../sandbox/moto.ts';
import { ReleaseError, verifyUpload } from '../../scripts/releasing/upload.ts';

// scripts/release against moto's S3, run as the DBA pipeline runs it (the wrapper included). Each
// test gets a dist directory of its own (DIST_DIR), so that no other test sees a release replace
// the repository's dist/; the changelog is one written for the versions released here.
const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'release-test-'));
const changelog = join(work, 'CHANGELOG.md');
let moto: MotoServer;
let s3: S3Client;

beforeAll(async () => {
  ensureBuiltZip();
  writeFileSync(
    changelog,
    [
      '# Changelog',
      '',
      '## [Unreleased]',
      '',
      '- Something not released yet.',
      '',
      ...['4.0.0', '3.0.0', '2.0.0', '1.2.3', '1.0.0'].flatMap((v) => [
        `## [${v}] - 2026-11-30`,
        '',
        `- Release ${v}.`,
        '',
      ]),
      '## [0.9.0]',
      '',
      '- Never dated.',
      '',
      '[1.0.0]: https://git.example.com/dba/mysql-password-rotation/releases/v1.0.0',
    ].join('\n'),
  );
  moto = await startMoto();
  s3 = new S3Client({ endpoint: moto.endpoint, region: TEST_REGION, credentials: AWS_TEST_CREDENTIALS });
  await s3.send(new CreateBucketCommand({ Bucket: 'dba-releases' }));
  await s3.send(
    new PutBucketVersioningCommand({
      Bucket: 'dba-releases',
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  rmSync(work, { recursive: true, force: true });
});

function runFile(file: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { env, timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout,
        stderr,
      });
    });
  });
}

/** Every file under `dir` with its bytes. */
function snapshot(dir: string): [string, string][] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => [name, readFileSync(join(dir, name)).toString('base64')]);
}

/** A dist directory holding a copy of the repository's build. */
function distCopy(name: string): string {
  const dir = join(work, name, 'dist');
  mkdirSync(dirname(dir), { recursive: true });
  cpSync(join(root, 'dist'), dir, { recursive: true });
  return dir;
}

function runRelease(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runFile(join(root, 'scripts/release'), ['--changelog', changelog, ...args], {
    ...process.env,
    ...awsEnv(moto.endpoint),
    DIST_DIR: distCopy(`run-${Math.random().toString(36).slice(2)}`),
    ...env,
  });
}

const built = () =>
  JSON.parse(readFileSync(join(root, 'dist/build.json'), 'utf8')) as { sha256Base64: string };

describe('scripts/release', () => {
  it('uploads function.zip under its version, checks the upload, and prints the module inputs', async () => {
    const zip = readFileSync(join(root, 'dist/function.zip'));

    const result = await runRelease(['--bucket', 'dba-releases', '--version', '1.2.3', '--skip-build']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "Uploaded and checked (S3's SHA-256 checksum and size): s3://dba-releases/mysql-password-rotation/1.2.3/function.zip",
    );
    expect(result.stdout).toContain('s3_key            = "mysql-password-rotation/1.2.3/function.zip"');
    expect(result.stdout).toContain(`source_code_hash  = "${built().sha256Base64}"`);
    expect(result.stdout).toMatch(/s3_object_version = "\S+"/);
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: 'dba-releases', Key: 'mysql-password-rotation/1.2.3/function.zip' }),
    );
    expect(Buffer.from(await (stored.Body?.transformToByteArray() ?? new Uint8Array())).equals(zip)).toBe(
      true,
    );
  });

  it('uploads the source map beside the zip, before it, and checks it the same way', async () => {
    const map = readFileSync(join(root, 'dist/sourcemaps.json'));

    const result = await runRelease(['--bucket', 'dba-releases', '--version', '1.0.0', '--skip-build']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const mapLine = result.stdout.indexOf(
      "Uploaded and checked (S3's SHA-256 checksum and size): s3://dba-releases/mysql-password-rotation/1.0.0/sourcemaps.json",
    );
    const zipLine = result.stdout.indexOf('s3://dba-releases/mysql-password-rotation/1.0.0/function.zip');
    expect(mapLine).toBeGreaterThanOrEqual(0);
    expect(zipLine).toBeGreaterThan(mapLine);
    expect(result.stdout).toContain(
      'Source map (for stack traces, see docs/performance.md): s3://dba-releases/mysql-password-rotation/1.0.0/sourcemaps.json',
    );
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: 'dba-releases', Key: 'mysql-password-rotation/1.0.0/sourcemaps.json' }),
    );
    expect(Buffer.from(await (stored.Body?.transformToByteArray() ?? new Uint8Array())).equals(map)).toBe(
      true,
    );
  });

  it('refuses a version whose source map an interrupted release left behind, saying what to delete', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'dba-releases',
        Key: 'mysql-password-rotation/3.0.0/sourcemaps.json',
        Body: Buffer.from('{}'),
      }),
    );

    const result = await runRelease(['--bucket', 'dba-releases', '--version', '3.0.0', '--skip-build']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'release failed: s3://dba-releases/mysql-password-rotation/3.0.0/sourcemaps.json already exists although ' +
        'mysql-password-rotation/3.0.0/function.zip does not: an earlier release of this version stopped half-way. ' +
        'Delete that object and release again.',
    );
  });

  it('refuses a dist/ built before the split into chunks/ (one index.mjs.map), saying to build again', async () => {
    const dist = distCopy('old-build');
    const info = JSON.parse(readFileSync(join(dist, 'build.json'), 'utf8')) as Record<string, unknown>;
    info.sourceMap = { file: 'index.mjs.map', sha256Base64: 'AAAA' };
    writeFileSync(join(dist, 'build.json'), JSON.stringify(info));

    const result = await runRelease(['--bucket', 'dba-releases', '--version', '5.0.0-rc.2', '--skip-build'], {
      DIST_DIR: dist,
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "names no sourcemaps.json: that build is older than the bundle's split into chunks/. Run scripts/build again",
    );
  });

  it('never overwrites a version that was already released', async () => {
    expect((await runRelease(['--bucket', 'dba-releases', '--version', '2.0.0', '--skip-build'])).code).toBe(
      0,
    );

    const again = await runRelease(['--bucket', 'dba-releases', '--version', '2.0.0', '--skip-build']);

    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; versions are immutable');
  });

  it.each([
    ['1.4', 'it needs MAJOR.MINOR.PATCH, three whole numbers, got "1.4"'],
    ['v1.4.0', 'drop the leading "v" (1.4.0), got "v1.4.0"'],
    ['01.2.3', 'numbers have no leading zeros ("01"), got "01.2.3"'],
    [
      '1.2.3-rc.01',
      'the pre-release part "rc.01" must be dot-separated letters, digits and hyphens, numbers without leading zeros',
    ],
    ['1.2.3+build..1', 'the build part "build..1" must be dot-separated letters, digits and hyphens'],
  ])('refuses %s as a version, saying why (exit 2)', async (version, why) => {
    const result = await runRelease(['--bucket', 'dba-releases', '--version', version, '--skip-build']);

    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(
      `scripts/release: --version must be a semantic version (semver 2.0.0) such as 1.4.0 or 1.4.0-rc.1: ${why}`,
    );
  });

  it.each([
    [
      '5.0.0',
      `CHANGELOG.md has no section for 5.0.0: rename "## [Unreleased]" to "## [5.0.0] - ${new Date().toISOString().slice(0, 10)}" and start a new, empty "## [Unreleased]" above it`,
    ],
    [
      '0.9.0',
      `its section "## [0.9.0]" in CHANGELOG.md has no date: write "## [0.9.0] - ${new Date().toISOString().slice(0, 10)}"`,
    ],
  ])('refuses %s, which CHANGELOG.md does not release, saying what to write', async (version, why) => {
    const result = await runRelease(['--bucket', 'dba-releases', '--version', version, '--skip-build']);

    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd()).toBe(`release refused: version ${version}: ${why}`);
  });

  it('lets a pre-release ship the Unreleased section', async () => {
    const result = await runRelease(['--bucket', 'dba-releases', '--version', '5.0.0-rc.1', '--skip-build']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('s3_key            = "mysql-password-rotation/5.0.0-rc.1/function.zip"');
  });

  it('refuses to run without a bucket, saying what it needs', async () => {
    const result = await runRelease(['--version', '3.0.0']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--bucket is required');
  });

  it('says which variable to set when no AWS region is configured, with no SDK warning around it', async () => {
    // Nothing from this test run: no region, no profile, and not the variable that silences the
    // SDK's Node version warning (the wrapper must set it itself).
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: tmpdir(),
      AWS_CONFIG_FILE: join(tmpdir(), 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'no-aws-credentials'),
    };

    const result = await runFile(
      join(root, 'scripts/release'),
      ['--bucket', 'dba-releases', '--version', '1.0.0', '--changelog', changelog, '--skip-build'],
      env,
    );

    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      "release failed: no AWS region; set AWS_REGION to the bucket's region (or give the AWS_PROFILE's config a region)",
    ]);
  });
});

describe('a release that builds', () => {
  it('leaves dist/ as it was when the release fails after the build', async () => {
    const dist = distCopy('failing');
    const before = snapshot(dist);

    const result = await runRelease(['--bucket', 'no-such-bucket', '--version', '3.0.0'], { DIST_DIR: dist });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('version 3.0.0');
    expect(result.stderr).toMatch(/release failed: .*NoSuchBucket|release failed: .*bucket does not exist/);
    expect(result.stderr).toContain('dist/ is left as it was');
    expect(snapshot(dist)).toEqual(before);
    expect(readdirSync(dirname(dist))).toEqual(['dist']);
  });

  it('moves the new build into dist/ once released, and tags the commit it was built from', async () => {
    // A repository of its own: the tag must not land in this one.
    const repo = join(work, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, GIT_DIR: undefined },
      }).trim();
    git('init', '--quiet');
    git(
      '-c',
      'user.name=DBA',
      '-c',
      'user.email=dba@example.com',
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'release',
    );
    const head = git('rev-parse', 'HEAD');
    const dist = distCopy('tagged');
    const gitEnv = {
      GIT_DIR: join(repo, '.git'),
      GIT_WORK_TREE: repo,
      GIT_COMMITTER_NAME: 'DBA',
      GIT_COMMITTER_EMAIL: 'dba@example.com',
    };

    const result = await runRelease(['--bucket', 'dba-releases', '--version', '4.0.0', '--tag'], {
      DIST_DIR: dist,
      ...gitEnv,
    });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const info = JSON.parse(readFileSync(join(dist, 'build.json'), 'utf8')) as {
      version: string;
      commit: string;
    };
    expect(info).toMatchObject({ version: '4.0.0', commit: head });
    expect(readdirSync(dirname(dist))).toEqual(['dist']);
    expect(result.stdout).toContain('Tagged v4.0.0; push it with: git push origin v4.0.0');
    expect(git('rev-list', '-n', '1', 'v4.0.0')).toBe(head);
    expect(git('tag', '--list', 'v4.0.0', '--format=%(contents:subject)')).toBe(
      'mysql-password-rotation 4.0.0: s3://dba-releases/mysql-password-rotation/4.0.0/function.zip',
    );
    expect(execFileSync('git', ['tag', '--list', 'v4.0.0'], { cwd: root, encoding: 'utf8' })).toBe('');

    const again = await runRelease(
      ['--bucket', 'dba-releases', '--version', '4.0.0', '--tag', '--skip-build'],
      {
        DIST_DIR: dist,
        ...gitEnv,
      },
    );

    expect(again.code).toBe(1);
    expect(again.stderr).toBe('release failed: git tag v4.0.0 exists already: release another version\n');
  });
});

describe('the check of an upload', () => {
  const zip = () => readFileSync(join(root, 'dist/function.zip'));
  const key = 'checks/function.zip';

  it('fails loudly when S3 holds other bytes than the build', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'dba-releases',
        Key: key,
        Body: Buffer.from('not the zip'),
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const release = {
      s3_bucket: 'dba-releases',
      s3_key: key,
      s3_object_version: put.VersionId,
      source_code_hash: built().sha256Base64,
    };

    const check = verifyUpload(s3, release, zip());

    await expect(check).rejects.toThrow(ReleaseError);
    await expect(check).rejects.toThrow(
      `s3://dba-releases/${key} does not hold the built zip: SHA-256 ${put.ChecksumSHA256}, 11 bytes, where the build has ${built().sha256Base64}, ${zip().length} bytes`,
    );
  });

  it('reads the object back when S3 reports no checksum for it', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'dba-releases', Key: key, Body: zip() }));
    const release = {
      s3_bucket: 'dba-releases',
      s3_key: key,
      s3_object_version: put.VersionId,
      source_code_hash: built().sha256Base64,
    };

    expect(await verifyUpload(s3, release, zip())).toBe('the object read back (S3 reported no checksum)');
  });
});
