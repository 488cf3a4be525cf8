import { ConfigError, InvalidEventError } from './errors.ts';
import { passwordAlphabet } from './password.ts';
import { boundedList, errorMessage, quoteIdentifier, quoteIfPlain } from './text.ts';
import { checkChoice, type Env, optional, SECRET_ARN } from './variables.ts';

/**
 * The secrets the function serves (SECRETS, or the SECRET_ID shorthand) and which of them an
 * event names. Nothing outside this list is ever read or changed: an identifier that matches no
 * entry is refused before any call.
 */

export type RotationStrategy = 'single-user' | 'alternating-users';
export const STRATEGIES: readonly RotationStrategy[] = ['single-user', 'alternating-users'];

/** One served secret with its password rules and strategy, the global defaults applied. */
export interface SecretEntry {
  /** The entry's name; manual actions select it with "user". */
  user: string;
  /** What every Secrets Manager call uses: the configured ARN (or, for SECRET_ID, name or ARN). */
  secretId: string;
  passwordLength: number;
  passwordExcludeChars: string;
  strategy: RotationStrategy;
}

export type EntryDefaults = Pick<SecretEntry, 'passwordLength' | 'passwordExcludeChars' | 'strategy'>;

/** The entry name of the SECRET_ID shorthand. */
export const DEFAULT_USER = 'default';
export const MAX_SECRETS = 20;

const USER = /^[A-Za-z0-9_.-]{1,64}$/;
const FIELDS = ['user', 'secretArn', 'passwordLength', 'passwordExcludeChars', 'strategy'];
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Reads SECRETS or SECRET_ID (exactly one of them) into the served entries. */
export function parseServedSecrets(env: Env, defaults: EntryDefaults): SecretEntry[] {
  const list = optional(env, 'SECRETS');
  const single = optional(env, 'SECRET_ID');
  if (list !== undefined && single !== undefined) {
    throw new ConfigError('SECRET_ID', 'is set together with SECRETS; set one of them, not both');
  }
  if (single !== undefined) {
    if (!SECRET_ARN.test(single) && !SECRET_NAME.test(single)) {
      throw new ConfigError(
        'SECRET_ID',
        `must be a secret name (letters, digits and /_+=.@-) or a secret ARN, got ${quoteIdentifier(single)}`,
      );
    }
    return [{ user: DEFAULT_USER, secretId: single, ...defaults }];
  }
  if (list === undefined) {
    throw new ConfigError(
      'SECRETS',
      'is not set, and neither is SECRET_ID: the function serves no secret. Set SECRETS to a JSON ' +
        'array of {"user", "secretArn"} entries, or SECRET_ID to one secret',
    );
  }
  return parseList(list, defaults);
}

function parseList(raw: string, defaults: EntryDefaults): SecretEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError('SECRETS', `is not valid JSON (${errorMessage(error).slice(0, 120)})`, {
      cause: error,
    });
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_SECRETS) {
    throw new ConfigError(
      'SECRETS',
      `must be a JSON array of 1 to ${MAX_SECRETS} entries {"user", "secretArn", ...}, got ${
        Array.isArray(parsed) ? `${parsed.length} entries` : 'no array'
      }`,
    );
  }
  const entries = parsed.map((entry, index) => parseEntry(entry, `SECRETS[${index}]`, defaults));
  for (const [field, key] of [
    ['user', (e: SecretEntry) => e.user],
    ['secretArn', (e: SecretEntry) => e.secretId],
  ] as const) {
    const seen = new Map<string, number>();
    for (const [index, entry] of entries.entries()) {
      const first = seen.get(key(entry));
      if (first !== undefined) {
        throw new ConfigError(
          `SECRETS[${index}].${field}`,
          `is the same as SECRETS[${first}].${field}; each entry needs its own`,
        );
      }
      seen.set(key(entry), index);
    }
  }
  return entries;
}

function parseEntry(value: unknown, path: string, defaults: EntryDefaults): SecretEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(path, 'must be an object {"user", "secretArn", ...}');
  }
  const entry = value as Record<string, unknown>;
  const unknown = Object.keys(entry).find((field) => !FIELDS.includes(field));
  if (unknown !== undefined) {
    throw new ConfigError(
      `${path}.${unknown.slice(0, 40)}`,
      `is not a field of an entry; the fields are ${FIELDS.join(', ')}`,
    );
  }
  if (typeof entry.user !== 'string' || !USER.test(entry.user)) {
    throw new ConfigError(`${path}.user`, 'must be 1 to 64 letters, digits, "_", "." or "-"');
  }
  if (typeof entry.secretArn !== 'string' || !SECRET_ARN.test(entry.secretArn)) {
    throw new ConfigError(
      `${path}.secretArn`,
      'must be the full ARN of a secret, such as arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf',
    );
  }
  return {
    user: entry.user,
    secretId: entry.secretArn,
    passwordLength: passwordLength(entry.passwordLength, `${path}.passwordLength`, defaults.passwordLength),
    passwordExcludeChars: excludeChars(
      entry.passwordExcludeChars,
      `${path}.passwordExcludeChars`,
      defaults.passwordExcludeChars,
    ),
    strategy:
      entry.strategy === undefined
        ? defaults.strategy
        : checkChoice(`${path}.strategy`, entry.strategy, STRATEGIES),
  };
}

function passwordLength(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 16 || value > 128) {
    throw new ConfigError(path, `must be a whole number from 16 to 128, got ${JSON.stringify(value)}`);
  }
  return value;
}

function excludeChars(value: unknown, path: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new ConfigError(path, 'must be a string of characters');
  try {
    passwordAlphabet(value);
  } catch (error) {
    throw new ConfigError(path, errorMessage(error), { cause: error });
  }
  return value;
}

interface ParsedArn {
  /** arn:partition:secretsmanager:region:account */
  scope: string;
  /** What follows "secret:": the name, with the 6-character suffix in a full ARN. */
  resource: string;
}

function parseArn(id: string): ParsedArn | undefined {
  const parts = id.split(':');
  if (parts.length !== 7 || parts[0] !== 'arn' || parts[2] !== 'secretsmanager' || parts[5] !== 'secret') {
    return undefined;
  }
  return { scope: parts.slice(0, 5).join(':'), resource: parts[6] as string };
}

/** A full ARN's resource ends with "-" and six random characters that are not part of the name. */
function namesOf(resource: string): string[] {
  const withoutSuffix = /^(.+)-[A-Za-z0-9]{6}$/.exec(resource)?.[1];
  return withoutSuffix === undefined ? [resource] : [resource, withoutSuffix];
}

/**
 * Whether `identifier` names the entry's secret: its configured ARN, its name, or an ARN (of the
 * same account and region, when the entry is an ARN) whose secret name is that name.
 */
function names(entry: SecretEntry, identifier: string): boolean {
  if (identifier === entry.secretId) return true;
  const configured = parseArn(entry.secretId);
  const entryNames = configured === undefined ? [entry.secretId] : namesOf(configured.resource);
  const given = parseArn(identifier);
  if (given === undefined) return entryNames.includes(identifier);
  if (configured !== undefined && configured.scope !== given.scope) return false;
  return namesOf(given.resource).some((name) => entryNames.includes(name));
}

/** The served entry `identifier` names, if any. */
export function findServedSecret(
  entries: readonly SecretEntry[],
  identifier: string,
): SecretEntry | undefined {
  return entries.find((entry) => names(entry, identifier));
}

/** The served entries' users, as a short list for messages. */
export function servedUsers(entries: readonly SecretEntry[]): string {
  return boundedList(entries.map((entry) => `"${entry.user}"`));
}

/** How a manual action names its secret: at most one of the two. */
export interface SecretSelector {
  user?: string;
  secretId?: string;
}

/**
 * The entry a manual action works on. With neither field, the only served secret; with several,
 * the caller must say which. Anything not served is refused before any call.
 */
export function selectServedSecret(entries: readonly SecretEntry[], selector: SecretSelector): SecretEntry {
  const served = `this function serves the users ${servedUsers(entries)}`;
  if (selector.user !== undefined) {
    const entry = entries.find((candidate) => candidate.user === selector.user);
    if (entry === undefined) {
      throw new InvalidEventError(`unknown "user" ${quoteIfPlain(selector.user)}; ${served}`);
    }
    return entry;
  }
  if (selector.secretId !== undefined) {
    const entry = findServedSecret(entries, selector.secretId);
    if (entry === undefined) {
      throw new InvalidEventError(
        `"secretId" ${quoteIdentifier(selector.secretId)} is not a secret this function serves; ${served}. ` +
          'Nothing was read.',
      );
    }
    return entry;
  }
  if (entries.length === 1) return entries[0] as SecretEntry;
  throw new InvalidEventError(`the event names no "user"; ${served}: pass "user" to choose one`);
}
