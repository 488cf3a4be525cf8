/**
 * `scripts/invoke <function> history`: the secret's versions with their dates and labels and,
 * where the function's log group is readable, each rotation's outcome and duration, told apart
 * by token (a rotation's token is the id of the version it creates).
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { textTable } from '../cli/table.ts';
import { parseLogLine } from '../logView.ts';
import { LogGroupUnreadableError, type LogLine, readLogGroup } from './functionLogs.ts';
import { describeSchedule, describeSecret, type SecretFacts } from './secretFacts.ts';

export interface VersionRecord {
  versionId: string;
  labels: string[];
  created: string | null;
  /** Secrets Manager keeps the day only. */
  lastAccessed: string | null;
}

export type RotationResult = 'succeeded' | 'failed' | 'in progress' | 'incomplete';

export interface RotationRecord {
  token: string;
  outcome: RotationResult;
  started: string;
  durationMs: number;
  /** Steps that completed, in order (a step retried by Secrets Manager appears again). */
  steps: string[];
  /** Invocations that failed; Secrets Manager retries a step whose AWSPENDING was kept. */
  failures: number;
  /** The last failure, as `step: error`. */
  lastError: string | null;
}

export interface HistoryReport {
  secret: { arn: string; name: string; rotationEnabled: boolean; schedule: string };
  lastRotated: string | null;
  nextRotation: string | null;
  versions: VersionRecord[];
  logGroup: string;
  /** Log lines read from this time on. */
  since: string;
  /** Null when the log group could not be read; `logsNote` says why. */
  rotations: RotationRecord[] | null;
  logsNote: string | null;
}

const iso = (date: Date | undefined) => (date ? date.toISOString() : null);

/** The secret's versions, newest first, deprecated ones included. */
export async function listVersions(
  secrets: SecretsManagerClient,
  secretId: string,
): Promise<VersionRecord[]> {
  const { ListSecretVersionIdsCommand } = await import('@aws-sdk/client-secrets-manager');
  const versions: VersionRecord[] = [];
  let NextToken: string | undefined;
  do {
    const page = await secrets.send(
      new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true, NextToken }),
    );
    for (const version of page.Versions ?? []) {
      versions.push({
        versionId: version.VersionId ?? '?',
        labels: version.VersionStages ?? [],
        created: iso(version.CreatedDate),
        lastAccessed: iso(version.LastAccessedDate)?.slice(0, 10) ?? null,
      });
    }
    NextToken = page.NextToken || undefined;
  } while (NextToken !== undefined);
  return versions.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
}

/** Groups the function's step results for one secret by token; newest rotation first. */
export function rotationsFromLogs(
  lines: LogLine[],
  secretArn: string,
  labels: Record<string, string[]>,
): RotationRecord[] {
  const byToken = new Map<string, { first: number; last: number; steps: string[]; failures: string[] }>();
  for (const { line, time } of lines) {
    const json = parseJson(line);
    if (json?.secret !== secretArn) continue;
    const event = parseLogLine(line, time);
    const failed = event.message === 'invocation failed';
    if ((!failed && event.message !== 'rotation step succeeded') || event.token === undefined) continue;
    const at = event.time ?? time;
    const ms = typeof json.ms === 'number' ? json.ms : 0;
    const record = byToken.get(event.token) ?? { first: at - ms, last: at, steps: [], failures: [] };
    record.first = Math.min(record.first, at - ms);
    record.last = Math.max(record.last, at);
    if (failed) record.failures.push(`${event.where ?? '?'}: ${event.error ?? event.message}`);
    else record.steps.push(event.where ?? '?');
    byToken.set(event.token, record);
  }
  return [...byToken]
    .map(([token, r]) => ({
      token,
      outcome: outcomeOf(r.steps, r.failures, labels[token]),
      started: new Date(r.first).toISOString(),
      durationMs: r.last - r.first,
      steps: r.steps,
      failures: r.failures.length,
      lastError: r.failures.at(-1) ?? null,
    }))
    .sort((a, b) => b.started.localeCompare(a.started));
}

function outcomeOf(steps: string[], failures: string[], stages: string[] | undefined): RotationResult {
  if (steps.includes('finishSecret')) return 'succeeded';
  if (stages?.includes('AWSPENDING')) return 'in progress';
  return failures.length > 0 ? 'failed' : 'incomplete';
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface HistoryOptions {
  logGroup: string;
  /** How far back to read the log group; default: from the oldest version's creation. */
  sinceMs?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;

export async function readHistory(
  clients: { secrets: SecretsManagerClient; logs: CloudWatchLogsClient },
  secretId: string,
  options: HistoryOptions,
): Promise<HistoryReport> {
  const facts: SecretFacts = await describeSecret(clients.secrets, secretId);
  const versions = await listVersions(clients.secrets, facts.arn);
  const now = (options.now ?? Date.now)();
  const oldest = versions.map((v) => Date.parse(v.created ?? '')).filter((t) => !Number.isNaN(t));
  // A minute of slack: the first step's lines can be stamped before the version's creation date.
  const since =
    options.sinceMs !== undefined ? now - options.sinceMs : Math.min(now - DAY_MS, ...oldest) - 60_000;
  const report: HistoryReport = {
    secret: {
      arn: facts.arn,
      name: facts.name,
      rotationEnabled: facts.rotationEnabled,
      schedule: describeSchedule(facts),
    },
    lastRotated: iso(facts.lastRotated),
    nextRotation: iso(facts.nextRotation),
    versions,
    logGroup: options.logGroup,
    since: new Date(since).toISOString(),
    rotations: null,
    logsNote: null,
  };
  try {
    // A quoted term matches the ARN anywhere in a line; the step results are picked out here.
    const read = await readLogGroup(clients.logs, {
      logGroup: options.logGroup,
      startTime: since,
      filterPattern: `"${facts.arn}"`,
      limit: 50_000,
    });
    report.rotations = rotationsFromLogs(read.lines, facts.arn, facts.labels);
    if (read.truncated)
      report.logsNote = `only the first ${read.lines.length} lines were read; narrow with --since`;
  } catch (error) {
    if (!(error instanceof LogGroupUnreadableError)) throw error;
    report.logsNote = `rotation outcomes unavailable: ${error.message}`;
  }
  return report;
}

export function formatHistory(report: HistoryReport): string {
  const { secret } = report;
  const lines = [
    `history of ${secret.name} (${secret.arn})`,
    `rotation:      ${secret.rotationEnabled ? 'enabled' : 'DISABLED'} (${secret.schedule})`,
    `last rotated:  ${report.lastRotated ?? 'never'}`,
    `next rotation: ${report.nextRotation ?? 'none scheduled'}`,
    '',
    'versions, newest first:',
    textTable(
      ['VERSION', 'LABELS', 'CREATED', 'LAST ACCESSED'],
      report.versions.map((v) => [
        v.versionId,
        v.labels.join(',') || '-',
        v.created ?? '-',
        v.lastAccessed ?? '-',
      ]),
    ),
    '',
  ];
  if (report.rotations === null) {
    lines.push(report.logsNote ?? 'rotation outcomes unavailable');
    return lines.join('\n');
  }
  lines.push(`rotations logged in ${report.logGroup} since ${report.since}, newest first:`);
  lines.push(
    report.rotations.length === 0
      ? '   none'
      : textTable(
          ['STARTED', 'VERSION', 'OUTCOME', 'DURATION', 'FAILED RUNS', 'LAST ERROR'],
          report.rotations.map((r) => [
            r.started,
            r.token,
            r.outcome,
            `${(r.durationMs / 1000).toFixed(1)} s`,
            r.failures,
            r.lastError,
          ]),
          { alignRight: [3, 4] },
        ),
  );
  if (report.logsNote !== null) lines.push('', report.logsNote);
  return lines.join('\n');
}
