import { type Candidate, currentCandidate } from '../candidates.ts';
import type { DbInstance } from '../database.ts';
import { listInstances } from '../discovery.ts';
import { workFleet } from '../fleet.ts';
import { failedReports, forEachInstance, type InstanceReport, type WorkResult } from '../instances.ts';
import { logger } from '../logger.ts';
import type { SecretStaging } from '../staging.ts';
import type { WorkAnswer } from './answers.ts';
import type { ActionContext } from './environment.ts';
import type { ActionRequest } from './request.ts';
import { selectTargets, type Targets } from './targets.ts';

/** What verify, reset and heal start from: the secret's current password and the instances to work on. */
interface PreparedWork {
  staging: SecretStaging;
  username: string;
  current: Candidate;
  targets: Targets;
}

export async function prepareWork(request: ActionRequest, ctx: ActionContext): Promise<PreparedWork> {
  const staging = ctx.staging(request.secretId);
  const current = await staging.readCurrent();
  const targets = selectTargets(await listInstances(ctx.config, ctx.rds()), request.instances);
  return { staging, username: current.credentials.username, current: currentCandidate(current), targets };
}

/** The summary of a dry run says so first: nothing it reports was changed. */
export function dryRunNote(request: ActionRequest, summary: string): string {
  return request.dryRun ? `dry run, nothing changed: ${summary}` : summary;
}

/** Runs `work` on the targets (parallel, retries, deadline) and puts the reports in the answer's order. */
export async function runOnTargets(
  ctx: ActionContext,
  request: ActionRequest,
  targets: Targets,
  work: (instance: DbInstance) => Promise<WorkResult>,
): Promise<InstanceReport[]> {
  const reports = await forEachInstance(targets.work, work, ctx.work.run(request.action));
  return [...reports, ...targets.unavailable].sort((a, b) => a.instance.localeCompare(b.instance));
}

/**
 * runOnTargets for an action that writes (reset, heal): `work` runs on the written instances only
 * (primaries, cluster writers), and replicas and readers are waited for until they accept
 * `writes.target`, never written to, as in a rotation. A dry run only checks the replicas.
 */
export async function writeOnTargets(
  ctx: ActionContext,
  request: ActionRequest,
  targets: Targets,
  writes: { username: string; target: Candidate; before: Candidate[] },
  work: (instance: DbInstance) => Promise<WorkResult>,
): Promise<InstanceReport[]> {
  const reports = await workFleet(
    targets.work,
    { ...writes, order: [], candidates: writes.before, provision: async () => undefined },
    { work: ctx.work, phase: request.action, replicationWaitMs: ctx.config.replicationWaitMs },
    work,
    { dryRun: request.dryRun },
  );
  return [...reports, ...targets.unavailable].sort((a, b) => a.instance.localeCompare(b.instance));
}

interface WorkAnswerParts {
  request: ActionRequest;
  /** Date.now() when the action started. */
  started: number;
  reports: InstanceReport[];
  targets: Targets;
  /** One line for people: what happened overall (the failures are appended). */
  summary: string;
  /** A failure beyond the instances' (heal: a rotation in progress, a label it could not remove). */
  otherFailure?: boolean;
}

/** The common answer of verify, reset and heal; `ok` is false when any instance failed or was skipped. */
export function workAnswer(parts: WorkAnswerParts): WorkAnswer {
  const { request, reports, summary } = parts;
  const failed = failedReports(reports);
  const answer: WorkAnswer = {
    action: request.action as WorkAnswer['action'],
    ok: failed.length === 0 && parts.otherFailure !== true,
    secretId: request.secretId,
    user: request.secret?.user ?? '',
    dryRun: request.dryRun,
    message:
      failed.length === 0
        ? summary
        : `${summary}; FAILED on ${failed.length} of ${reports.length}: ${failed.map((r) => r.instance).join(', ')}`,
    instances: reports,
    notIncluded: parts.targets.notIncluded,
    ms: Date.now() - parts.started,
  };
  logger.info(`${request.action} ${answer.ok ? 'succeeded' : 'failed'}`, {
    summary: answer.message,
    dryRun: request.dryRun,
    instances: reports,
  });
  return answer;
}

/** "2 changed, 1 unchanged" */
export function countOutcomes(reports: InstanceReport[]): string {
  const counts = new Map<string, number>();
  for (const report of reports) {
    const key = report.from ? `${report.outcome} (from ${report.from})` : report.outcome;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return 'no instances';
  return [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
}
