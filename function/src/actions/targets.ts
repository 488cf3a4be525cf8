import type { ListedInstance } from '../discovery.ts';
import { InvalidEventError } from '../errors.ts';
import type { InstanceReport } from '../instances.ts';
import { quoteIfPlain } from '../text.ts';
import type { FleetMember } from '../topology.ts';
import type { NotIncluded } from './answers.ts';

export interface Targets {
  /** Instances to work on, each with its place in replication. */
  work: FleetMember[];
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
