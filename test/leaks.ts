import { escape as sqlEscape } from 'mysql2';

/**
 * Leak checks that catch pieces of a password, not only the whole: a server error quoting a
 * statement from the point it stopped understanding holds most of a password, never all of it.
 * Every substring of 4 characters is searched for (any longer piece contains one), in the forms a
 * password takes on its way: as is, escaped for JSON (a log line), escaped for SQL (a statement).
 */
export const FRAGMENT_LENGTH = 4;

/** Every 4-character piece of each password, in each of its written forms. */
export function passwordFragments(passwords: string[]): string[] {
  const fragments = new Set<string>();
  for (const password of passwords) {
    for (const form of [password, JSON.stringify(password).slice(1, -1), sqlEscape(password).slice(1, -1)]) {
      const characters = Array.from(form);
      for (let i = 0; i + FRAGMENT_LENGTH <= characters.length; i++) {
        fragments.add(characters.slice(i, i + FRAGMENT_LENGTH).join(''));
      }
    }
  }
  return [...fragments];
}

/** Every string inside a value (an answer, an error, a parsed log line), and the value as JSON. */
export function textsOf(value: unknown): string[] {
  const texts: string[] = [];
  const visit = (item: unknown) => {
    if (typeof item === 'string') texts.push(item);
    else if (Array.isArray(item)) item.forEach(visit);
    else if (item !== null && typeof item === 'object') Object.values(item).forEach(visit);
  };
  visit(value);
  texts.push(JSON.stringify(value) ?? '');
  return texts;
}

/** A log line as written and, when it is JSON, every string in it. */
export function textsOfLogLine(line: string): string[] {
  try {
    return [line, ...textsOf(JSON.parse(line))];
  } catch {
    return [line];
  }
}

/** The fragments of `passwords` found anywhere in `texts` (none, when nothing leaked). */
export function leakedFragments(texts: string[], passwords: string[]): string[] {
  const fragments = passwordFragments(passwords);
  return fragments.filter((fragment) => texts.some((text) => text.includes(fragment)));
}
