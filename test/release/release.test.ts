import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltZip } from '../../sandbox/bundleInvoker.ts';
import { AWS_TEST_CREDENTIALS, awsEnv, type MotoServer, startMoto, TEST_REGION } from '../../sandbox/moto.ts';

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
let moto: MotoServer;
let s3: S3Client;

beforeAll(async () => {
  ensureBuiltZip();
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
});

async function runRelease(...args: string[]) {
  try {
    const { stdout, stderr } = await execFileAsync(join(root, 'scripts/release'), [...args, '--skip-build'], {
      env: { ...process.env, ...awsEnv(moto.endpoint) },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('scripts/release', () => {
  it('uploads function.zip under its version and prints the module inputs', async () => {
    const zip = readFileSync(join(root, 'dist/function.zip'));
    const { sha256Base64 } = JSON.parse(readFileSync(join(root, 'dist/build.json'), 'utf8')) as {
      sha256Base64: string;
    };

    const result = await runRelease('--bucket', 'dba-releases', '--version', '1.2.3');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('s3_key            = "mysql-password-rotation/1.2.3/function.zip"');
    expect(result.stdout).toContain(`source_code_hash  = "${sha256Base64}"`);
    expect(result.stdout).toMatch(/s3_object_version = "\S+"/);
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: 'dba-releases', Key: 'mysql-password-rotation/1.2.3/function.zip' }),
    );
    expect(Buffer.from(await (stored.Body?.transformToByteArray() ?? new Uint8Array())).equals(zip)).toBe(
      true,
    );
  });

  it('never overwrites a version that was already released', async () => {
    expect((await runRelease('--bucket', 'dba-releases', '--version', '2.0.0')).code).toBe(0);

    const again = await runRelease('--bucket', 'dba-releases', '--version', '2.0.0');

    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; versions are immutable');
  });

  it('refuses to run without a bucket, saying what it needs', async () => {
    const result = await runRelease('--version', '3.0.0');

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

    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        join(root, 'scripts/release'),
        ['--bucket', 'dba-releases', '--skip-build'],
        { env },
        (error, _, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
      );
    });

    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      "release failed: no AWS region; set AWS_REGION to the bucket's region (or give the AWS_PROFILE's config a region)",
    ]);
  });
});
