import { logger } from './logger.ts';
import { PENDING, type PREVIOUS, type SecretStaging, type SecretVersion } from './staging.ts';
import { errorMessage } from './text.ts';

/**
 * Which known password a candidate is; the value itself never appears in a log or an answer.
 * `abandoned`: a version of a rotation that was rolled back, which an unreachable instance may
 * still hold (heal).
 */
export type PasswordLabel = 'current' | 'pending' | 'previous' | 'provision' | 'abandoned';

/** A password the function may log in with, named by its label. */
export interface Candidate {
  label: PasswordLabel;
  password: string;
}

/** The AWSCURRENT password: the one every instance must accept once a step is over. */
export function currentCandidate(current: SecretVersion): Candidate {
  return { label: 'current', password: current.credentials.password };
}

/**
 * A labelled version as a way back in for an instance left behind. A missing or malformed version
 * is no candidate, and neither is one for another user: its password would never work for this
 * one. `username` may still be on its way (setSecret reads AWSCURRENT at the same time).
 */
export async function readCandidate(
  staging: SecretStaging,
  stage: typeof PENDING | typeof PREVIOUS,
  username: string | Promise<string>,
  versionId?: string,
): Promise<Candidate | undefined> {
  let version: SecretVersion | undefined;
  try {
    version = await staging.read(stage, versionId);
  } catch (error) {
    logger.warn(`ignoring the ${stage} version`, { error: errorMessage(error) });
    return undefined;
  }
  if (version === undefined) return undefined;
  if (version.credentials.username !== (await username)) {
    logger.warn(`ignoring the ${stage} version: it is for another user`, { versionId: version.versionId });
    return undefined;
  }
  return { label: stage === PENDING ? 'pending' : 'previous', password: version.credentials.password };
}
