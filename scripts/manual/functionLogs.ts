/**
 * Reads the rotation function's log lines from CloudWatch Logs (FilterLogEvents), for
 * `scripts/logs --function`, `scripts/invoke rotate --wait` and `scripts/invoke history`.
 */
import type { CloudWatchLogsClient, FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';

export interface LogLine {
  /** The CloudWatch event's timestamp, in ms since the epoch. */
  time: number;
  line: string;
  /** Unique within the log group: lets a poller skip the lines it has seen. */
  id: string;
}

export interface LogQuery {
  logGroup: string;
  startTime: number;
  endTime?: number;
  /** A CloudWatch filter pattern: a quoted term such as a token, or a JSON pattern. */
  filterPattern?: string;
  /** At most this many lines (the oldest first); default 10000. */
  limit?: number;
}

export interface LogRead {
  lines: LogLine[];
  /** More lines matched than `limit`. */
  truncated: boolean;
}

/** The log group cannot be read: it does not exist, or the caller may not read it. */
export class LogGroupUnreadableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LogGroupUnreadableError';
  }
}

/** Every matching line, oldest first, following NextToken up to the limit. */
export async function readLogGroup(logs: CloudWatchLogsClient, query: LogQuery): Promise<LogRead> {
  const { FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const limit = query.limit ?? 10_000;
  const lines: LogLine[] = [];
  let nextToken: string | undefined;
  do {
    let page: FilterLogEventsCommandOutput;
    try {
      page = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: query.logGroup,
          startTime: query.startTime,
          endTime: query.endTime,
          filterPattern: query.filterPattern,
          nextToken,
        }),
      );
    } catch (error) {
      throw unreadable(query.logGroup, error);
    }
    for (const event of page.events ?? []) {
      if (lines.length === limit) return { lines: sorted(lines), truncated: true };
      lines.push({
        time: event.timestamp ?? 0,
        line: (event.message ?? '').trimEnd(),
        id: `${event.logStreamName ?? ''}/${event.eventId ?? `${event.timestamp}:${lines.length}`}`,
      });
    }
    nextToken = page.nextToken || undefined;
  } while (nextToken !== undefined);
  return { lines: sorted(lines), truncated: false };
}

function sorted(lines: LogLine[]): LogLine[] {
  return lines.sort((a, b) => a.time - b.time);
}

/** Says what is wrong with reading the log group and what to do about it. */
function unreadable(logGroup: string, error: unknown): Error {
  const { name, message } = error as Error;
  if (name === 'ResourceNotFoundException') {
    return new LogGroupUnreadableError(
      `log group ${logGroup} does not exist: the function has not logged yet in this region, or its logs go elsewhere (give --log-group)`,
      { cause: error },
    );
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') {
    return new LogGroupUnreadableError(
      `may not read log group ${logGroup} (${name}): it takes logs:FilterLogEvents on it`,
      { cause: error },
    );
  }
  return new LogGroupUnreadableError(`reading log group ${logGroup} failed: ${name}: ${message}`, {
    cause: error,
  });
}
