import type { Candidate } from '../candidates.ts';
import { logger } from '../logger.ts';
import { CURRENT, type SecretStaging } from '../staging.ts';
import { errorMessage } from '../text.ts';
import type { VersionState } from './answers.ts';

/** At most this many versions of rolled-back rotations are tried, newest first. */
const MAX_ABANDONED = 3;

/**
 * Versions without any label created no earlier than AWSCURRENT's: what rotations that were
 * rolled back left behind (their AWSPENDING label was removed). An instance the rollback could
 * not reach may still hold one of them. Each is read by its version id: it has no label.
 */
export async function readAbandoned(
  staging: SecretStaging,
  versions: VersionState[],
  username: string,
): Promise<Candidate[]> {
  const current = versions.find((v) => v.stages.includes(CURRENT));
  const abandoned = versions
    .filter((v) => v.stages.length === 0)
    .filter((v) => current?.created == null || v.created === null || v.created >= current.created)
    .slice(0, MAX_ABANDONED);
  const candidates: Candidate[] = [];
  for (const version of abandoned) {
    try {
      const stored = await staging.readVersion(version.versionId);
      if (stored?.credentials.username === username)
        candidates.push({ label: 'abandoned', password: stored.credentials.password });
    } catch (error) {
      logger.warn('ignoring an unlabelled version', {
        versionId: version.versionId,
        error: errorMessage(error),
      });
    }
  }
  return candidates;
}
