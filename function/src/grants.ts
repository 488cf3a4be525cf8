/**
 * A user's privileges as SHOW GRANTS states them, and the statements that make a second user's
 * equal to a first's. SHOW GRANTS is read rather than mysql.* or information_schema because it is
 * the one form that covers every kind of privilege (global, database, table, column, routine,
 * proxy, roles, GRANT OPTION) on MySQL and MariaDB alike, in the server's own quoting, which can
 * be sent back to it as it is. Each line is parsed into objects and single privileges, so that the
 * second user only loses what the first no longer has: rewriting whole lines would revoke and
 * grant again privileges both already share, and an application connected as the second user
 * would see them vanish for a moment.
 */

/** The privileges of one object (`*.*`, `` `db`.* ``, `` PROCEDURE `db`.`p` ``, a proxied user). */
interface ObjectGrants {
  object: string;
  /** Single privileges in upper case; a column privilege per column: "SELECT (`a`)". */
  privileges: Set<string>;
  grantOption: boolean;
}

export interface UserGrants {
  objects: Map<string, ObjectGrants>;
  /** Granted roles, as the server quotes them, and whether each came WITH ADMIN OPTION. */
  roles: Map<string, boolean>;
  /** MariaDB's SET DEFAULT ROLE line, when there is one. */
  defaultRole: string | undefined;
}

interface Token {
  text: string;
  /** Upper-cased text of a bare word; undefined for quoted names, strings and groups. */
  word?: string;
  start: number;
  end: number;
}

/** Splits a statement at top level: quoted names, strings and parenthesised groups stay whole. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === ',') {
      i++;
      tokens.push({ text: ',', start, end: i });
      continue;
    }
    if (c === '`' || c === "'" || c === '"' || c === '(') {
      i = skipGroup(line, i);
      tokens.push({ text: line.slice(start, i), start, end: i });
      continue;
    }
    while (i < line.length && !/[\s,`'"(]/.test(line[i] as string)) i++;
    const text = line.slice(start, i);
    tokens.push({ text, word: text.toUpperCase(), start, end: i });
  }
  return tokens;
}

/** The index just past the quoted name, string or (nested) group starting at `i`. */
function skipGroup(line: string, i: number): number {
  const open = line[i] as string;
  if (open === '(') {
    let depth = 0;
    while (i < line.length) {
      const c = line[i] as string;
      if (c === '`' || c === "'" || c === '"') {
        i = skipGroup(line, i);
        continue;
      }
      if (c === '(') depth++;
      if (c === ')') depth--;
      i++;
      if (depth === 0) return i;
    }
    return i;
  }
  i++;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === '\\' && open !== '`') {
      i += 2;
      continue;
    }
    if (c === open) {
      if (line[i + 1] === open) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return i;
}

/** Splits a token range at its top-level commas into the original text of each part. */
function commaParts(line: string, tokens: Token[]): string[] {
  const parts: string[] = [];
  let first: Token | undefined;
  let last: Token | undefined;
  for (const token of [...tokens, { text: ',', start: 0, end: 0 }]) {
    if (token.text === ',') {
      if (first !== undefined && last !== undefined) parts.push(line.slice(first.start, last.end).trim());
      first = undefined;
      continue;
    }
    first ??= token;
    last = token;
  }
  return parts;
}

/** "SELECT (`a`, `b`)" -> "SELECT (`a`)", "SELECT (`b`)"; "select" -> "SELECT". */
function singlePrivileges(item: string): string[] {
  const tokens = tokenize(item);
  const group = tokens.find((token) => token.text.startsWith('('));
  const name = tokens
    .filter((token) => token !== group)
    .map((token) => token.word ?? token.text)
    .join(' ');
  if (group === undefined) return [name];
  const inner = group.text.slice(1, -1);
  return commaParts(inner, tokenize(inner)).map((column) => `${name} (${column})`);
}

/** Parses the lines of SHOW GRANTS FOR one user; lines it does not recognise are ignored. */
export function parseGrants(lines: readonly string[]): UserGrants {
  const grants: UserGrants = { objects: new Map(), roles: new Map(), defaultRole: undefined };
  for (const line of lines) {
    const tokens = tokenize(line);
    const words = tokens.map((token) => token.word);
    if (words[0] === 'SET' && words[1] === 'DEFAULT' && words[2] === 'ROLE') {
      const forAt = words.indexOf('FOR');
      grants.defaultRole = line.slice(tokens[3]?.start, tokens[forAt - 1]?.end).trim();
      continue;
    }
    if (words[0] !== 'GRANT') continue;
    const to = words.indexOf('TO');
    if (to < 0) continue;
    const on = words.indexOf('ON');
    const tail = words.slice(to + 1);
    const withAt = tail.indexOf('WITH');
    const options = withAt < 0 ? [] : tail.slice(withAt);
    const hasOption = (kind: string) =>
      options.some((word, index) => word === kind && options[index + 1] === 'OPTION');
    if (on < 0 || on > to) {
      for (const role of commaParts(line, tokens.slice(1, to))) grants.roles.set(role, hasOption('ADMIN'));
      continue;
    }
    const object = line.slice(tokens[on + 1]?.start, tokens[to - 1]?.end).trim();
    const entry = grants.objects.get(object) ?? { object, privileges: new Set<string>(), grantOption: false };
    for (const item of commaParts(line, tokens.slice(1, on))) {
      for (const privilege of singlePrivileges(item)) {
        if (privilege !== 'USAGE') entry.privileges.add(privilege);
      }
    }
    entry.grantOption ||= hasOption('GRANT');
    grants.objects.set(object, entry);
  }
  return grants;
}

/**
 * The statements that make `target`'s grants equal to `source`'s, for the grantee `grantee` (an
 * SQL user literal such as 'app_clone'@'%'). Revocations come first: a privilege covered by ALL
 * PRIVILEGES on one side and listed singly on the other ends right either way.
 */
export function grantStatements(source: UserGrants, target: UserGrants, grantee: string): string[] {
  const revokes: string[] = [];
  const grants: string[] = [];
  for (const [key, held] of target.objects) {
    const wanted = source.objects.get(key);
    const extra = [...held.privileges].filter((privilege) => !wanted?.privileges.has(privilege));
    if (extra.length > 0) revokes.push(`REVOKE ${extra.join(', ')} ON ${held.object} FROM ${grantee}`);
    if (held.grantOption && !wanted?.grantOption)
      revokes.push(`REVOKE GRANT OPTION ON ${held.object} FROM ${grantee}`);
  }
  for (const role of target.roles.keys()) {
    if (!source.roles.has(role)) revokes.push(`REVOKE ${role} FROM ${grantee}`);
  }
  for (const [key, wanted] of source.objects) {
    const held = target.objects.get(key);
    const missing = [...wanted.privileges].filter((privilege) => !held?.privileges.has(privilege));
    const option = wanted.grantOption && !held?.grantOption ? ' WITH GRANT OPTION' : '';
    if (missing.length > 0)
      grants.push(`GRANT ${missing.join(', ')} ON ${wanted.object} TO ${grantee}${option}`);
    else if (option !== '') grants.push(`GRANT USAGE ON ${wanted.object} TO ${grantee}${option}`);
  }
  for (const [role, admin] of source.roles) {
    const held = target.roles.get(role);
    if (held === undefined || (admin && !held)) {
      grants.push(`GRANT ${role} TO ${grantee}${admin ? ' WITH ADMIN OPTION' : ''}`);
    } else if (!admin && held) {
      revokes.push(`REVOKE ADMIN OPTION FOR ${role} FROM ${grantee}`);
    }
  }
  if (source.defaultRole !== target.defaultRole) {
    grants.push(`SET DEFAULT ROLE ${source.defaultRole ?? 'NONE'} FOR ${grantee}`);
  }
  return [...revokes, ...grants];
}

/** A string literal for an SQL statement in a session without NO_BACKSLASH_ESCAPES. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\0/g, '\\0')}'`;
}

/** `'user'@'host'` as a statement names an account. */
export function accountLiteral(user: string, host: string): string {
  return `${sqlString(user)}@${sqlString(host)}`;
}
