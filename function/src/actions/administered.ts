import { type AdministratorLookup, administrators } from '../administrator.ts';
import type { Candidate } from '../candidates.ts';
import type { DbInstance } from '../database.ts';
import type { InstanceReport, WorkResult } from '../instances.ts';
import { verifyLogin } from '../passwordSetter.ts';
import { PREVIOUS, type SecretStaging } from '../staging.ts';
import { setUserPassword } from '../userClone.ts';
import type { ActionContext } from './environment.ts';
import { type ActionRequest, requestSecret } from './request.ts';
import type { Targets } from './targets.ts';
import { countOutcomes, runOnTargets } from './work.ts';

/**
 * The administrator an action may use, or undefined: ADMIN_SECRET_ID under either strategy, or
 * the instances' RDS-managed master secrets for an alternating-users entry without it.
 */
export function actionAdministrators(
  request: ActionRequest,
  ctx: ActionContext,
): AdministratorLookup | undefined {
  const secret = requestSecret(request);
  if (ctx.config.adminSecretId === undefined && secret.strategy !== 'alternating-users') return undefined;
  return administrators(ctx.config, ctx.staging(request.secretId), ctx.rds());
}

/** The work of reset and heal through the administrator: `username` set to `target`, checked by a login. */
export function setByAdministrator(
  ctx: ActionContext,
  admins: AdministratorLookup,
  plan: { username: string; target: Candidate; dryRun: boolean },
): (instance: DbInstance) => Promise<WorkResult> {
  return async (instance) =>
    setUserPassword(
      instance,
      await admins(instance.id),
      { user: plan.username, target: plan.target, dryRun: plan.dryRun },
      ctx.work.connect,
    );
}

/** What verify says about the user AWSPREVIOUS names, when it is another user (alternating-users). */
export interface PreviousUserCheck {
  username: string;
  message: string;
  instances: InstanceReport[];
}

/**
 * Logs in as the user AWSPREVIOUS names with its password, when that is not the current user:
 * under alternating-users the application may still use it until the next rotation. Reported,
 * never a failure of verify: only the current user must work.
 */
export async function checkPreviousUser(
  request: ActionRequest,
  ctx: ActionContext,
  staging: SecretStaging,
  currentUser: string,
  targets: Targets,
): Promise<PreviousUserCheck | undefined> {
  if (requestSecret(request).strategy !== 'alternating-users') return undefined;
  const previous = await staging.read(PREVIOUS).catch(() => undefined);
  if (previous === undefined || previous.credentials.username === currentUser) return undefined;
  const username = previous.credentials.username;
  const candidate: Candidate = { label: 'previous', password: previous.credentials.password };
  const reports = await runOnTargets(ctx, request, targets, async (instance) => {
    await verifyLogin(instance, username, candidate, ctx.work.connect);
    return { outcome: 'verified' };
  });
  return {
    username,
    message: `user ${username} (AWSPREVIOUS): ${countOutcomes(reports)}`,
    instances: reports,
  };
}
