import { type DBInstance, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { Config } from './config.ts';
import type { DbInstance } from './database.ts';
import { DiscoveryError } from './errors.ts';
import { logger } from './logger.ts';

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
  /** `included`: takes part in rotations; `creating`: waits for a reset; `unavailable`: blocks rotations; `skipped`: left out (DB_SKIP_UNAVAILABLE). */
  outcome: 'included' | 'creating' | 'unavailable' | 'skipped';
  note?: string;
}

export interface ListedInstance extends ListedInstanceState {
  /** Set for `included` instances: what the work runs on. */
  target?: DbInstance;
}

/**
 * Every instance the discovery rules match (engines, tag, prefix; or the static endpoints), sorted
 * by identifier, each with what a rotation makes of it. The rotation and the manual actions
 * share these rules; they differ only in what they do with an unavailable instance.
 */
export async function listInstances(config: DiscoveryConfig, rds: RDSClient): Promise<ListedInstance[]> {
  if (config.endpoints !== undefined) {
    return config.endpoints.map(({ host, port }) => {
      const target = { id: `${host}:${port}`, host, port };
      return {
        instance: target.id,
        endpoint: target.id,
        rdsStatus: 'static endpoint (DB_ENDPOINTS)',
        engine: null,
        outcome: 'included',
        target,
      };
    });
  }
  const all = await describeAllInstances(rds);
  const listed = all
    .filter((instance) => matches(instance, config))
    .map((instance) => classify(instance, config));
  logger.debug('RDS instances described', {
    described: all.length,
    matching: listed.map((instance) => `${instance.instance}:${instance.rdsStatus}:${instance.outcome}`),
  });
  return listed.sort((a, b) => a.instance.localeCompare(b.instance));
}

function classify(instance: DBInstance, config: DiscoveryConfig): ListedInstance {
  const id = instance.DBInstanceIdentifier ?? '(no identifier)';
  const rdsStatus = instance.DBInstanceStatus ?? 'unknown';
  const host = instance.Endpoint?.Address;
  const port = instance.Endpoint?.Port;
  const endpoint = host !== undefined && port !== undefined ? `${host}:${port}` : null;
  const base = { instance: id, endpoint, rdsStatus, engine: instance.Engine ?? null };
  if (rdsStatus === 'creating') {
    return { ...base, outcome: 'creating', note: 'still being created: reset it once it is available' };
  }
  if (!USABLE_STATUSES.has(rdsStatus) || host === undefined || port === undefined) {
    const why = endpoint === null ? `${rdsStatus} with no endpoint` : rdsStatus;
    return config.skipUnavailable
      ? { ...base, outcome: 'skipped', note: `${why}: rotations leave it out (DB_SKIP_UNAVAILABLE=true)` }
      : { ...base, outcome: 'unavailable', note: `${why}: rotations fail until it is available` };
  }
  return {
    ...base,
    outcome: 'included',
    target: { id, host, port, engine: instance.Engine, status: rdsStatus },
  };
}

/** Every instance that must hold the rotated password, or an error before anything changes. */
export async function discoverInstances(config: DiscoveryConfig, rds: RDSClient): Promise<DbInstance[]> {
  const listed = await listInstances(config, rds);
  for (const instance of listed.filter((i) => i.outcome === 'creating' || i.outcome === 'skipped')) {
    logger.info(`instance left out: ${instance.note}`, {
      instance: instance.instance,
      rdsStatus: instance.rdsStatus,
    });
  }
  const unavailable = listed.filter((instance) => instance.outcome === 'unavailable');
  if (unavailable.length > 0) {
    const reasons = unavailable.map(
      (i) => `${i.instance} is ${i.rdsStatus}${i.endpoint === null ? ' with no endpoint' : ''}`,
    );
    throw new DiscoveryError(
      `instances not available, nothing was changed: ${reasons.join('; ')}. ` +
        'Wait until they are available, or set DB_SKIP_UNAVAILABLE=true to rotate without them ' +
        '(they then need an application password reset later).',
    );
  }
  return listed.flatMap((instance) => (instance.target ? [instance.target] : []));
}

async function describeAllInstances(rds: RDSClient): Promise<DBInstance[]> {
  const instances: DBInstance[] = [];
  const seenMarkers = new Set<string>();
  let marker: string | undefined;
  do {
    logger.debug('calling DescribeDBInstances', { api: 'DescribeDBInstances', marker });
    const page = await rds.send(new DescribeDBInstancesCommand({ Marker: marker, MaxRecords: 100 }));
    instances.push(...(page.DBInstances ?? []));
    marker = page.Marker || undefined;
    if (marker !== undefined) {
      // A marker seen twice would page forever; stop with an error rather than loop.
      if (seenMarkers.has(marker))
        throw new DiscoveryError(`DescribeDBInstances returned marker ${marker} twice`);
      seenMarkers.add(marker);
    }
  } while (marker !== undefined);
  return instances;
}

function matches(instance: DBInstance, config: DiscoveryConfig): boolean {
  const engine = instance.Engine?.toLowerCase() ?? '';
  if (!config.engines.includes(engine)) return false;
  if (
    config.identifierPrefix !== undefined &&
    !instance.DBInstanceIdentifier?.startsWith(config.identifierPrefix)
  ) {
    return false;
  }
  if (config.tagKey !== undefined) {
    const tag = instance.TagList?.find((candidate) => candidate.Key === config.tagKey);
    if (tag === undefined) return false;
    if (config.tagValue !== undefined && tag.Value !== config.tagValue) return false;
  }
  return true;
}
