import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, stageModule, temporaryDir, terraform } from './terraform.ts';

// test/module/tftest/*.tftest.hcl run by `terraform test` with `mock_provider "aws"`, on a copy of
// the module whose time_sleep is a terraform_data (hashicorp/time is not available offline).
describe('terraform test with a mocked AWS provider (time_sleep replaced by terraform_data)', () => {
  let workspace: ReturnType<typeof temporaryDir>;

  beforeAll(async () => {
    workspace = temporaryDir('module-tftest');
    stageModule(workspace.dir);
    cpSync(join(repoRoot, 'test', 'module', 'tftest'), join(workspace.dir, 'tftest'), { recursive: true });
    await terraform(['init', '-backend=false', '-no-color', '-input=false'], workspace.dir);
  });

  afterAll(() => workspace?.remove());

  it.each([
    ['renders the environment, IAM policy, security-group rules and permissions', 'renders.tftest.hcl'],
    ['rejects every invalid input at its variable', 'validations.tftest.hcl'],
  ])('%s (%s)', async (_label, file) => {
    const result = await terraform(
      [
        'test',
        '-no-color',
        '-test-directory=tftest',
        '-var-file=tftest/common.tfvars',
        `-filter=tftest/${file}`,
      ],
      workspace.dir,
      { allowFailure: true },
    );
    const failures = result.stdout.split('\n').filter((line) => /\.\.\. fail$/.test(line));
    expect(failures, `${result.stdout}\n${result.stderr}`).toEqual([]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/Success! \d+ passed, 0 failed\./);
  });
});
