import { randomInt } from 'node:crypto';
import { PasswordAlphabetError } from './errors.ts';

/** Characters that break DSNs, URLs and shell quoting; never part of a generated password. */
export const ALWAYS_EXCLUDED = '/@"\'\\` ';

const CLASSES = {
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  lower: 'abcdefghijklmnopqrstuvwxyz',
  digit: '0123456789',
  punctuation: '!#$%&()*+,-.:;<=>?[]^_{|}~',
} as const;

type CharacterClass = keyof typeof CLASSES;

/** The usable characters of each class once exclusions are applied; throws when a class is left empty. */
export function passwordAlphabet(excludeChars: string): Record<CharacterClass, string> {
  const excluded = new Set([...ALWAYS_EXCLUDED, ...excludeChars]);
  const alphabet = {} as Record<CharacterClass, string>;
  for (const [name, chars] of Object.entries(CLASSES) as [CharacterClass, string][]) {
    alphabet[name] = [...chars].filter((char) => !excluded.has(char)).join('');
    if (alphabet[name] === '') {
      throw new PasswordAlphabetError(`excluding "${excludeChars}" leaves no ${name} character to use`);
    }
  }
  return alphabet;
}

/**
 * A uniformly random password with at least one character of every class. `randomInt` draws
 * without modulo bias; the guaranteed characters are placed at random positions by a
 * Fisher-Yates shuffle driven by the same generator.
 */
export function generatePassword(length: number, excludeChars = ''): string {
  const alphabet = passwordAlphabet(excludeChars);
  const all = Object.values(alphabet).join('');
  const chars = Object.values(alphabet).map((chars) => pick(chars));
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

function pick(chars: string): string {
  return chars[randomInt(chars.length)] as string;
}
