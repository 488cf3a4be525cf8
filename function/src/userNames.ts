import { SecretValueError } from './errors.ts';

/**
 * The two users of the alternating-users strategy: `<base>` and `<base><suffix>`. Which one a
 * secret version names is all the state there is: a name ending with the suffix alternates back
 * to the base, any other name to the suffixed one.
 */
export function otherUser(current: string, suffix: string): string {
  if (current.endsWith(suffix) && current.length > suffix.length) return current.slice(0, -suffix.length);
  return `${current}${suffix}`;
}

/** The base (never suffixed) user of a pair, whichever of the two `name` is. */
export function baseUser(name: string, suffix: string): string {
  return name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : name;
}

/**
 * The longest user name each engine accepts. RDS engine names (DB_ENGINES) and the engines a
 * server reports at login ('mysql', 'mariadb') both map here; an engine not listed is held to
 * MySQL's limit, the strictest of the family.
 */
const NAME_LIMITS: Record<string, number> = {
  mysql: 32,
  'aurora-mysql': 32,
  aurora: 32,
  mariadb: 80,
};
const STRICTEST = 32;

export function userNameLimit(engine: string): number {
  return NAME_LIMITS[engine.toLowerCase()] ?? STRICTEST;
}

/**
 * Refuses a pair whose longer name exceeds the limit of an engine the rotation may meet, with
 * what to do about it. `engines` are the configured DB_ENGINES (at createSecret) or the engine
 * one server reported (at setSecret).
 */
export function checkUserNames(current: string, suffix: string, engines: readonly string[]): void {
  const base = baseUser(current, suffix);
  const longer = `${base}${suffix}`;
  const strictest = [...engines].sort((a, b) => userNameLimit(a) - userNameLimit(b))[0] ?? 'mysql';
  const limit = userNameLimit(strictest);
  if (longer.length <= limit) return;
  throw new SecretValueError(
    `the alternating-users strategy needs user "${longer}" (${longer.length} characters: base user "${base}" ` +
      `and ALTERNATING_USER_SUFFIX "${suffix}"), longer than the ${limit} characters ${strictest} allows ` +
      `for a user name. Use a base user name of at most ${limit - suffix.length} characters, or a shorter ` +
      'ALTERNATING_USER_SUFFIX (the module: alternating_user_suffix)',
  );
}
