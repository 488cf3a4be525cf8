/**
 * The one command-line convention of every script: `node:util` parseArgs underneath; -h/--help
 * prints the usage and exits 0; a wrong option or value prints one line saying what is wrong and
 * how to get help, and exits 2. Values are read by one helper per kind of value, each of which
 * names the option and what it accepts.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The option may be given more than once; its values are collected in order. */
  multiple?: boolean;
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** As the user types it, e.g. `scripts/demo`. */
  name: string;
  /** Printed for --help. */
  usage: string;
  /** Every option but --help, which each command has. */
  options: O;
  /** How many arguments other than options it takes (default none). */
  maxPositionals?: number;
}

type Value<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : string;

export interface ParsedCommandLine<O extends Record<string, OptionSpec>> {
  /** Options not given are absent. */
  values: { [K in keyof O]?: Value<O[K]> };
  positionals: string[];
}

const HELP: OptionSpec = { type: 'boolean', short: 'h' };

/** Declares a command; keeps the option types exact, so that values come out typed. */
export function command<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** 'help' when -h or --help is anywhere; throws UsageError for an unknown option or a missing value. */
export function parseCommandLine<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  argv: string[],
): ParsedCommandLine<O> | 'help' {
  const options: Record<string, OptionSpec> = { ...spec.options, help: HELP };
  // Not strict: every token comes back, so that the errors below can say what is wrong in the
  // convention's words rather than Node's.
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  // `--name --help` hands "--help" to --name as its value: the user wants help all the same.
  const asksForHelp = tokens.some(
    (token) =>
      token.kind === 'option' &&
      ((token.name === 'help' && token.value === undefined) ||
        (token.inlineValue === false && (token.value === '--help' || token.value === '-h'))),
  );
  if (asksForHelp) return 'help';
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    const flag = `--${token.name}`;
    if (option === undefined) {
      const known = Object.keys(options).map((name) => `--${name}`);
      throw new UsageError(`unknown option ${token.rawName}; options: ${known.join(', ')}`);
    }
    let value: string | boolean;
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value`);
      value = true;
    } else {
      // `--name --other` takes "--other" as the value: almost always a forgotten value.
      const missing =
        token.value === undefined ||
        token.value === '' ||
        (!token.inlineValue && token.value.startsWith('--'));
      if (missing) throw new UsageError(`${flag} needs a value`);
      value = token.value as string;
    }
    values[token.name] = option.multiple ? [...((values[token.name] as unknown[]) ?? []), value] : value;
  }
  const max = spec.maxPositionals ?? 0;
  if (positionals.length > max) {
    throw new UsageError(
      max === 0
        ? `unexpected argument "${positionals[0]}": ${spec.name} takes options only`
        : `expected at most ${max} argument(s), got ${positionals.length}`,
    );
  }
  return { values: values as ParsedCommandLine<O>['values'], positionals };
}

/** The one line printed for a bad command line. */
export function usageLine(name: string, error: UsageError): string {
  return `${name}: ${error.message} (run ${name} --help)`;
}

/**
 * Parses this process's command line and reads it with `read` (which throws UsageError for a
 * bad value); prints the usage and exits 0 for --help, prints one line and exits 2 when wrong.
 */
export function readCommandLine<O extends Record<string, OptionSpec>, R>(
  spec: CommandSpec<O>,
  read: (parsed: ParsedCommandLine<O>) => R,
  argv: string[] = process.argv.slice(2),
): R {
  try {
    const parsed = parseCommandLine(spec, argv);
    if (parsed === 'help') {
      process.stdout.write(`${spec.usage.trimEnd()}\n`);
      process.exit(0);
    }
    return read(parsed);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${usageLine(spec.name, error)}\n`);
    process.exit(2);
  }
}

/** A whole number within bounds, or `fallback` when the option is absent. */
export function wholeNumber(
  flag: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** Comma-separated names, from every time the option was given; undefined when absent. */
export function nameList(flag: string, raw: string[] | undefined, what: string): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new UsageError(`${flag} needs at least one ${what}`);
  return names;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(what: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`unknown ${what} "${raw}"; valid ${what}s: ${choices.join(', ')}`);
  }
  return raw as T;
}

/** A value the command cannot do without. */
export function required(flag: string, raw: string | undefined): string {
  if (raw === undefined) throw new UsageError(`${flag} is required`);
  return raw;
}

/** A value of a given shape, `description` saying which in words. */
export function matching(flag: string, raw: string, shape: RegExp, description: string): string {
  if (!shape.test(raw)) throw new UsageError(`${flag} must be ${description}, got "${raw}"`);
  return raw;
}
