import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, temporaryDir } from './terraform.ts';

const run = promisify(execFile);
const tfDocs = join(repoRoot, 'scripts', 'tf-docs');

describe('the input/output tables of the README and docs/module-reference.md', () => {
  let workspace: ReturnType<typeof temporaryDir>;

  beforeAll(() => {
    workspace = temporaryDir('module-docs');
    for (const file of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md']) {
      copyFileSync(join(repoRoot, file), join(workspace.dir, file));
    }
  });

  afterAll(() => workspace?.remove());

  it('match the code (scripts/tf-docs --check)', async () => {
    await expect(run(tfDocs, ['--check'])).resolves.toBeDefined();
  });

  it('list every variable and output', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const tables = readme.slice(
      readme.indexOf('<!-- BEGIN_TF_DOCS -->'),
      readme.indexOf('<!-- END_TF_DOCS -->'),
    );
    const names = (file: string, kind: string) =>
      [...readFileSync(join(repoRoot, file), 'utf8').matchAll(new RegExp(`^${kind} "([^"]+)"`, 'gm'))].map(
        (match) => match[1],
      );
    for (const name of [...names('variables.tf', 'variable'), ...names('outputs.tf', 'output')]) {
      expect(tables).toContain(`| ${name} |`);
    }
  });

  it('are reported as drifted when a description changes', async () => {
    const variables = join(workspace.dir, 'variables.tf');
    writeFileSync(
      variables,
      readFileSync(variables, 'utf8').replace('Subnets the function runs in', 'Subnets of the function'),
    );
    await expect(run(tfDocs, ['--check', workspace.dir])).rejects.toMatchObject({ code: 1 });
    await run(tfDocs, [workspace.dir]);
    await expect(run(tfDocs, ['--check', workspace.dir])).resolves.toBeDefined();
    expect(readFileSync(join(workspace.dir, 'README.md'), 'utf8')).toContain('Subnets of the function');
    expect(readFileSync(join(workspace.dir, 'docs', 'module-reference.md'), 'utf8')).toContain(
      'Subnets of the function',
    );
  });

  it('give the README a short line per input and the reference its type and whole description', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const reference = readFileSync(join(repoRoot, 'docs', 'module-reference.md'), 'utf8');
    expect(readme).toMatch(/\| subnet_ids \| Subnets the function runs in[^|]*\| required \|/);
    expect(reference).toMatch(
      /\| subnet_ids \| Subnets the function runs in[^|]*\| `list\(string\)` \| n\/a \| yes \|/,
    );
    expect(readme).toContain('[docs/module-reference.md](docs/module-reference.md)');
  });
});
