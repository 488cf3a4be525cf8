import type { Candidate, PasswordLabel } from './candidates.ts';
import { type ConnectOptions, type DbInstance, DbSession } from './database.ts';
import { DatabaseError } from './errors.ts';
import { logger } from './logger.ts';

/** DatabaseError code of a refused change on a read-only server (a replica or a reader). */
export const READ_ONLY_SERVER = 'SERVER_READ_ONLY';

/** What happened on one instance. `from` names the password that let the function in. */
type SetOutcome =
  | { outcome: 'changed'; from: PasswordLabel }
  | { outcome: 'unchanged' }
  | { outcome: 'would-change'; from: PasswordLabel };

export interface PasswordPlan {
  username: string;
  /** The password the instance must accept afterwards. */
  target: Candidate;
  /**
   * The order in which to try logging in. An entry equal to `target.label` means "check whether
   * the target already works" (then nothing is to be done). Order matters: the normal case
   * should succeed on its first login, so that no failed login counts towards an account lock.
   */
  order: PasswordLabel[];
  candidates: Candidate[];
  dryRun?: boolean;
}

/**
 * Brings one instance to the target password. Every decision is taken from what the server
 * accepts now, never from memory, so running it again after any crash is safe. Throws a
 * DatabaseError: `auth` when no known password works, other kinds as the server reported them.
 */
export async function bringToPassword(
  instance: DbInstance,
  plan: PasswordPlan,
  options: ConnectOptions,
): Promise<SetOutcome> {
  const refused: PasswordLabel[] = [];
  for (const label of plan.order) {
    const candidate =
      label === plan.target.label ? plan.target : plan.candidates.find((c) => c.label === label);
    if (candidate === undefined) continue;
    if (candidate.label !== plan.target.label && candidate.password === plan.target.password) continue;
    const session = await tryLogin(instance, plan.username, candidate, options);
    if (session === undefined) {
      refused.push(label);
      continue;
    }
    try {
      checkUser(session, plan.username);
      if (label === plan.target.label) {
        logger.debug('target password already accepted', { instance: instance.id, target: label });
        return { outcome: 'unchanged' };
      }
      refuseReadOnly(session);
      if (plan.dryRun) return { outcome: 'would-change', from: label };
      await session.changePassword(plan.target.password);
    } finally {
      await session.close();
    }
    await confirmChange(instance, plan.username, plan.target, candidate, options);
    logger.debug('password changed and verified', {
      instance: instance.id,
      from: label,
      to: plan.target.label,
    });
    return { outcome: 'changed', from: label };
  }
  throw new DatabaseError(
    'auth',
    `none of the known passwords is accepted (tried ${refused.join(', ')}) for user ${plan.username}`,
  );
}

/** A fresh connection with the `target` password, as `username`; changes nothing. */
export async function verifyLogin(
  instance: DbInstance,
  username: string,
  target: Candidate,
  options: ConnectOptions,
): Promise<void> {
  if (!(await acceptsPassword(instance, username, target, options))) {
    throw new DatabaseError(
      'fatal',
      `the server refuses the ${target.label} password for user ${username} on a new connection`,
    );
  }
}

/**
 * Checks a change on a new connection: a server can acknowledge a change and keep the old
 * password (MariaDB's ALTER USER CURRENT_USER() for a user with CREATE USER does). When the new
 * password is refused, one more login with the old one tells the two failures apart: the instance
 * still on the old password (nothing changed, a rollback or a retry finds it), or on a password
 * nobody knows (an administrator must reset it; no known password can log in to repair it).
 */
async function confirmChange(
  instance: DbInstance,
  username: string,
  target: Candidate,
  from: Candidate,
  options: ConnectOptions,
): Promise<void> {
  if (await acceptsPassword(instance, username, target, options)) return;
  const acknowledged = `the server acknowledged the password change but refuses the ${target.label} password on a new connection`;
  if (await acceptsPassword(instance, username, from, options)) {
    throw new DatabaseError(
      'fatal',
      `${acknowledged}; it still accepts the ${from.label} password: the change did not take effect`,
    );
  }
  throw new DatabaseError(
    'fatal',
    `MANUAL ACTION NEEDED: ${acknowledged} and refuses the ${from.label} password too, so user ${username} ` +
      'is on a password the function does not know. An administrator must set it (for example to the ' +
      'default provision password, then run the "reset" action).',
  );
}

/**
 * Whether a new login with `candidate` works, as `username` (and no one else): false when the
 * server refuses the password, a DatabaseError for anything else (unreachable, TLS, locked,
 * another user).
 */
export async function acceptsPassword(
  instance: DbInstance,
  username: string,
  candidate: Candidate,
  options: ConnectOptions,
): Promise<boolean> {
  const session = await tryLogin(instance, username, candidate, options);
  if (session === undefined) return false;
  try {
    checkUser(session, username);
  } finally {
    await session.close();
  }
  return true;
}

/** Logs in; undefined when the server refuses these credentials, a DatabaseError for anything else. */
async function tryLogin(
  instance: DbInstance,
  username: string,
  candidate: Candidate,
  options: ConnectOptions,
): Promise<DbSession | undefined> {
  try {
    return await DbSession.open(instance, username, candidate.password, options);
  } catch (error) {
    if (error instanceof DatabaseError && error.kind === 'auth') {
      logger.debug('password refused', { instance: instance.id, tried: candidate.label });
      return undefined;
    }
    throw error;
  }
}

function checkUser(session: DbSession, username: string): void {
  const currentUser = session.server.user;
  const at = currentUser.lastIndexOf('@');
  const user = at >= 0 ? currentUser.slice(0, at) : currentUser;
  if (user !== username) {
    throw new DatabaseError(
      'fatal',
      `logged in as "${currentUser}", expected user "${username}"; refusing to change the password`,
    );
  }
}

/**
 * A read-only server (a read replica, an Aurora reader, or one set read-only) takes its
 * passwords from its source: a change there would fail, or with enough privileges make it differ
 * from its source.
 */
function refuseReadOnly(session: DbSession): void {
  if (session.server.readOnly) {
    throw new DatabaseError(
      'fatal',
      'the server is read-only (read_only or innodb_read_only is ON): it is a replica or a reader, ' +
        'whose password changes on its source; nothing was written to it',
      READ_ONLY_SERVER,
    );
  }
}
