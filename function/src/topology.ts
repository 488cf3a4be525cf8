import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import type { DbInstance } from './database.ts';

/**
 * How an instance takes part in a rotation. Only `primary`, `writer` and `endpoint` are ever
 * written to; `replica` and `reader` get the new password from their source, and the rotation
 * waits until they accept it.
 */
export type Role =
  /** Replicates from nothing RDS knows of. */
  | 'primary'
  /** The writer of a cluster (Aurora, or a Multi-AZ DB cluster): one change for every member. */
  | 'writer'
  /** An RDS read replica. */
  | 'replica'
  /** A cluster member that is not its writer. */
  | 'reader'
  /** A static endpoint (DB_ENDPOINTS): RDS says nothing, so the server's read-only flag decides. */
  | 'endpoint';

export const WRITTEN_ROLES: ReadonlySet<Role> = new Set(['primary', 'writer', 'endpoint']);

/** RDS's replication state of a read replica (DescribeDBInstances `StatusInfos`). */
export interface ReplicationState {
  /** replicating, replication stop point set, replication stop point reached, error, stopped, terminated */
  status: string;
  normal: boolean;
  message?: string;
}

/** An instance of the rotation with its place in the replication topology. */
export interface FleetMember extends DbInstance {
  role: Role;
  /** For a replica or reader: the written member whose change reaches it (its source's source, ...). */
  origin?: string;
  /** For a replica or reader: what it replicates from, for messages ("read replica of db-1"). */
  via?: string;
  replication?: ReplicationState;
}

/** Where the discovery rules and RDS put one selected instance. */
export interface Placement {
  role: Role;
  /** What it replicates from: an instance (replica) or its cluster's writer (reader). */
  source?: string;
  cluster?: string;
  /** The written member at the top of its replication chain. */
  origin?: string;
  via?: string;
  replication?: ReplicationState;
  /** It cannot take part whatever the configuration says: the rules leave out what it needs. */
  problem?: string;
  /** It cannot take part now (its cluster has no writer); DB_SKIP_UNAVAILABLE may leave it out. */
  unavailable?: string;
  /** Replicas that receive its changes but that the rotation does not check. */
  uncheckedReplicas?: string[];
}

export interface SelectionRules {
  /** Whether the instance itself matches the engines, prefix and tag. */
  instance(instance: DBInstance): boolean;
  /** Whether the cluster itself matches the engines, prefix and tag. */
  cluster(cluster: DBCluster): boolean;
}

export interface Selected {
  instance: DBInstance;
  placement: Placement;
}

/**
 * The instances that take part, each placed in its replication topology. A cluster is one
 * database: it takes part when it or any of its members matches the rules, and then all its
 * members do. A read replica takes part when it matches the rules itself; its source must take
 * part too (a replica of something left out, in another region say, is a `problem`, never a
 * silent skip: the rotation could not tell when the new password reaches it).
 */
export function selectAndPlace(
  instances: DBInstance[],
  clusters: DBCluster[],
  rules: SelectionRules,
): Selected[] {
  const clustersById = new Map(clusters.map((cluster) => [cluster.DBClusterIdentifier, cluster]));
  const selectedClusters = new Set(
    clusters.filter((cluster) => rules.cluster(cluster)).map((cluster) => cluster.DBClusterIdentifier),
  );
  for (const instance of instances) {
    if (instance.DBClusterIdentifier !== undefined && rules.instance(instance)) {
      selectedClusters.add(instance.DBClusterIdentifier);
    }
  }
  const selected = instances.filter((instance) =>
    instance.DBClusterIdentifier === undefined
      ? rules.instance(instance)
      : selectedClusters.has(instance.DBClusterIdentifier),
  );
  const byId = new Map(selected.map((instance) => [instance.DBInstanceIdentifier, instance]));
  const byArn = new Map(selected.map((instance) => [instance.DBInstanceArn, instance]));
  const find = (reference: string) => byId.get(reference) ?? byArn.get(reference);
  const scope = { clustersById, selectedClusters, find };

  const placements = new Map<string | undefined, Placement>(
    selected.map((instance) => [instance.DBInstanceIdentifier, place(instance, scope)]),
  );
  for (const instance of selected) {
    const placement = placements.get(instance.DBInstanceIdentifier) as Placement;
    Object.assign(placement, originOf(instance.DBInstanceIdentifier, placements));
    const unchecked = (instance.ReadReplicaDBInstanceIdentifiers ?? []).filter(
      (replica) => find(replica) === undefined,
    );
    if (unchecked.length > 0) placement.uncheckedReplicas = unchecked;
  }
  return selected.map((instance) => ({
    instance,
    placement: placements.get(instance.DBInstanceIdentifier) as Placement,
  }));
}

interface Scope {
  clustersById: Map<string | undefined, DBCluster>;
  selectedClusters: Set<string | undefined>;
  find(reference: string): DBInstance | undefined;
}

function place(instance: DBInstance, scope: Scope): Placement {
  const replication = replicationState(instance);
  if (instance.DBClusterIdentifier !== undefined) return placeMember(instance, scope);
  const sourceCluster = instance.ReadReplicaSourceDBClusterIdentifier;
  if (sourceCluster !== undefined) {
    const cluster = findCluster(sourceCluster, scope);
    const writer = cluster && writerOf(cluster);
    if (cluster === undefined) {
      return {
        role: 'replica',
        replication,
        problem:
          `it replicates from cluster ${sourceCluster}, which this rotation does not include ` +
          '(another region or account, or left out by the discovery rules)',
      };
    }
    return writer === undefined
      ? {
          role: 'replica',
          replication,
          unavailable: `its source cluster ${cluster.DBClusterIdentifier} has no writer`,
        }
      : {
          role: 'replica',
          source: writer,
          replication,
          via: `read replica of cluster ${cluster.DBClusterIdentifier}`,
        };
  }
  const source = instance.ReadReplicaSourceDBInstanceIdentifier;
  if (source !== undefined) {
    const found = scope.find(source);
    if (found === undefined) {
      return {
        role: 'replica',
        replication,
        problem:
          `it is a read replica of ${source}, which this rotation does not include ` +
          '(another region or account, or left out by the discovery rules)',
      };
    }
    const id = found.DBInstanceIdentifier as string;
    return { role: 'replica', source: id, replication, via: `read replica of ${id}` };
  }
  return { role: 'primary' };
}

function placeMember(instance: DBInstance, scope: Scope): Placement {
  const id = instance.DBClusterIdentifier as string;
  const cluster = scope.clustersById.get(id);
  if (cluster === undefined) {
    return {
      role: 'reader',
      cluster: id,
      problem: `it is a member of cluster ${id}, which RDS does not list`,
    };
  }
  const upstream = cluster.ReplicationSourceIdentifier;
  if (upstream !== undefined) {
    // A cluster that replicates from another (a cross-region or binary log replica cluster):
    // every member only reads, and the writer of the source cluster is written to.
    const source = findCluster(upstream, scope);
    const writer = source && writerOf(source);
    if (source === undefined) {
      return {
        role: 'reader',
        cluster: id,
        problem:
          `its cluster ${id} replicates from ${upstream}, which this rotation does not include ` +
          '(another region or account, or left out by the discovery rules)',
      };
    }
    return writer === undefined
      ? {
          role: 'reader',
          cluster: id,
          unavailable: `the source cluster ${source.DBClusterIdentifier} has no writer`,
        }
      : {
          role: 'reader',
          cluster: id,
          source: writer,
          via: `member of cluster ${id}, a replica of ${source.DBClusterIdentifier}`,
        };
  }
  const writer = writerOf(cluster);
  if (writer === instance.DBInstanceIdentifier) return { role: 'writer', cluster: id };
  if (writer === undefined) {
    return {
      role: 'reader',
      cluster: id,
      unavailable: `cluster ${id} has no writer, a failover may be under way`,
    };
  }
  return { role: 'reader', cluster: id, source: writer, via: `reader of cluster ${id}` };
}

function findCluster(reference: string, scope: Scope): DBCluster | undefined {
  const cluster =
    scope.clustersById.get(reference) ??
    [...scope.clustersById.values()].find((candidate) => candidate.DBClusterArn === reference);
  return cluster !== undefined && scope.selectedClusters.has(cluster.DBClusterIdentifier)
    ? cluster
    : undefined;
}

function writerOf(cluster: DBCluster): string | undefined {
  return cluster.DBClusterMembers?.find((member) => member.IsClusterWriter === true)?.DBInstanceIdentifier;
}

/**
 * The written member at the top of a replica's chain. A chain that leads to a member with a
 * problem, or that loops, takes the problem over: the change would never reach it.
 */
function originOf(
  id: string | undefined,
  placements: Map<string | undefined, Placement>,
): Partial<Placement> {
  const start = placements.get(id) as Placement;
  if (start.source === undefined || start.problem !== undefined || start.unavailable !== undefined) return {};
  const seen = new Set<string | undefined>([id]);
  let current = start.source;
  for (;;) {
    const placement = placements.get(current);
    if (placement === undefined) return { problem: `its source ${current} does not take part` };
    if (placement.problem !== undefined) return { problem: `its source ${current} cannot take part` };
    if (placement.unavailable !== undefined) return { unavailable: `its source ${current} is not usable` };
    if (WRITTEN_ROLES.has(placement.role)) return { origin: current };
    if (seen.has(current) || placement.source === undefined) {
      return { problem: `its replication chain through ${current} leads to no writable instance` };
    }
    seen.add(current);
    current = placement.source;
  }
}

function replicationState(instance: DBInstance): ReplicationState | undefined {
  const info = instance.StatusInfos?.find((status) => status.StatusType === 'read replication');
  if (info?.Status === undefined) return undefined;
  return {
    status: info.Status,
    normal: info.Normal === true,
    ...(info.Message ? { message: info.Message } : {}),
  };
}

/** A replica RDS reports as not replicating: the new password would not reach it. */
export function replicationStopped(state: ReplicationState | undefined): boolean {
  return state !== undefined && state.status !== 'replicating';
}
