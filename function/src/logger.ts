import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from './config.ts';
import { buildInfo } from './version.ts';

export const REDACTED = '[REDACTED]';

/** Keys whose values are never printed, whatever they hold. */
const SENSITIVE_KEY = /pass(word)?|secret_?string|secretbinary|credential|^sql$/i;

/**
 * Every password the current invocation has seen. Redacting by value catches what redacting by
 * key cannot: a server error message that quotes the statement, an exception carrying the SQL.
 */
const sensitiveValues = new Set<string>();

export function registerSensitive(...values: (string | undefined)[]): void {
  for (const value of values) {
    if (value !== undefined && value !== '') sensitiveValues.add(value);
  }
}

export function forgetSensitiveValues(): void {
  sensitiveValues.clear();
}

/**
 * Runs one invocation's work between two wipes of the passwords it registered for redaction: a
 * warm container carries no password from one invocation into the next, whatever happened.
 */
export async function withMemoryWipe<T>(work: () => Promise<T>): Promise<T> {
  forgetSensitiveValues();
  try {
    return await work();
  } finally {
    forgetSensitiveValues();
  }
}

export function redactText(text: string): string {
  let result = text;
  for (const value of sensitiveValues) {
    if (result.includes(value)) result = result.split(value).join(REDACTED);
  }
  return result;
}

function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && SENSITIVE_KEY.test(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactText(value);
  return value;
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'mysql-password-rotation',
  // The configured LOG_LEVEL is applied once the configuration is validated (index.ts).
  logLevel: 'INFO',
  jsonReplacerFn: redactingReplacer,
  persistentKeys: { functionVersion: buildInfo.version, gitCommit: buildInfo.commit },
});

export function setLogLevel(level: LogLevel): void {
  logger.setLogLevel(level);
}
