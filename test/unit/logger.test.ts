import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import {
  forgetSensitiveValues,
  logger,
  REDACTED,
  redactText,
  registerSensitive,
  setLogLevel,
} from '../../function/src/logger.ts';

const PASSWORD = 'Hx7#kP2$wQ9!mZ4&';

/**
 * Powertools Logger prints through its own `Console` bound to process.stdout/stderr (the global
 * console only with POWERTOOLS_DEV), so the lines are captured at process.stdout.write.
 */
let stdout: MockInstance<typeof process.stdout.write>;
let stderr: MockInstance<typeof process.stderr.write>;

function printed(): string {
  return [...stdout.mock.calls, ...stderr.mock.calls].map((call) => String(call[0])).join('');
}

function printedLines(): Record<string, unknown>[] {
  return printed()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeEach(() => {
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  setLogLevel('DEBUG');
  forgetSensitiveValues();
});
afterEach(() => {
  vi.restoreAllMocks();
  forgetSensitiveValues();
});

describe('logger', () => {
  it('prints one JSON line per event with the function version', () => {
    // act
    logger.info('hello', { instance: 'db-1' });

    // assess
    const lines = printedLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'hello',
      instance: 'db-1',
      functionVersion: 'dev',
      service: expect.any(String),
    });
  });

  it.each([
    ['password'],
    ['Password'],
    ['newPassword'],
    ['pass'],
    ['secretString'],
    ['SecretString'],
    ['secret_string'],
    ['SecretBinary'],
    ['credentials'],
    ['sql'],
  ])('redacts the value of a key named %s, whatever it holds', (key) => {
    // act
    logger.info('with a sensitive key', {
      [key]: 'not-registered-but-secret-value',
      nested: { [key]: 12345 },
    });

    // assess
    const output = printed();
    expect(output).not.toContain('not-registered-but-secret-value');
    expect(output).not.toContain('12345');
    const [line] = printedLines();
    expect(line?.[key]).toBe(REDACTED);
    expect((line?.nested as Record<string, unknown> | undefined)?.[key]).toBe(REDACTED);
  });

  it('redacts a whole credentials object logged under a sensitive key', () => {
    // act
    logger.debug('value read', { secretString: JSON.stringify({ username: 'app', password: PASSWORD }) });

    // assess
    expect(printed()).not.toContain(PASSWORD);
    expect(printed()).toContain(REDACTED);
  });

  it('redacts a registered value inside other strings', () => {
    // prepare
    registerSensitive(PASSWORD);

    // act
    logger.info(`statement failed: ALTER USER CURRENT_USER() IDENTIFIED BY '${PASSWORD}'`, {
      error: `near '${PASSWORD}' at line 1`,
      list: [`x${PASSWORD}y`],
    });

    // assess
    const output = printed();
    expect(output).not.toContain(PASSWORD);
    const [line] = printedLines();
    expect(line?.message).toBe(`statement failed: ALTER USER CURRENT_USER() IDENTIFIED BY '${REDACTED}'`);
    expect(line?.error).toBe(`near '${REDACTED}' at line 1`);
    expect(line?.list).toEqual([`x${REDACTED}y`]);
  });

  it("redacts a registered value inside an Error's message and stack", () => {
    // prepare
    registerSensitive(PASSWORD);
    const error = new Error(`Access denied using password ${PASSWORD}`);

    // act
    logger.error('connection failed', error);
    logger.error('connection failed again', { error });

    // assess
    const output = printed();
    expect(output).toContain('Access denied using password');
    expect(output).not.toContain(PASSWORD);
    expect(output).toContain(REDACTED);
  });

  it('redacts every registered value and ignores empty or undefined ones', () => {
    // prepare
    registerSensitive('first-secret-value', undefined, '', 'second-secret-value');

    // act
    logger.info('first-secret-value and second-secret-value and more');

    // assess
    const [line] = printedLines();
    expect(line?.message).toBe(`${REDACTED} and ${REDACTED} and more`);
  });

  it('prints a value again once forgetSensitiveValues cleared it', () => {
    // prepare
    registerSensitive('was-sensitive-value');
    forgetSensitiveValues();

    // act
    logger.info('now: was-sensitive-value');

    // assess
    expect(printedLines()[0]?.message).toBe('now: was-sensitive-value');
    expect(redactText('was-sensitive-value')).toBe('was-sensitive-value');
  });

  it('redacts at every level, DEBUG included', () => {
    // prepare
    registerSensitive(PASSWORD);

    // act
    logger.debug(`debug ${PASSWORD}`);
    logger.info(`info ${PASSWORD}`);
    logger.warn(`warn ${PASSWORD}`);
    logger.error(`error ${PASSWORD}`);

    // assess
    expect(printedLines().map((line) => line.level)).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
    expect(printed()).not.toContain(PASSWORD);
  });

  it('does not print DEBUG lines at INFO', () => {
    // prepare
    setLogLevel('INFO');

    // act
    logger.debug('hidden detail');
    logger.info('shown');

    // assess
    expect(printedLines().map((line) => line.message)).toEqual(['shown']);
  });
});

describe('redactText', () => {
  it('replaces every occurrence of every registered value', () => {
    // prepare
    registerSensitive('abc', 'xyz');

    // act
    const text = redactText('abc-xyz-abc');

    // assess
    expect(text).toBe(`${REDACTED}-${REDACTED}-${REDACTED}`);
  });
});
