import { ConfigError } from './errors.ts';
import { quoteIdentifier } from './text.ts';

/** Reading one environment variable: the rules every variable of docs/configuration.md shares. */

export type Env = Record<string, string | undefined>;

/** An empty string counts as unset, so Terraform can pass "" for "not configured". */
export function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(name, `must be "true" or "false", got "${raw}"`);
}

/** One of `choices`, exactly as written there. */
export function oneOf<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  return checkChoice(name, raw, choices);
}

export function checkChoice<T extends string>(name: string, raw: unknown, choices: readonly T[]): T {
  if (typeof raw === 'string' && choices.includes(raw as T)) return raw as T;
  const got = typeof raw === 'string' ? `"${raw.slice(0, 40)}"` : JSON.stringify(raw);
  throw new ConfigError(name, `must be one of ${choices.map((c) => `"${c}"`).join(', ')}, got ${got}`);
}

/** A Secrets Manager secret's full ARN (the name may not contain ":"). */
export const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** The ARN of a secret, or undefined when unset. */
export function secretArn(env: Env, name: string): string | undefined {
  return arn(env, name, SECRET_ARN, 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:name-AbCdEf');
}

/** The ARN of an SNS topic, or undefined when unset. */
export function topicArn(env: Env, name: string): string | undefined {
  return arn(env, name, SNS_TOPIC_ARN, 'arn:aws:sns:eu-west-1:111122223333:rotation-notices');
}

function arn(env: Env, name: string, pattern: RegExp, example: string): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined || pattern.test(raw)) return raw;
  throw new ConfigError(name, `must be an ARN such as ${example}, got ${quoteIdentifier(raw)}`);
}
