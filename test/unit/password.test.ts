import { describe, expect, it } from 'vitest';
import { ALWAYS_EXCLUDED, generatePassword, passwordAlphabet } from '../../function/src/password.ts';

const UPPER = /[A-Z]/;
const LOWER = /[a-z]/;
const DIGIT = /[0-9]/;
const PUNCTUATION = /[^A-Za-z0-9]/;

function classOf(char: string): 'upper' | 'lower' | 'digit' | 'punctuation' {
  if (UPPER.test(char)) return 'upper';
  if (LOWER.test(char)) return 'lower';
  if (DIGIT.test(char)) return 'digit';
  return 'punctuation';
}

describe('generatePassword', () => {
  it.each([16, 32, 77, 128])('returns exactly %i characters', (length) => {
    // act
    const password = generatePassword(length);

    // assess
    expect(password).toHaveLength(length);
  });

  it('always contains an upper, a lower, a digit and a punctuation character', () => {
    // prepare
    const missing: string[] = [];

    // act
    for (let i = 0; i < 2000; i++) {
      const password = generatePassword(16);
      if (![UPPER, LOWER, DIGIT, PUNCTUATION].every((pattern) => pattern.test(password)))
        missing.push(password);
    }

    // assess
    expect(missing).toEqual([]);
  });

  it('never contains an always-excluded character', () => {
    // prepare
    const forbidden = new Set(ALWAYS_EXCLUDED);
    const offending: string[] = [];

    // act
    for (let i = 0; i < 2000; i++) {
      const password = generatePassword(64);
      if ([...password].some((char) => forbidden.has(char))) offending.push(password);
    }

    // assess
    expect([...ALWAYS_EXCLUDED].sort()).toEqual([' ', '"', "'", '/', '@', '\\', '`'].sort());
    expect(offending).toEqual([]);
  });

  it('never contains a configured excluded character and still has every class', () => {
    // prepare
    const exclude = '{}[]()<>|;:0O1lI';
    const forbidden = new Set(exclude);
    const bad: string[] = [];

    // act
    for (let i = 0; i < 2000; i++) {
      const password = generatePassword(20, exclude);
      const hasForbidden = [...password].some((char) => forbidden.has(char));
      const hasEveryClass = [UPPER, LOWER, DIGIT, PUNCTUATION].every((pattern) => pattern.test(password));
      if (hasForbidden || !hasEveryClass) bad.push(password);
    }

    // assess
    expect(bad).toEqual([]);
  });

  it('uses only printable ASCII characters', () => {
    // act
    const password = generatePassword(128);

    // assess
    expect(password).toMatch(/^[\x21-\x7e]+$/);
  });

  it('draws characters uniformly (chi-square bound over a large sample)', () => {
    // prepare: the model is one guaranteed character per class plus (length - 4) uniform draws
    // from the whole alphabet, so each character's expected count follows from its class size.
    const length = 64;
    const samples = 6000;
    const alphabet = passwordAlphabet('');
    const all = Object.values(alphabet).join('');
    const counts = new Map<string, number>([...all].map((char) => [char, 0]));

    // act
    for (let i = 0; i < samples; i++) {
      for (const char of generatePassword(length)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }

    // assess
    expect(counts.size).toBe(all.length);
    let chiSquare = 0;
    for (const [name, chars] of Object.entries(alphabet)) {
      for (const char of chars) {
        const expected = samples * (1 / chars.length + (length - 4) / all.length);
        const observed = counts.get(char) ?? 0;
        chiSquare += (observed - expected) ** 2 / expected;
        expect(observed, `${name} character ${char}`).toBeGreaterThan(expected * 0.9);
        expect(observed, `${name} character ${char}`).toBeLessThan(expected * 1.1);
      }
    }
    // 87 degrees of freedom: mean 87, standard deviation about 13; 200 is beyond 8 standard
    // deviations, so a correct generator essentially never fails while a biased one does.
    expect(chiSquare).toBeLessThan(200);
  });

  it('places the guaranteed characters at random positions', () => {
    // prepare
    const firstClasses = new Set<string>();
    const lastClasses = new Set<string>();

    // act
    for (let i = 0; i < 2000; i++) {
      const password = generatePassword(16);
      firstClasses.add(classOf(password[0] as string));
      lastClasses.add(classOf(password[15] as string));
    }

    // assess
    expect([...firstClasses].sort()).toEqual(['digit', 'lower', 'punctuation', 'upper']);
    expect([...lastClasses].sort()).toEqual(['digit', 'lower', 'punctuation', 'upper']);
  });

  it('does not repeat passwords', () => {
    // act
    const passwords = new Set(Array.from({ length: 1000 }, () => generatePassword(16)));

    // assess
    expect(passwords.size).toBe(1000);
  });

  it.each([
    ['0123456789', 'digit'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'upper'],
    ['abcdefghijklmnopqrstuvwxyz', 'lower'],
    ['!#$%&()*+,-.:;<=>?[]^_{|}~', 'punctuation'],
  ])('throws when excluding %s leaves no %s character', (exclude, className) => {
    // act
    const act = () => generatePassword(32, exclude);

    // assess
    expect(act).toThrow(`leaves no ${className} character to use`);
  });
});

describe('passwordAlphabet', () => {
  it('removes always-excluded and configured characters from every class', () => {
    // act
    const alphabet = passwordAlphabet('aZ5!');

    // assess
    expect(alphabet.lower).not.toContain('a');
    expect(alphabet.upper).not.toContain('Z');
    expect(alphabet.digit).toBe('012346789');
    expect(alphabet.punctuation).not.toContain('!');
    const all = Object.values(alphabet).join('');
    for (const char of ALWAYS_EXCLUDED) expect(all).not.toContain(char);
  });

  it('keeps one character of a class when all others are excluded', () => {
    // act
    const alphabet = passwordAlphabet('012345678');

    // assess
    expect(alphabet.digit).toBe('9');
    expect(generatePassword(16, '012345678')).toContain('9');
  });
});
