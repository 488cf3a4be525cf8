import { type DBInstance, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { Config } from './config.ts';
import type { DbInstance } from './database.ts';
import { DiscoveryError } from './errors.ts';
import { logger } from './logger.ts';

/**
 * Statuses in which RDS keeps the database reachable and the user's password can be changed.
 * `creating` is skipped (its users do not exist yet; the application password reset handles
 * it later); every other status stops the rotation before any password changes.
 */
export const USABLE_STATUSES = new Set([
  'available',
  'backing-up',
  'storage-optimization',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
]);

export type DiscoveryConfig = Pick<
  Config,
  'engines' | 'tagKey' | 'tagValue' | 'identifierPrefix' | 'skipUnavailable' | 'endpoints'
>;

export function createRdsClient(config: Pick<Config, 'rdsHttpsProxy'>): RDSClient {
  if (config.rdsHttpsProxy === undefined) return new RDSClient({});
  return new RDSClient({ requestHandler: { httpsAgent: new HttpsProxyAgent(config.rdsHttpsProxy) } });
}

/** Every instance that must hold the rotated password, or an error before anything changes. */
export async function discoverInstances(config: DiscoveryConfig, rds: RDSClient): Promise<DbInstance[]> {
  if (config.endpoints !== undefined) {
    const instances = config.endpoints.map(({ host, port }) => ({ id: `${host}:${port}`, host, port }));
    logger.debug('using static endpoints', { instances: instances.map((instance) => instance.id) });
    return instances;
  }
  const all = await describeAllInstances(rds);
  const matching = all.filter((instance) => matches(instance, config));
  logger.debug('RDS instances described', {
    described: all.length,
    matching: matching.map((instance) => `${instance.DBInstanceIdentifier}:${instance.DBInstanceStatus}`),
  });

  const instances: DbInstance[] = [];
  const unusable: string[] = [];
  for (const instance of matching) {
    const id = instance.DBInstanceIdentifier ?? '(no identifier)';
    const status = instance.DBInstanceStatus ?? 'unknown';
    const address = instance.Endpoint?.Address;
    const port = instance.Endpoint?.Port;
    if (status === 'creating') {
      logger.info('instance skipped: still being created', { instance: id });
      continue;
    }
    if (!USABLE_STATUSES.has(status) || address === undefined || port === undefined) {
      const reason = `${id} is ${status}${address === undefined || port === undefined ? ' with no endpoint' : ''}`;
      if (config.skipUnavailable) {
        logger.warn('instance skipped: not available (DB_SKIP_UNAVAILABLE=true)', { instance: id, status });
        continue;
      }
      unusable.push(reason);
      continue;
    }
    instances.push({ id, host: address, port, engine: instance.Engine, status });
  }
  if (unusable.length > 0) {
    throw new DiscoveryError(
      `instances not available, nothing was changed: ${unusable.join('; ')}. ` +
        'Wait until they are available, or set DB_SKIP_UNAVAILABLE=true to rotate without them ' +
        '(they then need an application password reset later).',
    );
  }
  return instances.sort((a, b) => a.id.localeCompare(b.id));
}

export async function describeAllInstances(rds: RDSClient): Promise<DBInstance[]> {
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

export function matches(instance: DBInstance, config: DiscoveryConfig): boolean {
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
