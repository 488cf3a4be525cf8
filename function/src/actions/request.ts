import type { Config } from '../config.ts';
import { InvalidEventError } from '../errors.ts';
import type { ManualEvent } from '../events.ts';
import { type SecretEntry, selectServedSecret } from '../servedSecrets.ts';
import { describeValue, quoteIfPlain, quoteKey } from '../text.ts';
import type { ActionName } from './answers.ts';

/** A manual event after every field was checked. */
export interface ActionRequest {
  action: ActionName;
  /** The served secret the action works on; undefined for the actions that take none. */
  secret: SecretEntry | undefined;
  /** The secret's configured identifier ('' for the actions that take none). */
  secretId: string;
  /** The named instances, or undefined for every discovered one. */
  instances: string[] | undefined;
  dryRun: boolean;
}

/** The fields each action accepts (`action` itself included). */
export const ACCEPTED_FIELDS: Record<ActionName, readonly string[]> = {
  version: ['action'],
  status: ['action', 'user', 'secretId'],
  verify: ['action', 'user', 'secretId', 'instances'],
  reset: ['action', 'user', 'secretId', 'instances', 'dryRun'],
  heal: ['action', 'user', 'secretId', 'instances', 'dryRun'],
  notice: ['action', 'dryRun'],
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
          `only ${DRY_RUN_ACTIONS.slice(0, -1).join(', ')} and ${DRY_RUN_ACTIONS.at(-1)} take it`,
      );
    }
    throw new InvalidEventError(
      `unknown field ${quoteKey(field)} for action "${action}"; accepted fields: ${accepted.join(', ')}`,
    );
  }
  const secret = accepted.includes('user') ? secretOf(event.fields, config) : undefined;
  return {
    action,
    secret,
    secretId: secret?.secretId ?? '',
    instances: instancesOf(event.fields.instances),
    dryRun: dryRunOf(event.fields.dryRun),
  };
}

/** The secret of an action that works on one (every action but version and notice). */
export function requestSecret(request: ActionRequest): SecretEntry {
  if (request.secret === undefined)
    throw new InvalidEventError(`action "${request.action}" works on no secret`);
  return request.secret;
}

/** The served secret named by "user" or "secretId" (at most one), or the only one served. */
function secretOf(fields: Record<string, unknown>, config: Config): SecretEntry {
  const { user, secretId } = fields;
  if (user !== undefined && secretId !== undefined) {
    throw new InvalidEventError(
      'the event names both "user" and "secretId"; name the secret with one of them',
    );
  }
  for (const [name, value] of [
    ['user', user],
    ['secretId', secretId],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      throw new InvalidEventError(`"${name}" must be a non-empty string, got ${describeValue(value)}`);
    }
  }
  return selectServedSecret(config.secrets, {
    user: user as string | undefined,
    secretId: secretId as string | undefined,
  });
}

/** An RDS identifier or a static endpoint's host:port: what the answers name instances by. */
const INSTANCE = /^[A-Za-z0-9][\w.:-]{0,254}$/;
const MAX_INSTANCES = 1000;

function instancesOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const expected = `"instances" must be an array of 1 to ${MAX_INSTANCES} instance identifiers (RDS identifiers or host:port)`;
  if (!Array.isArray(value)) throw new InvalidEventError(`${expected}, got ${describeValue(value)}`);
  if (value.length === 0 || value.length > MAX_INSTANCES) {
    throw new InvalidEventError(`${expected}, got ${value.length} entries`);
  }
  const seen = new Set<string>();
  for (const [index, name] of value.entries()) {
    if (typeof name !== 'string' || !INSTANCE.test(name)) {
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
