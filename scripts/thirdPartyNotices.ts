/**
 * The third-party notices shipped in function.zip: every npm package whose code esbuild put in the
 * bundle, with its version, its license and the license and notice texts the package ships.
 * Derived from the build's metafile alone and sorted, so the same build gives the same text.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';

export const NOTICES_FILE = 'THIRD-PARTY-NOTICES.txt';

export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  /** The package's folder, relative to the repository root. */
  dir: string;
  /** LICENSE, NOTICE, COPYING files of the package, by file name. */
  texts: { file: string; text: string }[];
}

const LEGAL_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt|markdown))?$/i;
const RULE = '-'.repeat(78);

/** The package folder an input path lies in (the innermost node_modules), or undefined for own code. */
function packageDir(input: string): string | undefined {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = input.slice(at + marker.length).split('/');
  const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  return `${input.slice(0, at + marker.length)}${name}`;
}

/** Every package with code in the bundle files `outputs` of the metafile, sorted by name and version. */
export function bundledPackages(metafile: Metafile, outputs: string[], root: string): BundledPackage[] {
  const inputs = outputs.flatMap((output) => {
    const found = metafile.outputs[output]?.inputs;
    if (found === undefined) throw new Error(`the metafile has no output ${output}`);
    return Object.entries(found);
  });
  const dirs = new Set(
    inputs
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => packageDir(path))
      .filter((dir): dir is string => dir !== undefined),
  );
  return [...dirs]
    .map((dir) => readPackage(root, dir))
    .sort((a, b) => a.name.localeCompare(b.name, 'en') || a.version.localeCompare(b.version, 'en'));
}

function readPackage(root: string, dir: string): BundledPackage {
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license?: string | { type?: string };
  };
  const license =
    typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? 'not stated');
  const texts = readdirSync(join(root, dir))
    .filter((file) => LEGAL_FILE.test(file) && statSync(join(root, dir, file)).isFile())
    .sort()
    .map((file) => ({ file, text: normalise(readFileSync(join(root, dir, file), 'utf8')) }));
  return { name: manifest.name, version: manifest.version, license, dir, texts };
}

/** Line endings and trailing blanks differ between packages that ship the same text. */
function normalise(text: string): string {
  return `${text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim()}\n`;
}

/**
 * The notices file: a list of the packages, then each distinct license text once, preceded by
 * the packages that ship it (most AWS SDK packages ship the same Apache-2.0 text).
 */
export function noticesText(packages: BundledPackage[], bundle: string): string {
  const label = (p: BundledPackage) => `${p.name} ${p.version}`;
  const groups = new Map<string, string[]>();
  const withoutText: BundledPackage[] = [];
  for (const p of packages) {
    if (p.texts.length === 0) withoutText.push(p);
    for (const { file, text } of p.texts) {
      groups.set(text, [...(groups.get(text) ?? []), `${label(p)} (${file})`]);
    }
  }
  const lines = [
    `Third-party software in ${bundle}`,
    '',
    `${bundle} contains code of the following ${packages.length} npm packages. Each is listed with`,
    'its version and the license its package.json names; the license and notice texts the packages',
    'ship follow, each text once with the packages that ship it.',
    '',
    ...packages.map((p) => `  ${label(p)}  ${p.license}`),
  ];
  if (withoutText.length > 0) {
    lines.push(
      '',
      'These packages ship no license file; the license their package.json names applies:',
      ...withoutText.map((p) => `  ${label(p)}  ${p.license}`),
    );
  }
  for (const [text, shippedBy] of groups) {
    lines.push('', RULE, 'Shipped by:', ...shippedBy.map((s) => `  ${s}`), RULE, '', text.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
