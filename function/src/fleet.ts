import type { Candidate, PasswordLabel } from './candidates.ts';
import { endpointOf } from './database.ts';
import { DatabaseError } from './errors.ts';
import {
  type Deadline,
  forEachInstance,
  type InstanceReport,
  type InstanceWork,
  type WorkResult,
} from './instances.ts';
import { logger } from './logger.ts';
import { acceptsPassword, bringToPassword, READ_ONLY_SERVER } from './passwordSetter.ts';
import { awaitReplica } from './replicaWait.ts';
import { type FleetMember, WRITTEN_ROLES } from './topology.ts';

/** The password every member must end on, and the known passwords that lead there. */
export interface FleetPlan {
  username: string;
  target: Candidate;
  /** Login order on a written member (PasswordPlan.order): the normal case first. */
  order: PasswordLabel[];
  /** The other known passwords; a replica may also hold one until the change reaches it. */
  candidates: Candidate[];
  /**
   * The default provision password, asked for only when a member refuses every known password:
   * one that accepts it is a new instance awaiting the application password reset.
   */
  provision: () => Promise<Candidate | undefined>;
}

/** How the work runs: the invocation's options, the step's name, the replication bound. */
export interface FleetRun {
  work: InstanceWork;
  phase: string;
  replicationWaitMs: number;
  /** Replaces the invocation's deadline (the rollback runs whatever time is left). */
  deadline?: Deadline;
}

/**
 * Brings every member to `plan.target`: each written member (primary, cluster writer, static
 * endpoint) is changed and verified; then every replica and reader, never written to, is waited
 * for until it accepts the password its source now has (REPLICATION_WAIT_MS). A static endpoint
 * that reports read-only is waited for like a replica. Never throws for an instance: each ends
 * with a report.
 */
export function bringFleetTo(
  members: FleetMember[],
  plan: FleetPlan,
  run: FleetRun,
): Promise<InstanceReport[]> {
  return runFleet(members, plan, run, (member, turnedReplica) =>
    settleWritten(member, plan, run, turnedReplica, () =>
      bringToPassword(
        member,
        { username: plan.username, target: plan.target, order: plan.order, candidates: plan.candidates },
        run.work.connect,
      ),
    ),
  );
}

/**
 * Checks that every member accepts `plan.target`: one new login each in the normal case, and a
 * replica lagging behind is waited for as bringFleetTo would. A written member that refuses the
 * target but accepts a known password is brought to the target when `catchUp` is set, and is a
 * failure naming the password it accepts otherwise.
 */
export function checkFleet(
  members: FleetMember[],
  plan: FleetPlan,
  run: FleetRun,
  { catchUp }: { catchUp: boolean },
): Promise<InstanceReport[]> {
  return runFleet(members, plan, run, async (member, turnedReplica) => {
    if (await acceptsPassword(member, plan.username, plan.target, run.work.connect))
      return { outcome: 'verified' };
    return settleWritten(member, plan, run, turnedReplica, async () => {
      const order = plan.order.filter((label) => label !== plan.target.label);
      const refused = `it refuses the ${plan.target.label} password`;
      if (order.length === 0) throw new DatabaseError('auth', refused);
      // A dry run still refuses a read-only server: that is how an endpoint shows it is a replica.
      const result = await bringToPassword(
        member,
        {
          username: plan.username,
          target: plan.target,
          order,
          candidates: plan.candidates,
          dryRun: !catchUp,
        },
        run.work.connect,
      ).catch((error: unknown) => {
        if (!(error instanceof DatabaseError && error.kind === 'auth')) throw error;
        throw new DatabaseError('auth', `${refused}, and ${error.message}`, error.code, { cause: error });
      });
      if (result.outcome === 'would-change') {
        throw new DatabaseError(
          'auth',
          `it refuses the ${plan.target.label} password but accepts the ${result.from} password: it was ` +
            'changed back during the rotation (an application password reset, or a person)',
        );
      }
      if (result.outcome === 'changed') {
        logger.warn(`an instance had lost the ${plan.target.label} password and was brought back to it`, {
          instance: member.id,
          from: result.from,
        });
      }
      return result;
    });
  });
}

/**
 * Runs `work` (a manual action's own way to bring an instance to `plan.target`) on the written
 * members only, then waits for the replicas as bringFleetTo does. A dry run changes nothing, so
 * nothing can be waited for: a replica is only checked, `unchanged` when it already accepts the
 * target, `would-change` (from its source) otherwise.
 */
export function workFleet(
  members: FleetMember[],
  plan: FleetPlan,
  run: FleetRun,
  work: (member: FleetMember) => Promise<WorkResult>,
  { dryRun }: { dryRun: boolean },
): Promise<InstanceReport[]> {
  if (!dryRun) {
    return runFleet(members, plan, run, (member, turnedReplica) =>
      settleWritten(member, plan, run, turnedReplica, () => work(member)),
    );
  }
  const options = run.work.run(run.phase);
  return forEachInstance(
    members,
    async (member) => {
      if (WRITTEN_ROLES.has(member.role)) return work(member);
      const accepted = await acceptsPassword(member, plan.username, plan.target, run.work.connect);
      return { outcome: accepted ? 'unchanged' : 'would-change' };
    },
    options,
  );
}

type WrittenWork = (member: FleetMember, turnedReplica: Set<string>) => Promise<WorkResult>;

async function runFleet(
  members: FleetMember[],
  plan: FleetPlan,
  run: FleetRun,
  writtenWork: WrittenWork,
): Promise<InstanceReport[]> {
  const options = { ...run.work.run(run.phase), ...(run.deadline ? { deadline: run.deadline } : {}) };
  const written = members.filter((member) => WRITTEN_ROLES.has(member.role));
  const turnedReplica = new Set<string>();
  const writtenReports = await forEachInstance(
    written,
    (member) => writtenWork(member, turnedReplica),
    options,
  );
  const byId = new Map(writtenReports.map((report) => [report.instance, report]));
  const replicas = members.filter(
    (member) => !WRITTEN_ROLES.has(member.role) || turnedReplica.has(member.id),
  );
  const replicaReports = await awaitReplicas(replicas, byId, plan, run, options);
  const reports = new Map([...writtenReports, ...replicaReports].map((report) => [report.instance, report]));
  return members.map((member) => reports.get(member.id) as InstanceReport);
}

/**
 * The written member's work, with what a refusal means: a read-only static endpoint is a replica
 * (waited for afterwards); a read-only RDS primary or writer is an error saying which signal
 * disagrees; a member refusing every known password but accepting the default provision
 * password is a new instance awaiting a reset, not a failure.
 */
async function settleWritten(
  member: FleetMember,
  plan: FleetPlan,
  run: FleetRun,
  turnedReplica: Set<string>,
  work: () => Promise<WorkResult>,
): Promise<WorkResult> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof DatabaseError)) throw error;
    if (error.code === READ_ONLY_SERVER) {
      if (member.role === 'endpoint') {
        turnedReplica.add(member.id);
        return { outcome: 'replicated' };
      }
      throw new DatabaseError('fatal', readOnlyWriterMessage(member), READ_ONLY_SERVER, { cause: error });
    }
    if (error.kind === 'auth' && (await isAwaitingReset(member, plan, run)))
      return { outcome: 'awaiting-reset' };
    throw error;
  }
}

function readOnlyWriterMessage(member: FleetMember): string {
  const rds =
    member.role === 'writer'
      ? 'RDS lists it as the writer of its cluster, but the server reports read-only: a failover is probably under way'
      : 'RDS lists it as a primary (it replicates from no RDS instance), but the server reports read-only: it may ' +
        'replicate from a server outside RDS';
  return `${rds}. Nothing was written to it: a read-only server is never written to, whatever RDS says`;
}

async function isAwaitingReset(member: FleetMember, plan: FleetPlan, run: FleetRun): Promise<boolean> {
  const provision = await plan.provision();
  if (provision === undefined) return false;
  const accepted = await acceptsPassword(member, plan.username, provision, run.work.connect);
  if (accepted) {
    logger.info(
      'a new instance awaits the application password reset: it accepts only the default provision password',
      {
        instance: member.id,
      },
    );
  }
  return accepted;
}

async function awaitReplicas(
  replicas: FleetMember[],
  written: Map<string, InstanceReport>,
  plan: FleetPlan,
  run: FleetRun,
  options: ReturnType<InstanceWork['run']>,
): Promise<InstanceReport[]> {
  if (replicas.length === 0) return [];
  const started = Date.now();
  const usable = options.deadline.remaining() - options.deadline.reserveMs;
  const until = started + Math.max(0, Math.min(run.replicationWaitMs, usable));
  const orphans: InstanceReport[] = [];
  const waiting: FleetMember[] = [];
  for (const replica of replicas) {
    const source = replica.origin === undefined ? undefined : written.get(replica.origin);
    if (source === undefined || source.outcome === 'failed' || source.outcome === 'skipped') {
      if (replica.origin !== undefined) {
        orphans.push({
          instance: replica.id,
          endpoint: endpointOf(replica),
          outcome: 'skipped',
          attempts: 0,
          ms: 0,
          error: `not checked: its source ${replica.origin} failed`,
          errorKind: 'source',
        });
        continue;
      }
    }
    waiting.push(replica);
  }
  const provision = waiting.some((replica) => written.get(replica.origin ?? '')?.outcome === 'awaiting-reset')
    ? await plan.provision()
    : undefined;
  const reports = await forEachInstance(
    waiting,
    async (replica) => {
      const newInstance = written.get(replica.origin ?? '')?.outcome === 'awaiting-reset';
      const target = newInstance ? (provision as Candidate) : plan.target;
      const before = newInstance ? [] : plan.candidates.filter((c) => c.password !== target.password);
      const result = await awaitReplica(
        replica,
        { username: plan.username, target, before, until, boundMs: run.replicationWaitMs },
        run.work.connect,
      );
      return newInstance ? { ...result, outcome: 'awaiting-reset' } : result;
    },
    // Retrying a wait would only wait longer than the bound: the wait handles a hiccup itself.
    { ...options, phase: `${run.phase}: replicas`, retries: 0 },
  );
  const done = reports.filter((report) => report.outcome !== 'failed');
  logger.info('replication wait over', {
    phase: run.phase,
    replicas: reports.length,
    accepted: done.length,
    longestMs: Math.max(0, ...done.map((report) => report.ms)),
    logins: reports.reduce((sum, report) => sum + (report.logins ?? 0), 0),
    ms: Date.now() - started,
  });
  return [...reports, ...orphans];
}
