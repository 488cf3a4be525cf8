import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleNames, repoRoot, stageModule, temporaryDir, terraform } from './terraform.ts';

describe('the Terraform code', () => {
  let workspace: ReturnType<typeof temporaryDir>;

  beforeAll(() => {
    workspace = temporaryDir('module-validate');
    stageModule(workspace.dir, exampleNames);
  });

  afterAll(() => workspace?.remove());

  it('is formatted (terraform fmt -check -recursive)', async () => {
    const result = await terraform(['fmt', '-check', '-recursive', '-no-color'], repoRoot, {
      allowFailure: true,
    });
    expect(result.stdout, `files terraform fmt would change:\n${result.stdout}${result.stderr}`).toBe('');
    expect(result.code).toBe(0);
  });

  it('has the examples the documentation promises', () => {
    expect(exampleNames).toEqual(expect.arrayContaining(['complete', 'function-bucket']));
  });

  it.each([
    ['the module (time_sleep replaced by terraform_data)', '.'],
    ...exampleNames.map((name) => [`examples/${name} (calling the module copy)`, join('examples', name)]),
  ])('validates %s', async (_label, relative) => {
    const dir = join(workspace.dir, relative);
    await terraform(['init', '-backend=false', '-no-color', '-input=false'], dir);
    const result = await terraform(['validate', '-no-color', '-json'], dir);
    const report = JSON.parse(result.stdout);
    expect(report.diagnostics).toEqual([]);
    expect(report.valid).toBe(true);
  });
});
