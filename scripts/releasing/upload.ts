/**
 * The upload of a release: one immutable object per version, checked after the upload against
 * the built zip, so that every application's Terraform deploys exactly the bytes that were built.
 */

import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { SOURCE_MAPS_FILE } from '../sourceMaps.ts';

export interface ReleaseTarget {
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

export class ReleaseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReleaseError';
  }
}

export function releaseKey(target: ReleaseTarget): string {
  return `${target.prefix.replace(/\/+$/, '')}/${target.version}/function.zip`;
}

/** Throws with what to do instead when the version was released already. */
export async function refuseReleased(s3: S3Client, target: ReleaseTarget): Promise<void> {
  const key = releaseKey(target);
  if (await exists(s3, target.bucket, key)) {
    throw new ReleaseError(
      `s3://${target.bucket}/${key} already exists; versions are immutable. Bump the version and release again.`,
    );
  }
}

/** Uploads the zip unless the key already exists; throws with what to do instead. */
export async function upload(s3: S3Client, zip: Buffer, sha256Base64: string, target: ReleaseTarget) {
  const key = releaseKey(target);
  await refuseReleased(s3, target);
  return putOnce(s3, target.bucket, key, zip, sha256Base64, 'application/zip');
}

/** The key of the bundle's source maps: beside the zip, under the name scripts/build gives them. */
export function sourceMapKey(target: ReleaseTarget): string {
  return releaseKey(target).replace(/function\.zip$/, SOURCE_MAPS_FILE);
}

/**
 * Uploads the bundle's source maps beside the zip; throws with what to do when an object is there
 * already (left by a release of this version that failed before its zip was uploaded).
 */
export async function uploadSourceMap(
  s3: S3Client,
  map: Buffer,
  sha256Base64: string,
  target: ReleaseTarget,
) {
  const key = sourceMapKey(target);
  if (await exists(s3, target.bucket, key)) {
    throw new ReleaseError(
      `s3://${target.bucket}/${key} already exists although ${releaseKey(target)} does not: an earlier ` +
        'release of this version stopped half-way. Delete that object and release again.',
    );
  }
  return putOnce(s3, target.bucket, key, map, sha256Base64, 'application/json');
}

async function putOnce(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  sha256Base64: string,
  contentType: string,
): Promise<Release> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      // Both: S3 checks the bytes against the value, and keeps it for HeadObject's ChecksumMode.
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: sha256Base64,
      // Refused by S3 if another upload of the same version won the race since the check above.
      IfNoneMatch: '*',
    }),
  );
  return { s3_bucket: bucket, s3_key: key, s3_object_version: put.VersionId, source_code_hash: sha256Base64 };
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

/**
 * Checks what S3 holds under the release against the built zip (or source maps, `what`): the
 * SHA-256 and size S3 reports (HeadObject with ChecksumMode ENABLED), or, where it reports no
 * checksum, the bytes read back.
 * Returns how it was checked; throws ReleaseError on any difference.
 */
export async function verifyUpload(
  s3: S3Client,
  release: Release,
  zip: Buffer,
  what = 'the built zip',
): Promise<string> {
  const { GetObjectCommand, HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const where = { Bucket: release.s3_bucket, Key: release.s3_key, VersionId: release.s3_object_version };
  const head = await s3.send(new HeadObjectCommand({ ...where, ChecksumMode: 'ENABLED' }));
  let stored: { sha256: string; bytes: number | undefined };
  let how: string;
  if (head.ChecksumSHA256 !== undefined) {
    stored = { sha256: head.ChecksumSHA256, bytes: head.ContentLength };
    how = "S3's SHA-256 checksum and size";
  } else {
    const object = await s3.send(new GetObjectCommand(where));
    const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
    stored = { sha256: createHash('sha256').update(bytes).digest('base64'), bytes: bytes.length };
    how = 'the object read back (S3 reported no checksum)';
  }
  if (stored.sha256 !== release.source_code_hash || stored.bytes !== zip.length) {
    throw new ReleaseError(
      `s3://${release.s3_bucket}/${release.s3_key} does not hold ${what}: SHA-256 ${stored.sha256}, ` +
        `${stored.bytes} bytes, where the build has ${release.source_code_hash}, ${zip.length} bytes`,
    );
  }
  return how;
}

/** Removes a release that failed its check, so that the same version can be released again. */
export async function removeUpload(s3: S3Client, release: Release): Promise<void> {
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  await s3.send(
    new DeleteObjectCommand({
      Bucket: release.s3_bucket,
      Key: release.s3_key,
      VersionId: release.s3_object_version,
    }),
  );
}
