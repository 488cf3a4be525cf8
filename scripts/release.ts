/**
 * The DBA release pipeline's upload step: one immutable object per version, so that every
 * application's Terraform keeps deploying exactly the bytes it was planned with.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// The SDK is loaded once the command line is known to be right: --help and mistakes answer at once.
import type { S3Client } from '@aws-sdk/client-s3';
import { command, matching, readCommandLine, required } from './cli/commandLine.ts';
import { isMainModule } from './cli/mainModule.ts';

const root = join(import.meta.dirname, '..');

const USAGE = `Usage: scripts/release --bucket BUCKET [--prefix PREFIX] [--version VERSION] [--skip-build]

Builds dist/function.zip and uploads it to s3://BUCKET/PREFIX/VERSION/function.zip.
An existing object for that version is never overwritten: release a new version instead.

  --bucket      the DBA team's release bucket (required)
  --prefix      key prefix (default: mysql-password-rotation)
  --version     release version (default: "version" in package.json)
  --skip-build  upload the dist/function.zip that is already built
  -h, --help    this text

AWS credentials, region and endpoint come from the standard AWS variables and profile
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, ...).`;

const COMMAND = command({
  name: 'scripts/release',
  usage: USAGE,
  options: {
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    version: { type: 'string' },
    'skip-build': { type: 'boolean' },
  },
});

export interface ReleaseOptions {
  bucket: string;
  prefix: string;
  version: string;
}

export interface Release {
  s3_bucket: string;
  s3_key: string;
  s3_object_version: string | undefined;
  source_code_hash: string;
}

/** Uploads the zip unless the key already exists; throws with what to do instead. */
export async function release(s3: S3Client, zip: Buffer, sha256Base64: string, options: ReleaseOptions) {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const key = `${options.prefix.replace(/\/+$/, '')}/${options.version}/function.zip`;
  if (await exists(s3, options.bucket, key)) {
    throw new Error(
      `s3://${options.bucket}/${key} already exists; versions are immutable. Bump the version and release again.`,
    );
  }
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: key,
      Body: zip,
      ContentType: 'application/zip',
      ChecksumSHA256: sha256Base64,
      // Refused by S3 if another upload of the same version won the race since the check above.
      IfNoneMatch: '*',
    }),
  );
  const result: Release = {
    s3_bucket: options.bucket,
    s3_key: key,
    s3_object_version: put.VersionId,
    source_code_hash: sha256Base64,
  };
  return result;
}

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const { HeadObjectCommand, NotFound } = await import('@aws-sdk/client-s3');
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

async function main(): Promise<number> {
  const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const options = readCommandLine(COMMAND, ({ values }) => ({
    bucket: required('--bucket', values.bucket),
    prefix: values.prefix ?? 'mysql-password-rotation',
    version: matching(
      '--version',
      values.version ?? packageVersion,
      /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/,
      'letters, digits, dots, plus, underscores or hyphens',
    ),
    skipBuild: values['skip-build'] === true,
  }));
  const { version } = options;
  const { S3Client } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    // Checked first: without a region nothing can be uploaded, and the build would be for nothing.
    const region = await s3.config.region().catch(() => undefined);
    if (region === undefined) {
      console.error(
        "release failed: no AWS region; set AWS_REGION to the bucket's region (or give the AWS_PROFILE's config a region)",
      );
      return 1;
    }
    if (!options.skipBuild) {
      execFileSync(join(root, 'scripts/build'), {
        stdio: 'inherit',
        env: { ...process.env, FUNCTION_VERSION: version },
      });
    }
    const zip = readFileSync(join(root, 'dist/function.zip'));
    const built = JSON.parse(readFileSync(join(root, 'dist/build.json'), 'utf8')) as { sha256Base64: string };
    const result = await release(s3, zip, built.sha256Base64, {
      bucket: options.bucket,
      prefix: options.prefix,
      version,
    });
    console.log(`Uploaded s3://${result.s3_bucket}/${result.s3_key}\n\nModule inputs:`);
    console.log(`  s3_bucket         = "${result.s3_bucket}"`);
    console.log(`  s3_key            = "${result.s3_key}"`);
    if (result.s3_object_version) console.log(`  s3_object_version = "${result.s3_object_version}"`);
    console.log(`  source_code_hash  = "${result.source_code_hash}"`);
    return 0;
  } catch (error) {
    console.error(`release failed: ${(error as Error).message}`);
    return 1;
  } finally {
    s3.destroy();
  }
}

if (isMainModule(import.meta)) process.exitCode = await main();
