import { type Candidate, currentCandidate, type PasswordLabel, readCandidate } from '../candidates.ts';
import { SecretStateError, SecretValueError } from '../errors.ts';
import type { FleetPlan } from '../fleet.ts';
import type { RotationStep } from '../protocol.ts';
import { provisionCandidate } from '../provision.ts';
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
 * The plan of a step towards the pending password (setSecret, testSecret, finishSecret) or back
 * to the current one (the rollback): the other known passwords are the ways in.
 */
export function planTowards(
  known: KnownPasswords,
  target: 'pending' | 'current',
  order: PasswordLabel[],
): FleetPlan {
  const others = target === 'pending' ? [known.current, known.previous] : [known.pending, known.previous];
  return {
    username: known.username,
    target: known[target],
    order,
    candidates: others.filter((candidate) => candidate !== undefined),
    provision: known.provision,
  };
}

/**
 * The one place the steps get the default provision password from, read on first use and then
 * kept for the step: from PROVISION_SECRET_ARN (what the module sets) or DEFAULT_PROVISION_PASSWORD,
 * by the reader the manual actions use too.
 */
export function provisionPassword(
  ctx: Pick<StepContext, 'config' | 'secret' | 'staging'>,
): () => Promise<Candidate | undefined> {
  let read: Promise<Candidate | undefined> | undefined;
  return () => {
    read ??= provisionCandidate(ctx.config, ctx.secret, ctx.staging);
    return read;
  };
}
