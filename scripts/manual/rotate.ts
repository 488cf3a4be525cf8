/**
 * `scripts/invoke <function> rotate [--wait]`: an on-demand rotation through RotateSecret, as the
 * application team would start it, and optionally followed to its end. The secret's labels say
 * how it ended (AWSCURRENT moved to the new version, or AWSPENDING removed from it); the
 * function's log lines for the rotation's token say which step did what, as each one completes.
 */
import { randomUUID } from 'node:crypto';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describeDuration } from '../cli/duration.ts';
import { type LogEvent, parseLogLine } from '../logView.ts';
import { LogGroupUnreadableError, readLogGroup } from './functionLogs.ts';
import { describeSchedule, describeSecret, RotationRefusedError, type SecretFacts } from './secretFacts.ts';

export type RotationOutcome = 'succeeded' | 'failed' | 'timeout';

/** Starts a rotation with a token of our own, so that its version and log lines can be followed. */
export async function startRotation(secrets: SecretsManagerClient, facts: SecretFacts): Promise<string> {
  const { RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const token = randomUUID();
  try {
    // No rules and no function: the rotation runs with the secret's own configuration.
    await secrets.send(new RotateSecretCommand({ SecretId: facts.arn, ClientRequestToken: token }));
  } catch (error) {
    const { name, message } = error as Error;
    throw new RotationRefusedError(`RotateSecret refused: ${name}: ${message}`, { cause: error });
  }
  return token;
}

/** The line printed once RotateSecret accepted the rotation. */
export function describeStart(facts: SecretFacts, token: string): string[] {
  return [
    `on-demand rotation of ${facts.name} started: new version ${token} carries AWSPENDING`,
    `Secrets Manager now invokes the rotation function for the four steps; the schedule (${describeSchedule(facts)}) restarts from this rotation`,
  ];
}

export interface FollowOptions {
  logGroup: string;
  timeoutMs: number;
  pollMs: number;
  /** The command that shows this rotation's log lines, for the closing advice. */
  logsCommand: string;
  historyCommand: string;
  out: (text: string) => void;
  now?: () => number;
}

/** After the labels settle, how long to wait for the log lines that explain them to arrive. */
const LOG_GRACE_MS = 20_000;
/** Lines can reach CloudWatch late, stamped earlier than the latest one seen: read back this far. */
const LOG_OVERLAP_MS = 30_000;

/**
 * Follows the rotation `token` until its version is AWSCURRENT (succeeded), loses AWSPENDING
 * without becoming current (failed: the function rolled back), or the timeout passes.
 */
export async function followRotation(
  clients: { secrets: SecretsManagerClient; logs: CloudWatchLogsClient },
  facts: SecretFacts,
  token: string,
  options: FollowOptions,
): Promise<RotationOutcome> {
  const now = options.now ?? Date.now;
  const started = now();
  const { out } = options;
  out(
    `following it for up to ${describeDuration(options.timeoutMs)}: the secret's labels, and log group ${options.logGroup}`,
  );
  const seen = new Set<string>();
  let readFrom = started - LOG_OVERLAP_MS;
  let logsReadable = true;
  let finished = false;
  let lastFailure: LogEvent | undefined;
  let settledAt: number | undefined;
  for (;;) {
    if (logsReadable) {
      try {
        const read = await readLogGroup(clients.logs, {
          logGroup: options.logGroup,
          startTime: readFrom,
          filterPattern: `"${token}"`,
        });
        for (const { id, line, time } of read.lines) {
          if (seen.has(id)) continue;
          seen.add(id);
          readFrom = Math.max(readFrom, time - LOG_OVERLAP_MS);
          const event = parseLogLine(line, time);
          if (event.token !== token) continue;
          if (event.message === 'rotation step succeeded') {
            out(stepLine(event, started, 'ok'));
            if (event.where === 'finishSecret') finished = true;
          } else if (event.message === 'invocation failed') {
            out(stepLine(event, started, 'FAILED'));
            lastFailure = event;
          }
        }
      } catch (error) {
        if (!(error instanceof LogGroupUnreadableError)) throw error;
        logsReadable = false;
        out(`   (no step lines: ${error.message}; following the labels alone)`);
      }
    }
    const stages = (await describeSecret(clients.secrets, facts.arn)).labels[token];
    const state = stages?.includes('AWSCURRENT')
      ? 'succeeded'
      : stages?.includes('AWSPENDING')
        ? 'running'
        : 'failed';
    if (state !== 'running') {
      settledAt ??= now();
      const explained = !logsReadable || (state === 'succeeded' ? finished : lastFailure !== undefined);
      if (explained || now() - settledAt >= LOG_GRACE_MS) {
        out(closing(state, token, now() - started, lastFailure, options));
        return state;
      }
    } else if (now() - started >= options.timeoutMs) {
      out(
        `still running after ${describeDuration(options.timeoutMs)}: version ${token} still carries AWSPENDING. ` +
          `Secrets Manager goes on without this command; see it with ${options.historyCommand} or ${options.logsCommand}`,
      );
      return 'timeout';
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

function stepLine(event: LogEvent, started: number, result: 'ok' | 'FAILED'): string {
  const elapsed = Math.max(0, ((event.time ?? started) - started) / 1000);
  const ms = event.figures.find((figure) => / ms$/.test(figure)) ?? '';
  const detail =
    result === 'ok' ? event.figures.filter((figure) => figure !== ms).join('  ') : (event.error ?? '');
  const at = `+${elapsed.toFixed(1)}s`.padStart(8);
  return `${at}  ${(event.where ?? '?').padEnd(12)}  ${result.padEnd(6)}  ${ms.padStart(8)}  ${detail}`.trimEnd();
}

function closing(
  state: 'succeeded' | 'failed',
  token: string,
  ms: number,
  failure: LogEvent | undefined,
  options: FollowOptions,
): string {
  const seconds = `${(ms / 1000).toFixed(1)} s`;
  if (state === 'succeeded') return `rotation succeeded after ${seconds}: version ${token} is AWSCURRENT`;
  const why = failure
    ? `at ${failure.where ?? 'an unknown step'}: ${failure.error ?? failure.message}`
    : `version ${token} lost AWSPENDING without becoming AWSCURRENT`;
  return [
    `rotation FAILED after ${seconds} ${why}`,
    `the secret keeps its current password; the step's lines: ${options.logsCommand}; what to do: docs/troubleshooting.md`,
  ].join('\n');
}
