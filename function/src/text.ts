/**
 * How values from outside (events, errors) are written into messages. An event is untrusted
 * input: a malformed one must not carry arbitrary text (a pasted password, say) into the logs.
 */

const PLAIN = /^[\w.:-]{0,40}$/;

/** A string from an event, quoted only when it is short and plain. */
export function quoteIfPlain(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : `(a string of ${value.length} characters, not shown)`;
}

/** How an unexpected value is named in an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return PLAIN.test(value) ? `the string "${value}"` : quoteIfPlain(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
