/**
 * The DBA release pipeline's upload step: one immutable object per version, so that every
 * application's Terraform keeps deploying exactly the bytes it was planned with.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
// The SDK is loaded once the command line is known to be right: --help and mistakes answer at once.
import type { S3Client } from '@aws-sdk/client-s3';
import { command, readCommandLine, required, UsageError } from './cli/commandLine.ts';
import { isMainModule } from './cli/mainModule.ts';
import { checkTaggable, createTag } from './releasing/gitTag.ts';
import {
  type Release,
  ReleaseError,
  refuseReleased,
  removeUpload,
  upload,
  uploadSourceMap,
  verifyUpload,
} from './releasing/upload.ts';
import { changelogProblem, semverProblem } from './releasing/version.ts';
import { SOURCE_MAPS_FILE } from './sourceMaps.ts';

const root = join(import.meta.dirname, '..');

const USAGE = `Usage: scripts/release --bucket BUCKET [--prefix PREFIX] [--version VERSION] [--skip-build] [--tag]

Builds function.zip and uploads it to s3://BUCKET/PREFIX/VERSION/function.zip, with the bundle's
source maps beside it (${SOURCE_MAPS_FILE}, first), checks what S3 holds against the build, and prints
the module inputs to hand to the application teams.
An existing object for that version is never overwritten: release a new version instead.

  --bucket      the DBA team's release bucket (required)
  --prefix      key prefix (default: mysql-password-rotation)
  --version     release version, a semantic version such as 1.4.0 or 1.4.0-rc.1 (default:
                "version" in package.json). CHANGELOG.md must have its section, dated:
                "## [1.4.0] - YYYY-MM-DD"; a pre-release may ship the "## [Unreleased]" section.
  --changelog   the changelog to check (default: CHANGELOG.md)
  --skip-build  upload the function.zip that is already built in dist/
  --tag         after a successful release, tag HEAD "v<VERSION>" (annotated; not pushed). Once
                pushed, module sources such as git::https://.../mysql-password-rotation.git?ref=v1.4.0
                resolve to the commit the zip was built from. Refused for a build of
                uncommitted changes or of another commit than HEAD.
  -h, --help    this text

dist/ (or DIST_DIR) changes only when the release succeeds: the zip is built aside and moved in
after the upload was checked.

AWS credentials, region and endpoint come from the standard AWS variables and profile
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, ...).`;

const COMMAND = command({
  name: 'scripts/release',
  usage: USAGE,
  options: {
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    version: { type: 'string' },
    changelog: { type: 'string' },
    'skip-build': { type: 'boolean' },
    tag: { type: 'boolean' },
  },
});

interface Built {
  dir: string;
  zip: Buffer;
  sha256Base64: string;
  map: { bytes: Buffer; sha256Base64: string };
  commit: string | undefined;
}

function readBuild(dir: string): Built {
  const zip = readFileSync(join(dir, 'function.zip'));
  const info = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as {
    sha256Base64: string;
    commit?: string;
    sourceMap?: { file: string; sha256Base64: string };
  };
  if (info.sourceMap?.file !== SOURCE_MAPS_FILE) {
    throw new ReleaseError(
      `${join(dir, 'build.json')} names no ${SOURCE_MAPS_FILE}: that build is older than the bundle's split into chunks/. Run scripts/build again`,
    );
  }
  const map = {
    bytes: readFileSync(join(dir, info.sourceMap.file)),
    sha256Base64: info.sourceMap.sha256Base64,
  };
  return { dir, zip, sha256Base64: info.sha256Base64, map, commit: info.commit };
}

/** Builds into a fresh directory beside dist/, which stays as it is until the release succeeds. */
function buildAside(dist: string, version: string): Built {
  const dir = mkdtempSync(`${dist}.building-`);
  try {
    execFileSync(join(root, 'scripts/build'), {
      stdio: 'inherit',
      env: { ...process.env, FUNCTION_VERSION: version, DIST_DIR: dir },
    });
    return readBuild(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new ReleaseError(`the build failed: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

/** Puts the new build where dist/ was, in two renames; the old one comes back if the second fails. */
function replaceDist(dist: string, built: string): void {
  const previous = `${dist}.previous-${process.pid}`;
  const hadDist = existsSync(dist);
  if (hadDist) renameSync(dist, previous);
  try {
    renameSync(built, dist);
  } catch (error) {
    if (hadDist) renameSync(previous, dist);
    throw error;
  }
  rmSync(previous, { recursive: true, force: true });
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function readChangelog(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const options = readCommandLine(COMMAND, ({ values }) => {
    const version = values.version ?? packageVersion;
    const problem = semverProblem(version);
    if (problem !== undefined) {
      throw new UsageError(
        `--version must be a semantic version (semver 2.0.0) such as 1.4.0 or 1.4.0-rc.1: ${problem}, got "${version}"`,
      );
    }
    return {
      bucket: required('--bucket', values.bucket),
      prefix: values.prefix ?? 'mysql-password-rotation',
      version,
      // Relative to where the user stands: the wrapper runs this from the repository.
      changelog: resolve(
        process.env.RELEASE_CALLER_DIR ?? root,
        values.changelog ?? join(root, 'CHANGELOG.md'),
      ),
      skipBuild: values['skip-build'] === true,
      tag: values.tag === true,
    };
  });
  const { version } = options;
  const dist = process.env.DIST_DIR ?? join(root, 'dist');
  const refuse = (message: string) => {
    console.error(`release refused: ${message}`);
    return 1;
  };
  const changelog = changelogProblem(readChangelog(options.changelog), version, today());
  if (changelog !== undefined) return refuse(`version ${version}: ${changelog}`);
  const { S3Client } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
  let built: Built | undefined;
  try {
    if (options.tag) checkTaggable(root, version, undefined);
    // Checked first: without a region nothing can be uploaded, and the build would be for nothing.
    const region = await s3.config.region().catch(() => undefined);
    if (region === undefined) {
      console.error(
        "release failed: no AWS region; set AWS_REGION to the bucket's region (or give the AWS_PROFILE's config a region)",
      );
      return 1;
    }
    // Also checked by the upload itself; here it spares a build that could not be released.
    await refuseReleased(s3, options);
    built = options.skipBuild ? readBuild(dist) : buildAside(dist, version);
    if (options.tag) checkTaggable(root, version, built.commit);
    // The map first: the zip's key is what marks a version released, so it goes last.
    const map = await uploadSourceMap(s3, built.map.bytes, built.map.sha256Base64, options);
    await check(s3, map, built.map.bytes, 'the built source map');
    const release = await upload(s3, built.zip, built.sha256Base64, options).catch(async (error: unknown) => {
      // Without its zip the map would block the next attempt at this version.
      await removeUpload(s3, map).catch(() => undefined);
      throw error;
    });
    await check(s3, release, built.zip, 'the built zip', map);
    if (!options.skipBuild) replaceDist(dist, built.dir);
    print(release, map);
    if (options.tag) {
      const tag = createTag(root, version, `s3://${release.s3_bucket}/${release.s3_key}`);
      console.log(`\nTagged ${tag}; push it with: git push origin ${tag}`);
    }
    return 0;
  } catch (error) {
    console.error(`release failed: ${(error as Error).message}`);
    if (!options.skipBuild) console.error('dist/ is left as it was');
    return 1;
  } finally {
    if (built !== undefined && !options.skipBuild) rmSync(built.dir, { recursive: true, force: true });
    s3.destroy();
  }
}

/**
 * Fails loudly when S3 does not hold the built bytes, removing the bad object (and `alsoRemove`,
 * the map uploaded before the zip) so that the version can be released again.
 */
async function check(
  s3: S3Client,
  release: Release,
  bytes: Buffer,
  what: string,
  alsoRemove?: Release,
): Promise<void> {
  try {
    const how = await verifyUpload(s3, release, bytes, what);
    console.log(`Uploaded and checked (${how}): s3://${release.s3_bucket}/${release.s3_key}`);
  } catch (error) {
    const removeAll = async () => {
      await removeUpload(s3, release);
      if (alsoRemove !== undefined) await removeUpload(s3, alsoRemove);
    };
    const removed = await removeAll().then(
      () => 'it was removed; release the same version again',
      (removeError: Error) =>
        `removing it failed too (${removeError.name}): delete it by hand before releasing again`,
    );
    throw new ReleaseError(`${(error as Error).message}; ${removed}`, { cause: error });
  }
}

function print(release: Release, map: Release): void {
  console.log('\nModule inputs:');
  console.log(`  s3_bucket         = "${release.s3_bucket}"`);
  console.log(`  s3_key            = "${release.s3_key}"`);
  if (release.s3_object_version) console.log(`  s3_object_version = "${release.s3_object_version}"`);
  console.log(`  source_code_hash  = "${release.source_code_hash}"`);
  console.log(
    `\nSource map (for stack traces, see docs/performance.md): s3://${map.s3_bucket}/${map.s3_key}`,
  );
}

if (isMainModule(import.meta)) process.exitCode = await main();
