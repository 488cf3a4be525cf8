import { describe, expect, it } from 'vitest';
import {
  command,
  nameList,
  parseCommandLine,
  UsageError,
  wholeNumber,
} from '../../scripts/cli/commandLine.ts';

const spec = command({
  name: 'scripts/example',
  usage: 'Usage: scripts/example',
  options: { count: { type: 'string' }, tag: { type: 'string', multiple: true }, dry: { type: 'boolean' } },
  maxPositionals: 1,
});

describe('the shared command line', () => {
  it('reads options, repeated options and arguments', () => {
    expect(parseCommandLine(spec, ['--count', '3', '--tag=a', '--tag', 'b', '--dry', 'here'])).toEqual({
      values: { count: '3', tag: ['a', 'b'], dry: true },
      positionals: ['here'],
    });
  });

  it('answers help for -h or --help even next to a mistake', () => {
    expect(parseCommandLine(spec, ['--bogus', '-h'])).toBe('help');
    expect(parseCommandLine(spec, ['--count', '--help'])).toBe('help');
  });

  it('takes what follows -- as arguments, not options', () => {
    expect(parseCommandLine(spec, ['--', '--help'])).toEqual({ values: {}, positionals: ['--help'] });
  });

  it.each([
    [['--bogus'], 'unknown option --bogus; options: --count, --tag, --dry, --help'],
    [['-x'], 'unknown option -x; options: --count, --tag, --dry, --help'],
    [['--count'], '--count needs a value'],
    [['--count', '--dry'], '--count needs a value'],
    [['--count='], '--count needs a value'],
    [['--dry=yes'], '--dry takes no value'],
    [['one', 'two'], 'expected at most 1 argument(s), got 2'],
  ])('refuses %j, saying why', (argv, message) => {
    expect(() => parseCommandLine(spec, argv)).toThrow(new UsageError(message));
  });

  it('refuses any argument when the command takes options only', () => {
    const optionsOnly = command({ name: 'scripts/only', usage: '', options: {} });

    expect(() => parseCommandLine(optionsOnly, ['x'])).toThrow(
      'unexpected argument "x": scripts/only takes options only',
    );
  });

  it('reads whole numbers within bounds, and nothing else', () => {
    expect(wholeNumber('--count', undefined, 3, 1, 9)).toBe(3);
    expect(wholeNumber('--count', '9', 3, 1, 9)).toBe(9);
    for (const raw of ['0', '10', '1.5', '-1', ' 2', '0x3', '']) {
      expect(() => wholeNumber('--count', raw, 3, 1, 9)).toThrow(
        `--count must be a whole number from 1 to 9, got "${raw}"`,
      );
    }
  });

  it('reads comma-separated names from every time an option was given', () => {
    expect(nameList('--tag', ['a, b', 'c'], 'tag')).toEqual(['a', 'b', 'c']);
    expect(nameList('--tag', undefined, 'tag')).toBeUndefined();
    expect(() => nameList('--tag', [' , '], 'tag')).toThrow('--tag needs at least one tag');
  });
});
