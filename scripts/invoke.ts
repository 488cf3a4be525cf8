/**
 * Invokes a manual action of the rotation function and prints its answer as a table (or the raw
 * JSON with --json); starts an on-demand rotation and follows it (`rotate`); shows a secret's
 * versions and rotations (`history`). See `scripts/invoke --help`.
 */
// The SDK is loaded once the command line is known to be right: --help and mistakes answer at once.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ActionAnswer, ActionName, StatusAnswer } from '../function/src/actions/answers.ts';
import { command, nameList, oneOf, parseCommandLine, UsageError, usageLine } from './cli/commandLine.ts';
import { duration } from './cli/duration.ts';
import { isMainModule } from './cli/mainModule.ts';
import { formatTable } from './manual/actionAnswers.ts';
import { callFunction, FunctionCallError, type LambdaSender } from './manual/functionCall.ts';
import { formatHistory, readHistory } from './manual/history.ts';
import { describeStart, followRotation, startRotation } from './manual/rotate.ts';
import { checkRotatable, describeSecret, RotationRefusedError } from './manual/secretFacts.ts';
import { defaultLogGroup, type FunctionTarget, MANUAL_ALIAS, parseTarget } from './manual/target.ts';

export { formatTable };

export const EXIT = { ok: 0, failed: 1, usage: 2, error: 3, timeout: 4 } as const;

export const HELP = `Usage: scripts/invoke <function-name-or-arn> <action> [options]

Invokes a manual action of the MySQL password rotation function and prints its answer, starts an
on-demand rotation, or shows a secret's rotation history. Nothing it prints contains a password.

The function is invoked through its "${MANUAL_ALIAS}" alias (the module creates it; the function refuses
manual actions through the "rotation" alias Secrets Manager uses). Name another alias or version
with name:alias or a qualified ARN.

Actions of the function:
  version   version, git commit and build time of the deployed bundle
  status    rotation set-up, secret versions and labels, stale AWSPENDING, instances
  verify    logs in with the current password on every (or the named) instance
  reset     application password reset: instances still on the default provision password
            get the current one
  heal      brings every instance to the current password (from pending, previous or the
            default provision password) and removes a stale AWSPENDING
  notice    publishes a notice to the notice topic for every served secret whose next
            rotation falls in this run's window

Actions of this command (Secrets Manager and CloudWatch Logs, as the caller):
  rotate    starts a rotation now (RotateSecret). An on-demand rotation also restarts the
            schedule: with a rotation every N days, the next one is due N days after this one.
            With --wait, follows it to the end and prints each step as it completes.
  history   the secret's versions with their creation and last-access dates and labels, and each
            rotation logged in the function's log group with its outcome and duration

Options:
  --secret ID        the secret (name or ARN) among those the function serves (also --secret-id)
  --user NAME        the secret of this entry of the function's SECRETS
                     (neither: the function's only secret; rotate and history ask "status")
  --instances a,b    verify, reset, heal: only these instances (RDS identifiers)
  --dry-run          reset, heal: report what would change, change nothing
  --wait             rotate: follow the rotation until it succeeds or fails
  --timeout DURATION rotate --wait: give up waiting after this long, such as 90s or 20m (default 15m)
  --since DURATION   history: read the log group this far back, such as 30d (default: from the
                     oldest version's creation)
  --log-group GROUP  rotate, history: the function's log group (default /aws/lambda/<function>)
  --json             actions of the function and history: print JSON instead of tables
  -h, --help         this text

AWS credentials, region and endpoints come from the standard variables and files: AWS_PROFILE,
AWS_REGION, AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_SECRETS_MANAGER,
AWS_ENDPOINT_URL_CLOUDWATCH_LOGS (or AWS_ENDPOINT_URL), ...

Exit status:
  0  the action succeeded on every instance (status: nothing needs attention); the rotation was
     started (rotate) or succeeded (rotate --wait); the history was read
  1  the action answered ok=false: an instance failed or was skipped, or status needs
     attention; or the rotation failed (rotate --wait)
  2  bad command line
  3  the function raised an error or the invocation failed (throttled, access denied, function
     not found); or an AWS call failed or refused the rotation: nothing was started
  4  rotate --wait: the rotation was still running when --timeout ran out`;

// A record, so that this fails to compile when the function gains or loses an action.
const FUNCTION_ACTIONS: Record<ActionName, true> = {
  version: true,
  status: true,
  verify: true,
  reset: true,
  heal: true,
  notice: true,
};
const SCRIPT_ACTIONS = ['rotate', 'history'] as const;
type Action = ActionName | (typeof SCRIPT_ACTIONS)[number];
const ACTIONS = [...(Object.keys(FUNCTION_ACTIONS) as ActionName[]), ...SCRIPT_ACTIONS];

const COMMAND = command({
  name: 'scripts/invoke',
  usage: HELP,
  options: {
    secret: { type: 'string' },
    'secret-id': { type: 'string' },
    user: { type: 'string' },
    instances: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    since: { type: 'string' },
    'log-group': { type: 'string' },
    json: { type: 'boolean' },
  },
  maxPositionals: Number.POSITIVE_INFINITY,
});

type OptionName = keyof typeof COMMAND.options;

/** Which actions each option is for; the others refuse it rather than ignore it. */
const OPTION_ACTIONS: Partial<Record<OptionName, readonly Action[]>> = {
  secret: ['status', 'verify', 'reset', 'heal', 'rotate', 'history'],
  'secret-id': ['status', 'verify', 'reset', 'heal', 'rotate', 'history'],
  user: ['status', 'verify', 'reset', 'heal', 'rotate', 'history'],
  instances: ['verify', 'reset', 'heal'],
  'dry-run': ['reset', 'heal'],
  wait: ['rotate'],
  timeout: ['rotate'],
  since: ['history'],
  'log-group': ['rotate', 'history'],
  json: ['version', 'status', 'verify', 'reset', 'heal', 'notice', 'history'],
};

export interface InvokeArgs {
  target: FunctionTarget;
  action: Action;
  secretId?: string;
  user?: string;
  instances?: string[];
  dryRun: boolean;
  json: boolean;
  wait: boolean;
  timeoutMs: number;
  sinceMs?: number;
  logGroup: string;
}

const MAX_TIMEOUT_MS = 24 * 3_600_000;
const MAX_SINCE_MS = 3_650 * 86_400_000;

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
  const [given, name] = positionals as [string, string];
  const action = oneOf('action', name, ACTIONS);
  for (const [option, actions] of Object.entries(OPTION_ACTIONS) as [OptionName, readonly Action[]][]) {
    if (values[option] !== undefined && !actions.includes(action)) {
      throw new UsageError(`--${option} is not for ${action}; it goes with ${actions.join(', ')}`);
    }
  }
  if (values.secret !== undefined && values['secret-id'] !== undefined) {
    throw new UsageError('--secret and --secret-id are the same option: give it once');
  }
  const secretId = values.secret ?? values['secret-id'];
  if (secretId !== undefined && values.user !== undefined) {
    throw new UsageError('give --secret or --user, not both');
  }
  if (values.timeout !== undefined && values.wait !== true)
    throw new UsageError('--timeout goes with --wait');
  const target = parseTarget(given);
  const args: InvokeArgs = {
    target,
    action,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    wait: values.wait === true,
    timeoutMs: duration('--timeout', values.timeout, 15 * 60_000, MAX_TIMEOUT_MS),
    logGroup: values['log-group'] ?? defaultLogGroup(target),
  };
  if (secretId !== undefined) args.secretId = secretId;
  if (values.user !== undefined) args.user = values.user;
  const instances = nameList('--instances', values.instances, 'instance identifier');
  if (instances !== undefined) args.instances = instances;
  if (values.since !== undefined) args.sinceMs = duration('--since', values.since, 0, MAX_SINCE_MS);
  return args;
}

/** The manual event; fields not given are left out so that the function applies its defaults. */
export function buildEvent(
  args: Pick<InvokeArgs, 'secretId' | 'user' | 'instances' | 'dryRun'>,
  action: ActionName,
) {
  const event: Record<string, unknown> = { action };
  if (args.user !== undefined) event.user = args.user;
  if (args.secretId !== undefined) event.secretId = args.secretId;
  if (args.instances !== undefined) event.instances = args.instances;
  if (args.dryRun) event.dryRun = true;
  return event;
}

export interface RunOptions {
  client?: LambdaSender;
  secrets?: SecretsManagerClient;
  logs?: CloudWatchLogsClient;
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** How often rotate --wait looks again (default 2 s). */
  pollMs?: number;
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
  const owned: { destroy(): void }[] = [];
  const lambda = async () => {
    if (options.client) return options.client;
    const { LambdaClient } = await import('@aws-sdk/client-lambda');
    const client = new LambdaClient({});
    owned.push(client);
    return client;
  };
  try {
    if (args.action === 'rotate' || args.action === 'history') {
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
      const secrets = options.secrets ?? new SecretsManagerClient({});
      const logs = options.logs ?? new CloudWatchLogsClient({});
      if (!options.secrets) owned.push(secrets);
      if (!options.logs) owned.push(logs);
      const secretId = args.secretId ?? (await secretOfFunction(await lambda(), args));
      return args.action === 'rotate'
        ? await rotate({ secrets, logs }, secretId, args, options.pollMs ?? 2_000, out)
        : await history({ secrets, logs }, secretId, args, out);
    }
    const payload = await callFunction(await lambda(), args.target, buildEvent(args, args.action));
    out(args.json ? JSON.stringify(payload, null, 2) : formatTable(payload));
    return (payload as ActionAnswer | undefined)?.ok === true ? EXIT.ok : EXIT.failed;
  } catch (error) {
    if (error instanceof FunctionCallError) {
      if (args.json && error.payload !== undefined) out(JSON.stringify(error.payload, null, 2));
      err(`scripts/invoke: ${error.message}`);
      return EXIT.error;
    }
    if (error instanceof RotationRefusedError) {
      err(`scripts/invoke: ${error.message}`);
      return EXIT.error;
    }
    const { name, message } = error as Error;
    err(`scripts/invoke: ${args.action} failed: ${name}: ${message}`);
    return EXIT.error;
  } finally {
    for (const client of owned) client.destroy();
  }
}

/** The secret the function serves for --user (or its only one): asked of its status action. */
async function secretOfFunction(lambda: LambdaSender, args: InvokeArgs): Promise<string> {
  const answer = (await callFunction(
    lambda,
    args.target,
    buildEvent({ ...args, dryRun: false }, 'status'),
  )) as StatusAnswer | undefined;
  if (typeof answer?.secretId !== 'string' || answer.secretId === '') {
    throw new FunctionCallError('the function\'s "status" answer names no secret; give --secret');
  }
  return answer.secretId;
}

async function rotate(
  clients: { secrets: SecretsManagerClient; logs: CloudWatchLogsClient },
  secretId: string,
  args: InvokeArgs,
  pollMs: number,
  out: (text: string) => void,
): Promise<number> {
  const facts = await describeSecret(clients.secrets, secretId);
  checkRotatable(facts, args.target);
  const token = await startRotation(clients.secrets, facts);
  for (const line of describeStart(facts, token)) out(line);
  const logsCommand = `scripts/logs --function ${args.target.name} --token ${token}`;
  const historyCommand = `scripts/invoke ${args.target.given} history --secret ${facts.arn}`;
  if (!args.wait) {
    out(`follow it with ${logsCommand} or ${historyCommand}`);
    return EXIT.ok;
  }
  const outcome = await followRotation(clients, facts, token, {
    logGroup: args.logGroup,
    timeoutMs: args.timeoutMs,
    pollMs,
    logsCommand,
    historyCommand,
    out,
  });
  return outcome === 'succeeded' ? EXIT.ok : outcome === 'failed' ? EXIT.failed : EXIT.timeout;
}

async function history(
  clients: { secrets: SecretsManagerClient; logs: CloudWatchLogsClient },
  secretId: string,
  args: InvokeArgs,
  out: (text: string) => void,
): Promise<number> {
  const report = await readHistory(clients, secretId, {
    logGroup: args.logGroup,
    ...(args.sinceMs !== undefined ? { sinceMs: args.sinceMs } : {}),
  });
  out(args.json ? JSON.stringify(report, null, 2) : formatHistory(report));
  return EXIT.ok;
}

if (isMainModule(import.meta)) process.exitCode = await run(process.argv.slice(2));
