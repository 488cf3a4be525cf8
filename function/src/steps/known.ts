import { type Candidate, currentCandidate, readCandidate } from '../candidates.ts';
import { SecretStateError, SecretValueError } from '../errors.ts';
import { registerSensitive } from '../logger.ts';
import type { RotationStep } from '../protocol.ts';
import { PENDING, PREVIOUS } from '../staging.ts';
import type { StepContext } from './context.ts';

/** Every password an instance of this rotation may hold, for the user the secret is for. */
export interface KnownPasswords {
  username: string;
  current: Candidate;
  pending: Candidate;
  /** Only a way back in for an instance left behind: missing, malformed or another user's is none. */
  previous: Candidate | undefined;
  /**
   * The default provision password, read on first use only: it is needed only when an instance
   * refuses every other password (a new instance awaiting the application password reset).
   */
  provision: () => Promise<Candidate | undefined>;
}

/** What setSecret and finishSecret need: the pending value must exist and be for the current user. */
export async function readKnownPasswords(ctx: StepContext, step: RotationStep): Promise<KnownPasswords> {
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
    throw new SecretStateError(`version ${ctx.token} has no value yet: createSecret must run before ${step}`);
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
    provision: provisionPassword(ctx),
  };
}

/**
 * The one place the steps get the default provision password from, memoised per step. It comes
 * from the configuration (DEFAULT_PROVISION_PASSWORD); reading it from PROVISION_SECRET_ARN is
 * the shared provision reader's job, and this is where the steps call it.
 */
export function provisionPassword(ctx: Pick<StepContext, 'config'>): () => Promise<Candidate | undefined> {
  let read: Promise<Candidate | undefined> | undefined;
  return () => {
    read ??= Promise.resolve().then(() => {
      const password = ctx.config.defaultProvisionPassword;
      if (password === undefined) return undefined;
      registerSensitive(password);
      return { label: 'provision', password };
    });
    return read;
  };
}
