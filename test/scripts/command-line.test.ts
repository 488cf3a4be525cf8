import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every script answers --help, and refuses an unknown option or a bad value with one line that
// says what is wrong and how to get help (exit 2, no stack trace). The real scripts are run,
// wrappers included; none of these cases builds anything or starts a server.
const root = join(import.meta.dirname, '..', '..');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function run(script: string, ...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    // No AWS set-up: a command that got as far as calling AWS would fail differently (exit 3).
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() };
    execFile(join(root, 'scripts', script), args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOneLineRefusal(outcome: Outcome, script: string, what: string | RegExp): void {
  expect(outcome.code).toBe(2);
  expect(outcome.stdout).toBe('');
  const lines = outcome.stderr.trimEnd().split('\n');
  expect(lines, outcome.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(what);
  expect(lines[0]).toContain(`(run scripts/${script} --help)`);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
}

const scripts: { script: string; usage: string; badValue: string[]; wrong: string | RegExp }[] = [
  {
    script: 'demo',
    usage: 'Usage: scripts/demo [--instances N] [--keep] [--debug]',
    badValue: ['--instances', '0'],
    wrong: 'scripts/demo: --instances must be a whole number from 1 to 32, got "0"',
  },
  {
    script: 'bench',
    usage: 'Usage: scripts/bench [--smoke] [--fleet N] [--repetitions R] [--out FILE]',
    badValue: ['--smoke', '--repetitions', 'many'],
    wrong: 'scripts/bench: --repetitions must be a whole number from 1 to 100, got "many"',
  },
  {
    script: 'build',
    usage: 'Usage: scripts/build',
    badValue: ['--help=yes'],
    wrong: 'scripts/build: --help takes no value',
  },
  {
    script: 'release',
    usage: 'Usage: scripts/release --bucket BUCKET',
    badValue: ['--bucket', 'releases', '--version', '1.4'],
    wrong:
      'scripts/release: --version must be a semantic version (semver 2.0.0) such as 1.4.0 or 1.4.0-rc.1: it needs MAJOR.MINOR.PATCH, three whole numbers, got "1.4"',
  },
  {
    script: 'invoke',
    usage: 'Usage: scripts/invoke <function-name-or-arn> <action> [options]',
    badValue: ['app-rotation', 'frobnicate'],
    wrong:
      'scripts/invoke: unknown action "frobnicate"; valid actions: version, status, verify, reset, heal, notice, rotate, history',
  },
  {
    script: 'logs',
    usage: 'Usage: scripts/logs [FILE | -] [--token T] [--level LEVEL]',
    badValue: ['--function', 'app-rotation', '--since', 'soon'],
    wrong:
      'scripts/logs: --since must be a length of time such as 90s, 15m, 2h or 7d, at most 366d, got "soon"',
  },
  {
    script: 'tf-docs',
    usage: 'Usage: scripts/tf-docs [--check] [MODULE_DIR]',
    badValue: ['--check', tmpdir()],
    wrong: /^scripts\/tf-docs: .* holds no variables\.tf; give the directory of a Terraform module/,
  },
];

describe.concurrent('every script', () => {
  for (const { script, usage, badValue, wrong } of scripts) {
    it(`scripts/${script} prints its usage for --help and exits 0`, async () => {
      const outcome = await run(script, '--help');

      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toContain(usage);
      expect(outcome.stdout).toContain('-h, --help');
      expect(outcome.stderr).toBe('');
    });

    it(`scripts/${script} refuses an unknown option in one line with exit 2`, async () => {
      const outcome = await run(script, '--bogus');

      expectOneLineRefusal(
        outcome,
        script,
        new RegExp(`^scripts/${script}: unknown option --bogus; options: .*--help`),
      );
    });

    it(`scripts/${script} refuses a bad value in one line with exit 2`, async () => {
      const outcome = await run(script, ...badValue);

      expectOneLineRefusal(outcome, script, wrong);
    });
  }

  it.each([
    [
      ['app-rotation', 'rotate', '--wait', '--timeout', '10'],
      'scripts/invoke: --timeout must be a length of time such as 90s, 15m, 2h or 7d, at most 1d, got "10"',
    ],
    [
      ['app-rotation', 'history', '--since', 'yesterday'],
      'scripts/invoke: --since must be a length of time such as 90s, 15m, 2h or 7d, at most 3650d, got "yesterday"',
    ],
    [['app-rotation', 'rotate', '--json'], 'scripts/invoke: --json is not for rotate; it goes with'],
  ])('scripts/invoke refuses %j in one line with exit 2, before calling AWS', async (args, wrong) => {
    const outcome = await run('invoke', ...args);

    expectOneLineRefusal(outcome, 'invoke', wrong);
  });

  it('takes -h for --help, wherever it stands', async () => {
    const long = await run('build', '--help');
    const short = await run('build', '--bogus', '-h');

    expect(short).toEqual(long);
  });

  it('scripts/tf-docs --help does not take --help for a module directory', async () => {
    const outcome = await run('tf-docs', '--help');

    expect(outcome.stderr).not.toContain('variables.tf');
  });

  it('scripts/test prints its usage for --help without testing anything', async () => {
    const outcome = await run('test', '--help');

    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('Usage: scripts/test [VITEST ARGUMENTS...]');
    expect(outcome.stdout).not.toContain('== type check');
  });
});
