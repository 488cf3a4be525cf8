import type { Config } from '../config.ts';
import { InvalidEventError } from '../errors.ts';
import type { ManualEvent } from '../events.ts';
import { describeValue, quoteIfPlain } from '../text.ts';
import type { ActionName } from './answers.ts';

/** A manual event after every field was checked. */
export interface ActionRequest {
  action: ActionName;
  secretId: string;
  /** The named instances, or undefined for every discovered one. */
  instances: string[] | undefined;
  dryRun: boolean;
}

/** The fields each action accepts (`action` itself included). */
export const ACCEPTED_FIELDS: Record<ActionName, readonly string[]> = {
  version: ['action'],
  status: ['action', 'secretId'],
  verify: ['action', 'secretId', 'instances'],
  reset: ['action', 'secretId', 'instances', 'dryRun'],
  heal: ['action', 'secretId', 'instances', 'dryRun'],
};

const DRY_RUN_ACTIONS = Object.entries(ACCEPTED_FIELDS)
  .filter(([, fields]) => fields.includes('dryRun'))
  .map(([name]) => name);

/** Checks every field of a manual event against what `action` accepts; nothing is touched before. */
export function parseRequest(action: ActionName, event: ManualEvent, config: Config): ActionRequest {
  const accepted = ACCEPTED_FIELDS[action];
  for (const field of Object.keys(event.fields)) {
    if (accepted.includes(field)) continue;
    if (field === 'dryRun') {
      throw new InvalidEventError(
        `"dryRun" is not accepted by action "${action}" (it changes nothing anyway); ` +
          `only ${DRY_RUN_ACTIONS.join(' and ')} take it`,
      );
    }
    throw new InvalidEventError(
      `unknown field ${quoteIfPlain(field)} for action "${action}"; accepted fields: ${accepted.join(', ')}`,
    );
  }
  return {
    action,
    // `version` touches no secret: it must answer even where SECRET_ID is not set.
    secretId: accepted.includes('secretId') ? secretIdOf(event.fields.secretId, config) : '',
    instances: instancesOf(event.fields.instances),
    dryRun: dryRunOf(event.fields.dryRun),
  };
}

function secretIdOf(value: unknown, config: Config): string {
  if (value === undefined) {
    if (config.secretId === undefined) {
      throw new InvalidEventError(
        'the event names no "secretId" and the function has no SECRET_ID configured; pass "secretId"',
      );
    }
    return config.secretId;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidEventError(`"secretId" must be a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}

function instancesOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const expected = '"instances" must be a non-empty array of instance identifiers (strings)';
  if (!Array.isArray(value)) throw new InvalidEventError(`${expected}, got ${describeValue(value)}`);
  if (value.length === 0) throw new InvalidEventError(`${expected}, got an empty array`);
  const seen = new Set<string>();
  for (const [index, name] of value.entries()) {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new InvalidEventError(`${expected}; entry ${index} is ${describeValue(name)}`);
    }
    if (seen.has(name)) throw new InvalidEventError(`"instances" names ${quoteIfPlain(name)} twice`);
    seen.add(name);
  }
  return value as string[];
}

function dryRunOf(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new InvalidEventError(`"dryRun" must be true or false, got ${describeValue(value)}`);
  }
  return value;
}
