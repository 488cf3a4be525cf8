import { execFileSync } from 'node:child_process';
import { ReleaseError } from './upload.ts';

function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function tagName(version: string): string {
  return `v${version}`;
}

/**
 * Refuses a tag that would not name the released bytes: one that exists, or a build from
 * uncommitted changes or from another commit than HEAD.
 */
export function checkTaggable(root: string, version: string, builtCommit: string | undefined): void {
  const tag = tagName(version);
  let existing = '';
  try {
    existing = git(root, 'tag', '--list', tag);
  } catch (error) {
    throw new ReleaseError(`--tag needs a git repository: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
  if (existing !== '') throw new ReleaseError(`git tag ${tag} exists already: release another version`);
  if (builtCommit === undefined) return;
  if (builtCommit.endsWith('-dirty')) {
    throw new ReleaseError(
      `the zip was built from uncommitted changes (${builtCommit}): commit them and release again, or release without --tag`,
    );
  }
  const head = git(root, 'rev-parse', 'HEAD');
  if (builtCommit !== head) {
    throw new ReleaseError(
      `the zip was built from ${builtCommit}, but HEAD is ${head}: build again, or release without --tag`,
    );
  }
}

/** An annotated tag on HEAD naming where the release went. */
export function createTag(root: string, version: string, s3Uri: string): string {
  const tag = tagName(version);
  git(root, 'tag', '--annotate', tag, '--message', `mysql-password-rotation ${version}: ${s3Uri}`);
  return tag;
}
