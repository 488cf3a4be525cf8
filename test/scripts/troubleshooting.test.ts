import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/troubleshooting.md quotes the messages users meet. Each quoted message must still be
// written that way by the function or the scripts, or come from outside (AWS, Lambda, Node,
// MySQL): a reworded message shows up here instead of silently leaving the guide behind.
const root = join(import.meta.dirname, '..', '..');
const guide = readFileSync(join(root, 'docs/troubleshooting.md'), 'utf8');

/** Messages written by AWS, Lambda, Node's TLS or the MySQL server, not by this repository. */
const OUTSIDE = [
  'InvalidRequestException: A previous rotation',
  'Task timed out after',
  'AccessDeniedException: User:',
  'is not authorized to perform: secretsmanager:GetSecretValue on resource:',
  'AccessDeniedException: Access to KMS is not allowed',
  'self-signed certificate in certificate chain [SELF_SIGNED_CERT_IN_CHAIN]',
  'unable to get local issuer certificate [UNABLE_TO_GET_ISSUER_CERT_LOCALLY]',
  "Hostname/IP does not match certificate's altnames:",
  '[ERR_TLS_CERT_ALTNAME_INVALID]',
  "Access denied for user '",
  '(using password: YES) [ER_ACCESS_DENIED_ERROR]',
  'connect ETIMEDOUT',
  '[ETIMEDOUT]',
  'AccessDeniedException',
  'lambda:InvokeFunction',
];

/** What the scripts print before each message. */
const PREFIXES = ['scripts/invoke: ', 'scripts/logs: '];

function sources(dir: string): string {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => readFileSync(join(root, dir, name), 'utf8'))
    .join('\n');
}

// Messages are built from template literals split over lines: compare without the joins.
const written = [sources('function/src'), sources('scripts')]
  .join('\n')
  .replace(/['`]\s*\+\s*['`]/g, '')
  .replace(/\$\{[^}]*\}/g, '\u0000');

/**
 * The literal parts of each quoted message: what lies between <placeholders>, "...", sentence
 * ends and the words of outside messages, without the scripts' prefix.
 */
function quotedParts(): string[] {
  const blocks = [...guide.matchAll(/```text\n([\s\S]*?)```/g)].map((match) => match[1] as string);
  const outside = [...OUTSIDE].sort((a, b) => b.length - a.length);
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s{2,}\(.*\)$/, '').trim())
    .map((line) =>
      PREFIXES.reduce((rest, prefix) => (rest.startsWith(prefix) ? rest.slice(prefix.length) : rest), line),
    )
    .map((line) => outside.reduce((rest, known) => rest.replaceAll(known, '<outside>'), line))
    .flatMap((line) => line.split(/<[^>]+>|\.\.\.|\.\s/))
    .map((part) => part.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, ''))
    .filter((part) => part.length >= 6);
}

describe('docs/troubleshooting.md', () => {
  it('quotes messages as the function and the scripts write them', () => {
    const parts = quotedParts();
    const known = (part: string) =>
      written.includes(part) || OUTSIDE.some((outside) => outside.includes(part));

    expect(parts.length).toBeGreaterThan(30);
    expect(parts.filter((part) => !known(part))).toEqual([]);
  });

  it('has a section for every message its table lists', () => {
    const anchors = [...guide.matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((match) => match[1]);
    const headings = [...guide.matchAll(/^## (.+)$/gm)].map((match) =>
      (match[1] as string)
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replaceAll(' ', '-'),
    );

    expect(anchors.length).toBeGreaterThanOrEqual(10);
    expect(anchors.filter((anchor) => !headings.includes(anchor as string))).toEqual([]);
  });
});
