/**
 * Shows the rotation function's log lines readably (scripts/logView.ts), from a file, standard
 * input or the function's CloudWatch log group. See `scripts/logs --help`.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
// The SDK is loaded once the command line is known to be right: --help and mistakes answer at once.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { command, oneOf, parseCommandLine, UsageError, usageLine } from './cli/commandLine.ts';
import { duration } from './cli/duration.ts';
import { isMainModule } from './cli/mainModule.ts';
import { LEVELS, type Level, LogView, parseLogLine, wantsColour } from './logView.ts';
import { LogGroupUnreadableError, readLogGroup } from './manual/functionLogs.ts';
import { defaultLogGroup, parseTarget } from './manual/target.ts';

export const HELP = `Usage: scripts/logs [FILE | -] [--token T] [--level LEVEL]
       scripts/logs --function NAME [--since 1h] [--token T] [--level LEVEL] [--log-group GROUP]

Shows the rotation function's JSON log lines one event a line: time (UTC), level, step or action,
instance, message and its key figures (ms, attempts, outcome, counts), errors last. Colour only on
a terminal, and never when NO_COLOR is set. Log lines never contain a password.

Where the lines come from:
  FILE              a file of log lines: as the function prints them, as CloudWatch stores them
                    (Lambda's JSON or text format), or as \`aws logs tail\` prints them
  -                 standard input (also when no FILE is given and the input is not a terminal)
  --function NAME   the function's log group in CloudWatch Logs (name or ARN; an alias is ignored)

Options:
  --since DURATION  with --function: how far back, such as 30m, 2h or 7d (default 1h)
  --log-group GROUP with --function: another log group than /aws/lambda/NAME
  --token T         only the lines of the rotation with this token (its version id)
  --level LEVEL     only lines at this level or above: debug, info, warn, error
  -h, --help        this text

AWS credentials, region and endpoint come from the standard variables and files:
AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS (or AWS_ENDPOINT_URL), ...

Exit status: 0 shown, 1 the file or the log group could not be read, 2 bad command line.`;

const COMMAND = command({
  name: 'scripts/logs',
  usage: HELP,
  options: {
    function: { type: 'string' },
    since: { type: 'string' },
    'log-group': { type: 'string' },
    token: { type: 'string' },
    level: { type: 'string' },
  },
  maxPositionals: 1,
});

const MAX_SINCE_MS = 366 * 86_400_000;

export type LogsArgs =
  | { source: 'file'; file: string | '-'; token?: string; level?: Level }
  | { source: 'cloudwatch'; logGroup: string; sinceMs: number; token?: string; level?: Level };

/** Parses the command line; `help` for --help. Throws UsageError. */
export function parseArgs(argv: string[], stdinIsTerminal: boolean): LogsArgs | 'help' {
  const parsed = parseCommandLine(COMMAND, argv);
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  const filters = {
    ...(values.token !== undefined ? { token: values.token } : {}),
    ...(values.level !== undefined
      ? { level: oneOf('level', values.level.toUpperCase(), LEVELS) as Level }
      : {}),
  };
  if (values.function !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(`give a FILE or --function, not both (got "${positionals[0]}" and --function)`);
    }
    return {
      source: 'cloudwatch',
      logGroup: values['log-group'] ?? defaultLogGroup(parseTarget(values.function)),
      sinceMs: duration('--since', values.since, 3_600_000, MAX_SINCE_MS),
      ...filters,
    };
  }
  for (const flag of ['since', 'log-group'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --function NAME`);
  }
  const file = positionals[0] ?? '-';
  if (positionals.length === 0 && stdinIsTerminal) {
    throw new UsageError('give a FILE, - for standard input, or --function NAME');
  }
  return { source: 'file', file, ...filters };
}

export interface LogsRunOptions {
  logs?: CloudWatchLogsClient;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  out?: (text: string) => void;
  err?: (text: string) => void;
  colour?: boolean;
  now?: () => number;
}

/** Runs the command line and returns the exit status; never throws for a bad input. */
export async function run(argv: string[], options: LogsRunOptions = {}): Promise<number> {
  const out = options.out ?? ((text: string) => process.stdout.write(`${text}\n`));
  const err = options.err ?? ((text: string) => process.stderr.write(`${text}\n`));
  const stdin = options.stdin ?? process.stdin;
  let args: LogsArgs | 'help';
  try {
    args = parseArgs(argv, stdin.isTTY === true);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(usageLine(COMMAND.name, error));
    return 2;
  }
  if (args === 'help') {
    out(HELP);
    return 0;
  }
  const view = new LogView({ colour: options.colour ?? wantsColour(process.stdout), dates: true });
  const show = (line: string, time?: number) => {
    const event = parseLogLine(line, time);
    if (args.token !== undefined && event.token !== args.token) return;
    if (args.level !== undefined) {
      const rank = LEVELS.indexOf(event.level as Level);
      if (rank < LEVELS.indexOf(args.level)) return;
    }
    out(view.formatEvent(event));
  };
  if (args.source === 'file') {
    try {
      const input =
        args.file === '-'
          ? stdin
          : createReadStream(resolve(process.env.LOGS_CALLER_DIR ?? process.cwd(), args.file));
      for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
        if (line.trim() !== '') show(line);
      }
    } catch (error) {
      err(`scripts/logs: cannot read ${args.file}: ${(error as Error).message}`);
      return 1;
    }
    return 0;
  }
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
  const logs = options.logs ?? new CloudWatchLogsClient({});
  try {
    const read = await readLogGroup(logs, {
      logGroup: args.logGroup,
      startTime: (options.now ?? Date.now)() - args.sinceMs,
      // A quoted term: CloudWatch matches it in the raw line, so the token field needs no JSON pattern.
      ...(args.token !== undefined ? { filterPattern: `"${args.token}"` } : {}),
    });
    for (const { line, time } of read.lines) show(line, time);
    if (read.lines.length === 0) err(`scripts/logs: no lines in ${args.logGroup} for that time and filter`);
    if (read.truncated) {
      err(`scripts/logs: showing the first ${read.lines.length} lines only; narrow with --since or --token`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof LogGroupUnreadableError)) throw error;
    err(`scripts/logs: ${error.message}`);
    return 1;
  } finally {
    if (options.logs === undefined) logs.destroy();
  }
}

if (isMainModule(import.meta)) process.exitCode = await run(process.argv.slice(2));
