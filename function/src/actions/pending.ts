import { logger } from '../logger.ts';
import {
  CURRENT,
  type ListedVersion,
  PENDING,
  type SecretDescription,
  type SecretStaging,
} from '../staging.ts';
import { errorMessage } from '../text.ts';
import type { PendingState, VersionState } from './answers.ts';

/**
 * Every version (unlabelled ones included) with its labels and dates, newest first; the dates are
 * null when ListSecretVersionIds is refused.
 */
export async function listVersions(
  staging: SecretStaging,
  description: SecretDescription,
): Promise<{ versions: VersionState[]; listError?: string }> {
  let listing: ListedVersion[] = [];
  let listError: string | undefined;
  try {
    listing = await staging.listVersions();
  } catch (error) {
    listError = `${(error as Error).name}: ${errorMessage(error)}`;
    logger.warn('ListSecretVersionIds failed; version dates unknown', { error: listError });
  }
  const dates = new Map(
    listing.map((version) => [
      version.versionId,
      {
        created: version.created?.toISOString() ?? null,
        lastAccessed: version.lastAccessed?.toISOString() ?? null,
        stages: version.stages,
      },
    ]),
  );
  // DescribeSecret's labels win (they are what the rotation reads); the list adds unlabelled versions.
  const labels = new Map(Object.entries(description.versions));
  for (const [versionId, listed] of dates) if (!labels.has(versionId)) labels.set(versionId, listed.stages);
  const versions = [...labels]
    .map(([versionId, stages]) => ({
      versionId,
      stages: [...stages].sort(),
      created: dates.get(versionId)?.created ?? null,
      lastAccessed: dates.get(versionId)?.lastAccessed ?? null,
    }))
    .sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
  return { versions, listError };
}

/**
 * Whether a rotation may still be running for the AWSPENDING version:
 * - on the AWSCURRENT version: finishSecret ran and died before removing the label: stale;
 * - otherwise stale when the version was created at least `thresholdMinutes` ago (its
 *   CreatedDate from ListSecretVersionIds; RotateSecret creates it when a rotation starts);
 * - when the date is unknown, never stale: it is treated as a running rotation.
 */
export function pendingState(
  versions: VersionState[],
  thresholdMinutes: number,
  now: Date,
  listError?: string,
): PendingState | null {
  const pending = versions.find((v) => v.stages.includes(PENDING));
  if (pending === undefined) return null;
  const ageMinutes =
    pending.created === null ? null : Math.floor((now.getTime() - Date.parse(pending.created)) / 60_000);
  const base = { versionId: pending.versionId, created: pending.created, ageMinutes };
  if (pending.stages.includes(CURRENT)) {
    return {
      ...base,
      onCurrent: true,
      stale: true,
      rule: 'AWSPENDING is on the AWSCURRENT version: finishSecret completed and did not remove it; a leftover',
    };
  }
  const threshold = `STALE_PENDING_MINUTES=${thresholdMinutes}`;
  if (ageMinutes === null) {
    return {
      ...base,
      onCurrent: false,
      stale: false,
      rule: `the version's creation date is unknown (${listError ?? 'not listed by ListSecretVersionIds'}); treated as a rotation in progress`,
    };
  }
  const stale = ageMinutes >= thresholdMinutes;
  return {
    ...base,
    onCurrent: false,
    stale,
    rule: stale
      ? `created ${ageMinutes} min ago (ListSecretVersionIds CreatedDate), at least ${threshold}: no rotation runs that long, so it is stale`
      : `created ${ageMinutes} min ago (ListSecretVersionIds CreatedDate), less than ${threshold}: a rotation may still be running`,
  };
}
