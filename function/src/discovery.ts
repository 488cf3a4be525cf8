import {
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { Config } from './config.ts';
import { DiscoveryError } from './errors.ts';
import { logger } from './logger.ts';
import { errorMessage } from './text.ts';
import {
  type FleetMember,
  type Placement,
  type ReplicationState,
  type Role,
  replicationStopped,
  selectAndPlace,
} from './topology.ts';

/**
 * Statuses in which RDS keeps the database reachable and the user's password can be changed.
 * `creating` is skipped (its users do not exist yet; the application password reset handles
 * it later); every other status stops the rotation before any password changes.
 */
const USABLE_STATUSES = new Set([
  'available',
  'backing-up',
  'storage-optimization',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
]);

type DiscoveryConfig = Pick<
  Config,
  'engines' | 'tagKey' | 'tagValue' | 'identifierPrefix' | 'skipUnavailable' | 'endpoints'
>;

/** One instance the discovery rules match, and what a rotation makes of it. */
export interface ListedInstanceState {
  instance: string;
  endpoint: string | null;
  rdsStatus: string;
  engine: string | null;
  /**
   * `included`: takes part in rotations; `creating`: waits for a reset; `unavailable`: blocks
   * rotations; `skipped`: left out (DB_SKIP_UNAVAILABLE, or its source is left out);
   * `misconfigured`: blocks rotations whatever the configuration says, because the discovery
   * rules include it but not the instance or cluster it replicates from.
   */
  outcome: 'included' | 'creating' | 'unavailable' | 'skipped' | 'misconfigured';
  note?: string;
  /** Its place in replication: `primary`, `writer`, `replica`, `reader` or `endpoint`. */
  role?: Role;
  /** A replica's or reader's source (an instance identifier). */
  source?: string;
  /** The cluster it is a member of. */
  cluster?: string;
  /** RDS's replication status of a replica, when RDS reports one. */
  replication?: string;
}

export interface ListedInstance extends ListedInstanceState {
  /** Set for `included` instances: what the work runs on. */
  target?: FleetMember;
}

/**
 * Every instance the discovery rules match (engines, tag, prefix, and the members of matching
 * clusters; or the static endpoints), sorted by identifier, each with its place in replication
 * and what a rotation makes of it. The rotation and the manual actions share these rules; they
 * differ only in what they do with an instance that cannot take part.
 */
export async function listInstances(config: DiscoveryConfig, rds: RDSClient): Promise<ListedInstance[]> {
  if (config.endpoints !== undefined) {
    return config.endpoints.map(({ host, port }) => {
      const target: FleetMember = { id: `${host}:${port}`, host, port, role: 'endpoint' };
      return {
        instance: target.id,
        endpoint: target.id,
        rdsStatus: 'static endpoint (DB_ENDPOINTS)',
        engine: null,
        outcome: 'included',
        role: 'endpoint',
        target,
      };
    });
  }
  const instances = await describeAll('DescribeDBInstances', (Marker) =>
    rds
      .send(new DescribeDBInstancesCommand({ Marker, MaxRecords: 100 }))
      .then((page) => ({ items: page.DBInstances, marker: page.Marker })),
  );
  // Clusters are described only when one can take part: Aurora MySQL is configured, or a
  // matching instance is a cluster member (a Multi-AZ DB cluster of mysql).
  const members = instances.filter(
    (instance) => instance.DBClusterIdentifier !== undefined && matches(instance, config),
  );
  const auroraConfigured = config.engines.includes('aurora-mysql');
  const clusters =
    auroraConfigured || members.length > 0
      ? await describeAll('DescribeDBClusters', (Marker) =>
          rds
            .send(new DescribeDBClustersCommand({ Marker, MaxRecords: 100 }))
            .then((page) => ({ items: page.DBClusters, marker: page.Marker })),
        ).catch((error: unknown) => {
          if (auroraConfigured) throw error;
          throw new DiscoveryError(
            `${members.map((m) => m.DBInstanceIdentifier).join(', ')} are members of DB clusters, whose ` +
              `writer only DescribeDBClusters tells, and it failed (${errorMessage(error)}); nothing was changed. ` +
              "Allow rds:DescribeDBClusters to the function's role, or leave these instances out.",
            { cause: error },
          );
        })
      : [];
  const selected = selectAndPlace(instances, clusters, {
    instance: (instance) => matches(instance, config),
    cluster: (cluster) => matches(cluster, config),
  });
  const listed = leaveOutOrphans(
    selected.map(({ instance, placement }) => classify(instance, placement, config)),
  );
  for (const { instance, placement } of selected) {
    if (placement.uncheckedReplicas !== undefined) {
      logger.warn(
        'replicas of an instance of the rotation are not checked: the discovery rules leave them out',
        {
          instance: instance.DBInstanceIdentifier,
          replicas: placement.uncheckedReplicas,
        },
      );
    }
  }
  logger.debug('RDS instances described', {
    described: instances.length,
    clusters: clusters.length,
    matching: listed.map((i) => `${i.instance}:${i.rdsStatus}:${i.role}:${i.outcome}`),
  });
  return listed.sort((a, b) => a.instance.localeCompare(b.instance));
}

function classify(instance: DBInstance, placement: Placement, config: DiscoveryConfig): ListedInstance {
  const id = instance.DBInstanceIdentifier ?? '(no identifier)';
  const rdsStatus = instance.DBInstanceStatus ?? 'unknown';
  const host = instance.Endpoint?.Address;
  const port = instance.Endpoint?.Port;
  const endpoint = host !== undefined && port !== undefined ? `${host}:${port}` : null;
  const base: ListedInstanceState = {
    instance: id,
    endpoint,
    rdsStatus,
    engine: instance.Engine ?? null,
    outcome: 'included',
    role: placement.role,
    ...(placement.source === undefined ? {} : { source: placement.source }),
    ...(placement.cluster === undefined ? {} : { cluster: placement.cluster }),
    ...(placement.replication === undefined ? {} : { replication: placement.replication.status }),
  };
  if (placement.problem !== undefined) {
    return {
      ...base,
      outcome: 'misconfigured',
      note: `${placement.problem}: rotations fail until the discovery rules include its source or leave it out`,
    };
  }
  if (rdsStatus === 'creating') {
    return { ...base, outcome: 'creating', note: 'still being created: reset it once it is available' };
  }
  const unusable =
    placement.unavailable !== undefined
      ? `unusable, ${placement.unavailable}`
      : endpoint === null
        ? `${rdsStatus} with no endpoint`
        : USABLE_STATUSES.has(rdsStatus)
          ? undefined
          : rdsStatus;
  if (unusable !== undefined) {
    return config.skipUnavailable
      ? {
          ...base,
          outcome: 'skipped',
          note: `${unusable}: rotations leave it out (DB_SKIP_UNAVAILABLE=true)`,
        }
      : { ...base, outcome: 'unavailable', note: `${unusable}: rotations fail until it is available` };
  }
  const target: FleetMember = {
    id,
    host: host as string,
    port: port as number,
    engine: instance.Engine,
    status: rdsStatus,
    role: placement.role,
    ...(placement.origin === undefined ? {} : { origin: placement.origin }),
    ...(placement.via === undefined ? {} : { via: placement.via }),
    ...(placement.replication === undefined ? {} : { replication: placement.replication }),
  };
  return { ...base, target };
}

/**
 * A replica whose source is left out (being created, or skipped by DB_SKIP_UNAVAILABLE) would
 * never receive the new password: it is left out as well, and says why.
 */
function leaveOutOrphans(listed: ListedInstance[]): ListedInstance[] {
  const included = new Set(listed.filter((i) => i.outcome === 'included').map((i) => i.instance));
  return listed.map((instance) => {
    const origin = instance.target?.origin;
    if (instance.outcome !== 'included' || origin === undefined || included.has(origin)) return instance;
    const { target: _left, ...rest } = instance;
    return {
      ...rest,
      outcome: 'skipped',
      note: `its source ${origin} is left out of rotations, so it is too`,
    };
  });
}

export interface DiscoveryOptions {
  /**
   * Refuse replicas RDS reports as not replicating. setSecret sets this: the new password would
   * never reach them. Later steps check what the replicas accept instead: a replica stopped
   * after the change has it.
   */
  requireReplicating?: boolean;
}

/** Every instance that must hold the rotated password, or an error before anything changes. */
export async function discoverFleet(
  config: DiscoveryConfig,
  rds: RDSClient,
  options: DiscoveryOptions = {},
): Promise<FleetMember[]> {
  const listed = await listInstances(config, rds);
  for (const instance of listed.filter((i) => i.outcome === 'creating' || i.outcome === 'skipped')) {
    logger.info(`instance left out: ${instance.note}`, {
      instance: instance.instance,
      rdsStatus: instance.rdsStatus,
    });
  }
  const reasons: string[] = [];
  const misconfigured = listed.filter((instance) => instance.outcome === 'misconfigured');
  if (misconfigured.length > 0) {
    reasons.push(
      `instances whose source is not part of the rotation, nothing was changed: ${misconfigured
        .map((i) => `${i.instance}: ${i.note}`)
        .join('; ')}. Include the source (tag or identifier prefix), or leave these instances out.`,
    );
  }
  const unavailable = listed.filter((instance) => instance.outcome === 'unavailable');
  if (unavailable.length > 0) {
    const described = unavailable.map(
      (i) => `${i.instance} is ${i.note?.replace(/: rotations fail.*$/, '')}`,
    );
    reasons.push(
      `instances not available, nothing was changed: ${described.join('; ')}. ` +
        'Wait until they are available, or set DB_SKIP_UNAVAILABLE=true to rotate without them ' +
        '(they then need an application password reset later).',
    );
  }
  const members = listed.flatMap((instance) => (instance.target ? [instance.target] : []));
  if (options.requireReplicating) {
    const stopped = members.filter((member) => replicationStopped(member.replication));
    if (stopped.length > 0) {
      reasons.push(
        `read replicas whose replication is not running, nothing was changed: ${stopped
          .map((m) => `${m.id} (${m.via}) is "${describeReplication(m.replication as ReplicationState)}"`)
          .join('; ')}. The new password would never reach them: restart their replication (or ` +
          'promote or delete them), then rotate again.',
      );
    }
  }
  if (reasons.length > 0) throw new DiscoveryError(reasons.join(' '));
  return members;
}

function describeReplication(state: ReplicationState): string {
  return state.message === undefined ? state.status : `${state.status}: ${state.message}`;
}

/** Every page of a Describe call; a marker seen twice would page forever, so it is an error. */
async function describeAll<T>(
  api: string,
  page: (marker: string | undefined) => Promise<{ items: T[] | undefined; marker: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  const seenMarkers = new Set<string>();
  let marker: string | undefined;
  do {
    logger.debug(`calling ${api}`, { api, marker });
    const result = await page(marker);
    items.push(...(result.items ?? []));
    marker = result.marker || undefined;
    if (marker !== undefined) {
      if (seenMarkers.has(marker)) throw new DiscoveryError(`${api} returned marker ${marker} twice`);
      seenMarkers.add(marker);
    }
  } while (marker !== undefined);
  return items;
}

interface Matchable {
  Engine?: string | undefined;
  TagList?: Tag[] | undefined;
}

function matches(resource: (DBInstance | DBCluster) & Matchable, config: DiscoveryConfig): boolean {
  const engine = resource.Engine?.toLowerCase() ?? '';
  if (!config.engines.includes(engine)) return false;
  const id =
    'DBInstanceIdentifier' in resource ? resource.DBInstanceIdentifier : resource.DBClusterIdentifier;
  if (config.identifierPrefix !== undefined && !id?.startsWith(config.identifierPrefix)) return false;
  if (config.tagKey !== undefined) {
    const tag = resource.TagList?.find((candidate) => candidate.Key === config.tagKey);
    if (tag === undefined) return false;
    if (config.tagValue !== undefined && tag.Value !== config.tagValue) return false;
  }
  return true;
}
