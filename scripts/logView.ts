/**
 * A readable view of the rotation function's log lines: one line per event with its time, level,
 * step or action, instance, message and key figures, errors last and highlighted. It reads the
 * JSON lines the function prints, the same lines as CloudWatch Logs stores them (Lambda's JSON
 * log format, or its text format's tab-separated prefix), and Lambda's own START/REPORT lines.
 * Anything else is shown as it came. Used by `scripts/logs` and the demo's `--debug`.
 */

export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export const LEVELS: readonly Level[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface LogEvent {
  /** Milliseconds since the epoch, when the line or its CloudWatch event says. */
  time: number | undefined;
  /** The function's level, `LAMBDA` for Lambda's own lines, undefined for plain text. */
  level: Level | 'LAMBDA' | undefined;
  /** The rotation step or the manual action. */
  where: string | undefined;
  instance: string | undefined;
  message: string;
  figures: string[];
  error: string | undefined;
  token: string | undefined;
  requestId: string | undefined;
}

/** Fields every line carries, or that another column already shows. */
const HIDDEN = new Set([
  'level',
  'message',
  'timestamp',
  'time',
  'service',
  'sampling_rate',
  'functionVersion',
  'gitCommit',
  'requestId',
  'secret',
  'token',
  'step',
  'action',
  'instance',
  'endpoint',
  'phase',
  'acceptedFields',
  'statement',
  'error',
  'errorName',
  'xray_trace_id',
  // The message names the call: "calling DescribeSecret".
  'api',
]);

/** Figures shown first, in this order: what a reader looks for in a line. */
const FIRST = ['outcome', 'from', 'to', 'attempts', 'attempt', 'ms', 'retryInMs', 'count', 'instanceCount'];

/** Fields holding a version id: shortened, as the full id is in the raw line. */
const VERSION_FIELDS = new Set(['versionId', 'moveTo', 'removeFrom', 'newCurrent', 'newPrevious']);

/** Parses one line; `eventTime` is the CloudWatch event's timestamp, for lines that carry none. */
export function parseLogLine(line: string, eventTime?: number): LogEvent {
  const text = line.trimEnd();
  const tabbed = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\t(\S+)\t([A-Z]+)\t([\s\S]*)$/.exec(text);
  if (tabbed) {
    // Lambda's text log format puts time, request id and level before what the code printed.
    const [, time, requestId, level, rest] = tabbed as unknown as [string, string, string, string, string];
    const inner = parseLogLine(rest, Date.parse(time));
    return { ...inner, level: inner.level ?? asLevel(level), requestId: inner.requestId ?? requestId };
  }
  const json = parseObject(text);
  if (json !== undefined) {
    if (typeof json.type === 'string' && json.type.startsWith('platform.'))
      return platformEvent(json, eventTime);
    return functionEvent(json, eventTime);
  }
  const brace = text.indexOf('{');
  const prefixed = brace > 0 ? parseObject(text.slice(brace)) : undefined;
  if (prefixed !== undefined) {
    // `aws logs tail` and similar tools print the event's time and stream before the line.
    const prefixTime = Date.parse(text.slice(0, brace).trim().split(/\s+/)[0] ?? '');
    return parseLogLine(text.slice(brace), Number.isNaN(prefixTime) ? eventTime : prefixTime);
  }
  const report = /^(START|END|REPORT) RequestId: (\S+)(.*)$/.exec(text);
  if (report)
    return platformTextEvent(report[1] as string, report[2] as string, report[3] as string, eventTime);
  return plain(text, eventTime);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function asLevel(value: unknown): Level | undefined {
  const upper = typeof value === 'string' ? value.toUpperCase() : '';
  if (upper === 'WARNING') return 'WARN';
  return (LEVELS as readonly string[]).includes(upper) ? (upper as Level) : undefined;
}

function timeOf(value: unknown, fallback: number | undefined): number | undefined {
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? fallback : parsed;
}

function plain(message: string, time: number | undefined): LogEvent {
  return {
    time,
    level: undefined,
    where: undefined,
    instance: undefined,
    message,
    figures: [],
    error: undefined,
    token: undefined,
    requestId: undefined,
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function functionEvent(json: Record<string, unknown>, eventTime: number | undefined): LogEvent {
  const figures: string[] = [];
  const keys = [
    ...FIRST.filter((key) => key in json),
    ...Object.keys(json).filter((key) => !FIRST.includes(key)),
  ];
  const message = messageOf(json.message);
  for (const key of keys) {
    if (HIDDEN.has(key)) continue;
    const figure = describeField(key, json[key]);
    if (figure !== undefined) figures.push(figure);
  }
  const errorText = text(json.error);
  const errorName = text(json.errorName);
  return {
    time: timeOf(json.timestamp, eventTime),
    level: asLevel(json.level),
    where: text(json.step) ?? text(json.action),
    instance: text(json.instance),
    message,
    figures,
    error: errorText && errorName ? `${errorName}: ${errorText}` : errorText,
    token: text(json.token),
    requestId: text(json.requestId),
  };
}

/** Lambda's JSON format wraps an uncaught error as the message object. */
function messageOf(message: unknown): string {
  if (typeof message === 'string') return message;
  const error = message as { errorType?: unknown; errorMessage?: unknown } | null;
  if (error && typeof error.errorMessage === 'string') {
    return `${typeof error.errorType === 'string' ? `${error.errorType}: ` : ''}${error.errorMessage}`;
  }
  return JSON.stringify(message) ?? '';
}

function describeField(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  // A SECRET_ID deployment serves one secret as the entry "default": naming it tells nothing.
  if (key === 'user' && value === 'default') return undefined;
  if (key === 'ms' && typeof value === 'number') return `${value} ms`;
  if (key === 'retryInMs' && typeof value === 'number') return `retry in ${value} ms`;
  if (key === 'attempts' && typeof value === 'number') return `${value} attempt${value === 1 ? '' : 's'}`;
  if (key === 'dryRun') return value === true ? 'dry run' : undefined;
  if (key === 'summary' && typeof value === 'string') return `"${value}"`;
  if (VERSION_FIELDS.has(key) && typeof value === 'string') return `${key}=${value.slice(0, 8)}`;
  if (key === 'instances' && Array.isArray(value)) return describeInstances(value);
  if (Array.isArray(value)) {
    const items = value.filter((item) => typeof item !== 'object' || item === null);
    return items.length === value.length ? `${key}=[${items.join(',')}]` : `${key}: ${value.length}`;
  }
  if (typeof value === 'object') return `${key}=${JSON.stringify(value)}`;
  return `${key}=${String(value)}`;
}

/** Instance reports as counts per outcome; plain names as a list. */
function describeInstances(value: unknown[]): string {
  if (value.length === 0) return 'no instances';
  if (value.every((item) => typeof item === 'string')) return `instances=[${value.join(',')}]`;
  const counts = new Map<string, number>();
  for (const item of value) {
    const outcome = String((item as { outcome?: unknown } | null)?.outcome ?? '?');
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  const parts = [...counts].map(([outcome, count]) => `${count} ${outcome}`);
  return `${value.length} instance${value.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

function platformEvent(json: Record<string, unknown>, eventTime: number | undefined): LogEvent {
  const record = (json.record ?? {}) as Record<string, unknown>;
  const metrics = (record.metrics ?? {}) as Record<string, unknown>;
  const figures: string[] = [];
  const figure = (label: string, value: unknown, unit: string) => {
    if (typeof value === 'number') figures.push(`${label}${Math.round(value)} ${unit}`);
  };
  figure('', metrics.durationMs, 'ms');
  figure('max memory ', metrics.maxMemoryUsedMB, 'MB');
  figure('init ', metrics.initDurationMs, 'ms');
  if (typeof record.version === 'string') figures.push(`version ${record.version}`);
  if (typeof record.status === 'string' && record.status !== 'success')
    figures.push(`status ${record.status}`);
  return {
    ...plain((json.type as string).slice('platform.'.length), timeOf(json.time, eventTime)),
    level: 'LAMBDA',
    figures,
    error: text(record.errorType),
    requestId: text(record.requestId),
  };
}

function platformTextEvent(
  kind: string,
  requestId: string,
  rest: string,
  time: number | undefined,
): LogEvent {
  const figures: string[] = [];
  const number = (label: string) => new RegExp(`${label}: ([\\d.]+)`).exec(rest)?.[1];
  const duration = number('\\tDuration');
  if (duration) figures.push(`${Math.round(Number(duration))} ms`);
  const memory = number('Max Memory Used');
  if (memory) figures.push(`max memory ${memory} MB`);
  const init = number('Init Duration');
  if (init) figures.push(`init ${Math.round(Number(init))} ms`);
  const version = /Version: (\S+)/.exec(rest)?.[1];
  if (version) figures.push(`version ${version}`);
  return { ...plain(kind.toLowerCase(), time), level: 'LAMBDA', figures, requestId };
}

/** Whether a stream gets colour: only a terminal, and never when NO_COLOR is set (no-color.org). */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '';
}

const STYLES = { dim: [2, 22], bold: [1, 22], red: [31, 39], yellow: [33, 39], cyan: [36, 39] } as const;
type Style = keyof typeof STYLES;

export interface LogViewOptions {
  colour: boolean;
  /** A line with the date (UTC) before the first event and whenever the day changes. */
  dates?: boolean;
}

/**
 * Formats events one after the other. It remembers the widest instance name so far, so that the
 * messages line up, and the day of the last event, for the date lines.
 */
export class LogView {
  private instanceWidth = 0;
  private day: string | undefined;

  constructor(private readonly options: LogViewOptions) {}

  /** One formatted line per log line, preceded by a date line when asked for and the day changed. */
  format(line: string, eventTime?: number): string {
    return this.formatEvent(parseLogLine(line, eventTime));
  }

  formatEvent(event: LogEvent): string {
    const paint = (style: Style, value: string) =>
      this.options.colour && value !== ''
        ? `\x1b[${STYLES[style][0]}m${value}\x1b[${STYLES[style][1]}m`
        : value;
    const iso = event.time === undefined ? undefined : new Date(event.time).toISOString();
    const dateLine = this.dateLine(iso);
    if (event.level === undefined && event.where === undefined) {
      return `${dateLine}${iso ? `${paint('dim', iso.slice(11, 23))}  ` : ''}${paint('dim', event.message)}`;
    }
    this.instanceWidth = Math.max(this.instanceWidth, event.instance?.length ?? 0);
    const levelStyle: Style | undefined =
      event.level === 'ERROR'
        ? 'red'
        : event.level === 'WARN'
          ? 'yellow'
          : event.level === 'INFO'
            ? undefined
            : 'dim';
    const styled = (value: string) => (levelStyle ? paint(levelStyle, value) : value);
    const columns = [
      paint('dim', iso ? iso.slice(11, 23) : ' '.repeat(12)),
      styled((event.level ?? '').padEnd(6)),
      paint('cyan', (event.where ?? '').padEnd(12)),
      ...(this.instanceWidth > 0 ? [(event.instance ?? '').padEnd(this.instanceWidth)] : []),
      event.level === 'DEBUG' ? paint('dim', event.message) : styled(paint('bold', event.message)),
    ];
    let result = columns.join('  ');
    if (event.figures.length > 0) result += `  ${event.figures.join('  ')}`;
    if (event.error !== undefined) result += `  ${paint('red', `error: ${event.error}`)}`;
    return `${dateLine}${result.trimEnd()}`;
  }

  private dateLine(iso: string | undefined): string {
    if (!this.options.dates || iso === undefined) return '';
    const day = iso.slice(0, 10);
    if (day === this.day) return '';
    this.day = day;
    return `-- ${day} (times in UTC)\n`;
  }
}
