/**
 * What a release version must be: a semantic version (semver 2.0.0) with its own dated section in
 * CHANGELOG.md (Keep a Changelog style), so that every uploaded zip says what it contains.
 */

const IDENTIFIER = /^[0-9A-Za-z-]+$/;
const NUMBER = /^(0|[1-9]\d*)$/;

/** Why `raw` is not a semantic version, or undefined when it is one. */
export function semverProblem(raw: string): string | undefined {
  if (/^v\d/i.test(raw)) return `drop the leading "${raw[0]}" (${raw.slice(1)})`;
  const plus = raw.indexOf('+');
  const build = plus === -1 ? undefined : raw.slice(plus + 1);
  const rest = plus === -1 ? raw : raw.slice(0, plus);
  const dash = rest.indexOf('-');
  const core = dash === -1 ? rest : rest.slice(0, dash);
  const pre = dash === -1 ? undefined : rest.slice(dash + 1);
  const numbers = core.split('.');
  if (numbers.length !== 3 || numbers.some((n) => !/^\d+$/.test(n))) {
    return 'it needs MAJOR.MINOR.PATCH, three whole numbers';
  }
  const padded = numbers.find((n) => !NUMBER.test(n));
  if (padded !== undefined) return `numbers have no leading zeros ("${padded}")`;
  if (pre !== undefined) {
    const bad = pre.split('.').find((id) => !IDENTIFIER.test(id) || (/^\d+$/.test(id) && !NUMBER.test(id)));
    if (bad !== undefined) {
      return `the pre-release part "${pre}" must be dot-separated letters, digits and hyphens, numbers without leading zeros`;
    }
  }
  if (build?.split('.').some((id) => !IDENTIFIER.test(id))) {
    return `the build part "${build}" must be dot-separated letters, digits and hyphens`;
  }
  return undefined;
}

export function isPrerelease(version: string): boolean {
  return version.split('+')[0]?.includes('-') === true;
}

interface Section {
  title: string;
  date: string | undefined;
  body: string;
}

/** The `## [...]` sections of a Keep a Changelog file, in order. */
function sections(text: string): Section[] {
  const found: Section[] = [];
  let current: Section | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## \[([^\]]+)\](.*)$/.exec(line);
    if (heading) {
      current = {
        title: heading[1] as string,
        date: /^ - (\S+)\s*$/.exec(heading[2] as string)?.[1],
        body: '',
      };
      found.push(current);
    } else if (current && !/^\[[^\]]+\]:\s/.test(line)) {
      // Link references at the end belong to no section.
      current.body += `${line}\n`;
    }
  }
  return found;
}

function isRealDate(date: string): boolean {
  return /^\d{4}-\d\d-\d\d$/.test(date) && new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);
}

/**
 * Why CHANGELOG.md does not allow releasing `version`, with what to write, or undefined when it
 * does. `today` (YYYY-MM-DD) goes into the suggested heading. A pre-release may ship the
 * Unreleased section instead of a section of its own.
 */
export function changelogProblem(
  text: string | undefined,
  version: string,
  today: string,
): string | undefined {
  const heading = `## [${version}] - ${today}`;
  if (text === undefined)
    return `there is no CHANGELOG.md: write one with a "${heading}" section saying what changed`;
  const all = sections(text);
  const own = all.find((section) => section.title === version);
  const unreleased = all.find((section) => section.title.toLowerCase() === 'unreleased');
  if (own !== undefined) {
    if (own.date === undefined)
      return `its section "## [${version}]" in CHANGELOG.md has no date: write "${heading}"`;
    if (!isRealDate(own.date)) {
      return `its section in CHANGELOG.md is dated "${own.date}", not a date as YYYY-MM-DD: write "${heading}"`;
    }
    if (own.body.trim() === '')
      return `its section "## [${version}]" in CHANGELOG.md is empty: list what changed`;
    return undefined;
  }
  if (isPrerelease(version) && unreleased !== undefined && unreleased.body.trim() !== '') return undefined;
  return unreleased !== undefined && unreleased.body.trim() !== ''
    ? `CHANGELOG.md has no section for ${version}: rename "## [Unreleased]" to "${heading}" and start a new, empty "## [Unreleased]" above it`
    : `CHANGELOG.md has no section for ${version}: add "${heading}" listing what changed`;
}
