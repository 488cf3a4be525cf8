import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../scripts/logs.ts';

// scripts/logs on files and standard input; reading CloudWatch Logs is tested against moto with
// real rotation lines in test/client/rotate.test.ts.
const dir = mkdtempSync(join(tmpdir(), 'logs-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (level: string, message: string, token: string, extra: object = {}) =>
  JSON.stringify({
    level,
    message,
    timestamp: '2026-12-02T06:14:05.000Z',
    step: 'setSecret',
    token,
    ...extra,
  });
const lines = [
  entry('DEBUG', 'calling DescribeSecret', 'tok-1', { api: 'DescribeSecret' }),
  entry('INFO', 'rotation step succeeded', 'tok-1', { ms: 812 }),
  '',
  entry('ERROR', 'invocation failed', 'tok-2', {
    ms: 90,
    errorName: 'RotationError',
    error: 'setSecret failed',
  }),
];

async function logs(argv: string[], stdin: Readable & { isTTY?: boolean } = Readable.from([])) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { stdin, colour: false, out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

describe('scripts/logs', () => {
  it('formats a file of JSON lines, one event a line, under the date', async () => {
    const file = join(dir, 'rotation.log');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const { code, out, err } = await logs([file]);

    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual([
      '-- 2026-12-02 (times in UTC)\n06:14:05.000  DEBUG   setSecret     calling DescribeSecret',
      '06:14:05.000  INFO    setSecret     rotation step succeeded  812 ms',
      '06:14:05.000  ERROR   setSecret     invocation failed  90 ms  error: RotationError: setSecret failed',
    ]);
  });

  it('names the served user of a function with several, and not the single entry "default"', async () => {
    const file = join(dir, 'users.log');
    writeFileSync(
      file,
      [
        entry('INFO', 'rotation step succeeded', 'tok-1', { ms: 5, user: 'reporting' }),
        entry('INFO', 'rotation step succeeded', 'tok-2', { ms: 6, user: 'default' }),
      ].join('\n'),
    );

    const { out } = await logs([file]);

    expect(out).toEqual([
      '-- 2026-12-02 (times in UTC)\n06:14:05.000  INFO    setSecret     rotation step succeeded  5 ms  user=reporting',
      '06:14:05.000  INFO    setSecret     rotation step succeeded  6 ms',
    ]);
  });

  it('reads standard input, keeping only the lines of one token at or above a level', async () => {
    const { code, out } = await logs(
      ['-', '--token', 'tok-1', '--level', 'info'],
      Readable.from(lines.join('\n')),
    );

    expect(code).toBe(0);
    expect(out).toEqual([
      '-- 2026-12-02 (times in UTC)\n06:14:05.000  INFO    setSecret     rotation step succeeded  812 ms',
    ]);
  });

  it('says which file it cannot read', async () => {
    const { code, err } = await logs([join(dir, 'missing.log')]);

    expect(code).toBe(1);
    expect(err).toEqual([
      `scripts/logs: cannot read ${join(dir, 'missing.log')}: ENOENT: no such file or directory, open '${join(dir, 'missing.log')}'`,
    ]);
  });

  it.each([
    [[], 'give a FILE, - for standard input, or --function NAME'],
    [['a.log', '--function', 'fn'], 'give a FILE or --function, not both (got "a.log" and --function)'],
    [['a.log', '--since', '1h'], '--since goes with --function NAME'],
    [['a.log', '--level', 'loud'], 'unknown level "LOUD"; valid levels: DEBUG, INFO, WARN, ERROR'],
    [
      ['--function', 'fn', '--since', '1y'],
      '--since must be a length of time such as 90s, 15m, 2h or 7d, at most 366d',
    ],
    [['--function', 'arn:aws:s3:::bucket'], '"arn:aws:s3:::bucket" is not a Lambda function name or ARN'],
  ])('refuses %j in one line with exit 2', async (argv, message) => {
    const terminal = Object.assign(Readable.from([]), { isTTY: true });

    const { code, out, err } = await logs(argv, terminal);

    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(`scripts/logs: ${message}`);
    expect(err[0]).toMatch(/\(run scripts\/logs --help\)$/);
  });
});
