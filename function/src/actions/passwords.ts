import type { Candidate } from '../candidates.ts';
import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { logger, registerSensitive } from '../logger.ts';
import { CURRENT, type SecretStaging } from '../staging.ts';
import { errorMessage } from '../text.ts';
import type { VersionState } from './answers.ts';

/** The default provision password as a candidate, registered for redaction. */
export function provisionCandidate(config: Config): Candidate | undefined {
  if (config.defaultProvisionPassword === undefined) return undefined;
  registerSensitive(config.defaultProvisionPassword);
  return { label: 'provision', password: config.defaultProvisionPassword };
}

export function requireProvision(config: Config, action: string): Candidate {
  const provision = provisionCandidate(config);
  if (provision === undefined) {
    throw new ConfigError(
      'DEFAULT_PROVISION_PASSWORD',
      `is not set, and "${action}" needs it to log in to instances whose users still have the default provision ` +
        'password; set the module input default_provision_password. Nothing was changed.',
    );
  }
  return provision;
}

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
