import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import { logger, registerSensitive } from '../logger.ts';
import type { Candidate } from '../passwordSetter.ts';
import { CURRENT, PENDING, type PREVIOUS, parseCredentials, type SecretStaging } from '../staging.ts';
import type { VersionState } from './answers.ts';

/**
 * A way back in for an instance left behind; a missing or malformed version is no candidate,
 * and neither is one for another user (its password would never work for this one).
 */
export async function readCandidate(
  staging: SecretStaging,
  stage: typeof PENDING | typeof PREVIOUS,
  username: string,
  versionId?: string,
): Promise<Candidate | undefined> {
  const label = stage === PENDING ? 'pending' : 'previous';
  try {
    const version = await staging.read(stage, versionId);
    if (version === undefined) return undefined;
    if (version.credentials.username !== username) {
      logger.warn(`ignoring the ${stage} version: it is for another user`, { versionId: version.versionId });
      return undefined;
    }
    return { label, password: version.credentials.password };
  } catch (error) {
    logger.warn(`ignoring the ${stage} version`, { error: errorMessage(error) });
    return undefined;
  }
}

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
  client: SecretsManagerClient,
  secretId: string,
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
      logger.debug('calling GetSecretValue', { api: 'GetSecretValue', versionId: version.versionId });
      const output = await client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionId: version.versionId }),
      );
      const credentials = parseCredentials(
        output.SecretString,
        `version ${version.versionId} of secret ${secretId}`,
      );
      if (credentials.username === username)
        candidates.push({ label: 'abandoned', password: credentials.password });
    } catch (error) {
      logger.warn('ignoring an unlabelled version', {
        versionId: version.versionId,
        error: errorMessage(error),
      });
    }
  }
  return candidates;
}
