import type { RDSClient } from '@aws-sdk/client-rds';
import type { Config } from '../config.ts';
import { type DbInstance, endpointOf } from '../database.ts';
import { describeAllInstances, matches, USABLE_STATUSES } from '../discovery.ts';
import { InvalidEventError, quoteIfPlain } from '../errors.ts';
import type { InstanceReport } from '../instances.ts';
import { logger } from '../logger.ts';
import type { ListedInstanceState, NotIncluded } from './answers.ts';

/** One instance the discovery rules match, with what the rotation makes of it. */
export interface ListedInstance extends ListedInstanceState {
  /** Set for `included` instances: what the work runs on. */
  target?: DbInstance;
}

/**
 * Every instance the rotation's discovery rules match (same engines, tag and prefix), with its
 * RDS status and whether a rotation would include it, skip it (`creating`, or not available
 * with DB_SKIP_UNAVAILABLE) or fail on it (`unavailable`). Unlike the rotation's discovery, an
 * unavailable instance does not stop the manual actions: it is reported instead.
 */
export async function listInstances(config: Config, rds: RDSClient): Promise<ListedInstance[]> {
  if (config.endpoints !== undefined) {
    return config.endpoints.map(({ host, port }) => {
      const target = { id: `${host}:${port}`, host, port };
      return {
        instance: target.id,
        endpoint: endpointOf(target),
        rdsStatus: 'static endpoint (DB_ENDPOINTS)',
        engine: null,
        outcome: 'included',
        target,
      };
    });
  }
  const listed = (await describeAllInstances(rds))
    .filter((instance) => matches(instance, config))
    .map((instance): ListedInstance => {
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
      const target = { id, host, port, engine: instance.Engine, status: rdsStatus };
      return { ...base, outcome: 'included', target };
    });
  logger.debug('instances listed', { instances: listed.map((i) => `${i.instance}:${i.outcome}`) });
  return listed.sort((a, b) => a.instance.localeCompare(b.instance));
}

export interface Targets {
  /** Instances to work on. */
  work: DbInstance[];
  /** Reports for the instances that cannot be worked on (they count as failures). */
  unavailable: InstanceReport[];
  /** Instances the rotation leaves out as well (creating, or skipped by configuration). */
  notIncluded: NotIncluded[];
}

/**
 * The instances a work action runs on: the named ones, each of which must be one the rotation
 * discovers, or all of them.
 */
export function selectTargets(listed: ListedInstance[], names: string[] | undefined): Targets {
  const discovered = listed.filter((i) => i.outcome === 'included' || i.outcome === 'unavailable');
  let chosen = discovered;
  if (names !== undefined) {
    for (const name of names) {
      const found = listed.find((i) => i.instance === name);
      if (found === undefined) {
        throw new InvalidEventError(
          `unknown instance ${quoteIfPlain(name)}; the discovered instances are: ` +
            `${discovered.map((i) => i.instance).join(', ') || 'none'}`,
        );
      }
      if (found.outcome === 'creating' || found.outcome === 'skipped') {
        throw new InvalidEventError(
          `instance ${quoteIfPlain(name)} is ${found.rdsStatus} and not part of the rotation yet (${found.note}); ` +
            `the discovered instances are: ${discovered.map((i) => i.instance).join(', ') || 'none'}`,
        );
      }
    }
    chosen = discovered.filter((i) => names.includes(i.instance));
  }
  return {
    work: chosen.flatMap((i) => (i.target ? [i.target] : [])),
    unavailable: chosen
      .filter((i) => i.outcome === 'unavailable')
      .map((i) => ({
        instance: i.instance,
        endpoint: i.endpoint ?? '(no endpoint)',
        outcome: 'skipped',
        attempts: 0,
        ms: 0,
        error: `not touched: RDS status is ${i.note}`,
        errorKind: 'unavailable',
      })),
    notIncluded:
      names === undefined
        ? listed
            .filter((i) => i.outcome === 'creating' || i.outcome === 'skipped')
            .map((i) => ({ instance: i.instance, rdsStatus: i.rdsStatus, reason: i.note ?? '' }))
        : [],
  };
}
