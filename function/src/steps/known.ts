import { type Candidate, currentCandidate, readCandidate } from '../candidates.ts';
import { SecretStateError, SecretValueError } from '../errors.ts';
import { PENDING, PREVIOUS } from '../staging.ts';
import type { StepContext } from './context.ts';

/** Every password an instance of this rotation may hold, for the user the secret is for. */
export interface KnownPasswords {
  username: string;
  current: Candidate;
  pending: Candidate;
  /** Only a way back in for an instance left behind: missing, malformed or another user's is none. */
  previous: Candidate | undefined;
}

/** What setSecret needs: the pending value must exist and be for the current user. */
export async function readKnownPasswords(ctx: StepContext): Promise<KnownPasswords> {
  // Three independent reads: in parallel they cost one round trip instead of three.
  const pending = ctx.staging.read(PENDING, ctx.token);
  const current = ctx.staging.readCurrent();
  const [pendingVersion, currentVersion, previous] = await Promise.all([
    pending,
    current,
    readCandidate(
      ctx.staging,
      PREVIOUS,
      current.then((version) => version.credentials.username),
    ),
  ]);
  if (pendingVersion === undefined) {
    throw new SecretStateError(
      `version ${ctx.token} has no value yet: createSecret must run before setSecret`,
    );
  }
  const username = currentVersion.credentials.username;
  if (pendingVersion.credentials.username !== username) {
    throw new SecretValueError(
      `the pending version's username "${pendingVersion.credentials.username}" differs from the current username ` +
        `"${username}"; refusing to rotate`,
    );
  }
  return {
    username,
    current: currentCandidate(currentVersion),
    pending: { label: 'pending', password: pendingVersion.credentials.password },
    previous,
  };
}
