/**
 * How values from outside (events, errors) are written into messages. An event is untrusted
 * input: a malformed one must not carry arbitrary text (a pasted password, say) into the logs,
 * nor make a message or a log line grow with its size.
 */

/** The longest echo of anything from outside, and of a list of things, in one message. */
export const MAX_ECHO = 200;

const PLAIN = /^[\w.:-]{0,40}$/;

/**
 * What a secret name or ARN may look like to be echoed. `+`, `=` and `@`, which names allow, are
 * left out: they are far more common in passwords than in secret names.
 */
const IDENTIFIER = new RegExp(`^[\\w/.:-]{1,${MAX_ECHO}}$`);

/**
 * What an event key may look like to be echoed: a field name. A key is where a password pasted
 * into the wrong place ends up, so it is held to a stricter rule than a value.
 */
const KEY = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

function notShown(value: string, what = 'string'): string {
  return `(a ${what} of ${value.length} characters, not shown)`;
}

/** A string from an event, quoted only when it is short and plain. */
export function quoteIfPlain(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : notShown(value);
}

/** A secret identifier from an event (a name or an ARN), quoted only when it looks like one. */
export function quoteIdentifier(value: string): string {
  return IDENTIFIER.test(value) ? `"${value}"` : notShown(value);
}

/** A key of an event object, quoted only when it looks like a field name. */
export function quoteKey(key: string): string {
  return KEY.test(key) ? `"${key}"` : notShown(key, 'key');
}

/**
 * Items joined with ", " up to about MAX_ECHO characters; the rest is counted, not listed, so
 * that an event with thousands of keys still gets a short message.
 */
export function boundedList(items: readonly string[], max = MAX_ECHO): string {
  if (items.length === 0) return 'none';
  const shown: string[] = [];
  let length = 0;
  for (const item of items) {
    const added = (shown.length === 0 ? 0 : 2) + item.length;
    if (shown.length > 0 && length + added > max) break;
    shown.push(item);
    length += added;
  }
  const rest = items.length - shown.length;
  return rest === 0 ? shown.join(', ') : `${shown.join(', ')} and ${rest} more`;
}

/** How an unexpected value is named in an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return PLAIN.test(value) ? `the string "${value}"` : quoteIfPlain(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
