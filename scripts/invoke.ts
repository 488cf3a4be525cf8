/**
 * Invokes a manual action of the rotation function and prints its answer as a table
 * (or the raw JSON with --json). Exits non-zero when the action failed on any instance, when the
 * function raised an error, or when the invocation itself failed. See `scripts/invoke --help`.
 */
// The SDK is loaded once the command line is known to be right: --help and mistakes answer at once.
import type { InvokeCommand, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type {
  ActionAnswer,
  ActionName,
  HealAnswer,
  StatusAnswer,
  VersionAnswer,
  WorkAnswer,
} from '../function/src/actions/answers.ts';
import { command, nameList, oneOf, parseCommandLine, UsageError, usageLine } from './cli/commandLine.ts';
import { isMainModule } from './cli/mainModule.ts';
import { textTable } from './cli/table.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, error: 3 } as const;

export const HELP = `Usage: scripts/invoke <function-name-or-arn> <action> [options]

Invokes a manual action of the MySQL password rotation function and prints its answer.
Answers never contain a password.

Actions:
  version   version, git commit and build time of the deployed bundle
  status    rotation set-up, secret versions and labels, stale AWSPENDING, instances
  verify    logs in with the current password on every (or the named) instance
  reset     application password reset: instances still on the default provision password
            get the current one
  heal      brings every instance to the current password (from pending, previous or the
            default provision password) and removes a stale AWSPENDING
  notice    publishes a notice to the notice topic for every served secret whose next
            rotation falls in this run's window

Options:
  --instances a,b    only these instances (verify, reset, heal); RDS identifiers
  --secret-id ID     another secret than the function's SECRET_ID
  --dry-run          reset and heal: report what would change, change nothing
  --json             print the function's JSON answer instead of a table
  -h, --help         this text

AWS credentials, region and endpoint come from the standard variables and files:
AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL), ...

Exit status:
  0  the action succeeded on every instance (status: nothing needs attention)
  1  the action answered ok=false: an instance failed or was skipped, or status needs attention
  2  bad command line
  3  the function raised an error (bad event, configuration, AWS) or the invocation failed
     (throttled, access denied, function not found)`;

// A record, so that this fails to compile when the function gains or loses an action.
const ACTION_NAMES: Record<ActionName, true> = {
  version: true,
  status: true,
  verify: true,
  reset: true,
  heal: true,
  notice: true,
};
const ACTIONS = Object.keys(ACTION_NAMES) as ActionName[];

const COMMAND = command({
  name: 'scripts/invoke',
  usage: HELP,
  options: {
    instances: { type: 'string', multiple: true },
    'secret-id': { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  maxPositionals: Number.POSITIVE_INFINITY,
});

export interface InvokeArgs {
  target: string;
  action: ActionName;
  instances?: string[];
  secretId?: string;
  dryRun: boolean;
  json: boolean;
}

/** Parses the command line; `help` when --help was asked for. Throws UsageError. */
export function parseArgs(argv: string[]): InvokeArgs | 'help' {
  const parsed = parseCommandLine(COMMAND, argv);
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  if (positionals.length !== 2) {
    throw new UsageError(
      `expected <function-name-or-arn> <action>, got ${positionals.length} argument(s); see --help`,
    );
  }
  const [target, action] = positionals as [string, string];
  const args: InvokeArgs = {
    target,
    action: oneOf('action', action, ACTIONS),
    dryRun: values['dry-run'] === true,
    json: values.json === true,
  };
  const instances = nameList('--instances', values.instances, 'instance identifier');
  if (instances !== undefined) args.instances = instances;
  if (values['secret-id'] !== undefined) args.secretId = values['secret-id'];
  return args;
}

/** The manual event; fields not given are left out so that the function applies its defaults. */
export function buildEvent(args: InvokeArgs): Record<string, unknown> {
  const event: Record<string, unknown> = { action: args.action };
  if (args.secretId !== undefined) event.secretId = args.secretId;
  if (args.instances !== undefined) event.instances = args.instances;
  if (args.dryRun) event.dryRun = true;
  return event;
}

/** A readable rendering of any action's answer; unknown shapes are printed as JSON. */
export function formatTable(answer: unknown): string {
  const action = (answer as { action?: unknown } | null)?.action;
  switch (action) {
    case 'version':
      return formatVersion(answer as VersionAnswer);
    case 'status':
      return formatStatus(answer as StatusAnswer);
    case 'verify':
    case 'reset':
    case 'heal':
      return formatWork(answer as WorkAnswer);
    default:
      return JSON.stringify(answer, null, 2);
  }
}

function formatVersion(answer: VersionAnswer): string {
  return textTable(['VERSION', 'COMMIT', 'BUILT'], [[answer.version, answer.commit, answer.buildTime]]);
}

function formatStatus(answer: StatusAnswer): string {
  const { rotation } = answer;
  const rules = [
    rotation.rules.automaticallyAfterDays !== null
      ? `every ${rotation.rules.automaticallyAfterDays} days`
      : '',
    rotation.rules.scheduleExpression ?? '',
    rotation.rules.duration !== null ? `window ${rotation.rules.duration}` : '',
  ].filter((part) => part !== '');
  const pending = answer.pending;
  const lines = [
    `status of ${answer.name}: ${answer.ok ? 'ok' : 'NEEDS ATTENTION'}`,
    `secret:        ${answer.secretId}`,
    `rotation:      ${rotation.enabled ? 'enabled' : 'DISABLED'}${rules.length > 0 ? ` (${rules.join(', ')})` : ''}`,
    `last rotated:  ${rotation.lastRotated ?? 'never'}`,
    `next rotation: ${rotation.nextRotation ?? 'none scheduled'}`,
    '',
    textTable(
      ['VERSION', 'LABELS', 'CREATED'],
      answer.versions.map((v) => [v.versionId, v.stages.join(',') || '-', v.created ?? 'unknown']),
    ),
    '',
    pending === null
      ? 'AWSPENDING:    none (no rotation in progress)'
      : `AWSPENDING:    version ${pending.versionId} is ${pending.stale ? 'STALE' : 'in progress'}: ${pending.rule}`,
    '',
    answer.instances.length === 0
      ? 'instances:     none discovered'
      : textTable(
          ['INSTANCE', 'ENDPOINT', 'RDS STATUS', 'ROTATION', 'NOTE'],
          answer.instances.map((i) => [i.instance, i.endpoint ?? '-', i.rdsStatus, i.outcome, i.note]),
        ),
  ];
  if (answer.attention.length > 0) {
    lines.push('', 'needs attention:', ...answer.attention.map((item) => `  - ${item}`));
  }
  return lines.join('\n');
}

function formatWork(answer: WorkAnswer): string {
  const lines = [
    `${answer.action}${answer.dryRun ? ' (dry run)' : ''} of ${answer.secretId}: ${answer.ok ? 'ok' : 'FAILED'}`,
    answer.message,
  ];
  if (answer.instances.length > 0) {
    lines.push(
      '',
      textTable(
        ['INSTANCE', 'ENDPOINT', 'OUTCOME', 'FROM', 'ATTEMPTS', 'MS', 'ERROR'],
        answer.instances.map((i) => [i.instance, i.endpoint, i.outcome, i.from, i.attempts, i.ms, i.error]),
      ),
    );
  }
  if (answer.notIncluded.length > 0) {
    lines.push(
      '',
      'not included:',
      ...answer.notIncluded.map((i) => `  - ${i.instance} (${i.rdsStatus}): ${i.reason}`),
    );
  }
  const pending = (answer as HealAnswer).pending;
  if (answer.action === 'heal' && pending) {
    lines.push('', `AWSPENDING on version ${pending.versionId}: ${pending.label} (${pending.labelReason})`);
  }
  return lines.join('\n');
}

export interface RunOptions {
  client?: { send(command: InvokeCommand): Promise<InvokeCommandOutput> };
  out?: (text: string) => void;
  err?: (text: string) => void;
}

/** Runs the command line and returns the exit status; never throws. */
export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  const out = options.out ?? ((text: string) => process.stdout.write(`${text}\n`));
  const err = options.err ?? ((text: string) => process.stderr.write(`${text}\n`));
  let args: InvokeArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(usageLine(COMMAND.name, error));
    return EXIT.usage;
  }
  if (args === 'help') {
    out(HELP);
    return EXIT.ok;
  }
  const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
  const client = options.client ?? new LambdaClient({});
  let response: InvokeCommandOutput;
  try {
    response = await client.send(
      new InvokeCommand({
        FunctionName: args.target,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(buildEvent(args))),
      }),
    );
  } catch (error) {
    const { name, message } = error as Error;
    err(`scripts/invoke: invoking ${args.target} failed: ${name}: ${message}`);
    return EXIT.error;
  }
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  let payload: unknown;
  try {
    payload = text === '' ? undefined : JSON.parse(text);
  } catch {
    err(`scripts/invoke: the function answered something that is not JSON: ${text.slice(0, 200)}`);
    return EXIT.error;
  }
  if (response.FunctionError !== undefined) {
    const { errorType, errorMessage } = (payload ?? {}) as { errorType?: string; errorMessage?: string };
    if (args.json) out(JSON.stringify(payload, null, 2));
    err(
      `scripts/invoke: the function failed (${response.FunctionError}): ${errorType ?? 'Error'}: ${errorMessage ?? text}`,
    );
    return EXIT.error;
  }
  out(args.json ? JSON.stringify(payload, null, 2) : formatTable(payload));
  return (payload as ActionAnswer | undefined)?.ok === true ? EXIT.ok : EXIT.failed;
}

if (isMainModule(import.meta)) process.exitCode = await run(process.argv.slice(2));
