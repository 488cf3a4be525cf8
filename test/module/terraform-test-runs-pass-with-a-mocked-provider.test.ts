import { copyFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, stageModule, temporaryDir, terraform } from './terraform.ts';

const tftest = join(repoRoot, 'test', 'module', 'tftest');

async function terraformTest(dir: string, file: string): Promise<void> {
  const result = await terraform(
    [
      'test',
      '-no-color',
      '-test-directory=tftest',
      '-var-file=tftest/common.tfvars',
      `-filter=tftest/${file}`,
    ],
    dir,
    { allowFailure: true },
  );
  const failures = result.stdout.split('\n').filter((line) => /\.\.\. fail$/.test(line));
  expect(failures, `${result.stdout}\n${result.stderr}`).toEqual([]);
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toMatch(/Success! \d+ passed, 0 failed\./);
}

// test/module/tftest/renders.tftest.hcl runs with `mock_provider "aws"` on a copy of the module whose
// time_sleep is a terraform_data (hashicorp/time is not available offline).
describe('terraform test of what the module renders, with a mocked AWS provider', () => {
  let workspace: ReturnType<typeof temporaryDir>;

  beforeAll(async () => {
    workspace = temporaryDir('module-tftest');
    stageModule(workspace.dir);
    cpSync(tftest, join(workspace.dir, 'tftest'), { recursive: true });
    await terraform(['init', '-backend=false', '-no-color', '-input=false'], workspace.dir);
  });

  afterAll(() => workspace?.remove());

  it('renders the environment, policies, security-group rules, permissions and notifications (renders.tftest.hcl)', async () => {
    await terraformTest(workspace.dir, 'renders.tftest.hcl');
  }, 300_000);
});

// Variable validations read only the variables, so test/module/tftest/validations.tftest.hcl runs
// against variables.tf alone: no provider starts, and one plan per rule takes milliseconds instead of
// a second.
describe('terraform test of the input validations, on variables.tf alone', () => {
  let workspace: ReturnType<typeof temporaryDir>;

  beforeAll(async () => {
    workspace = temporaryDir('module-validations');
    copyFileSync(join(repoRoot, 'variables.tf'), join(workspace.dir, 'variables.tf'));
    mkdirSync(join(workspace.dir, 'tftest'));
    for (const file of ['validations.tftest.hcl', 'common.tfvars']) {
      copyFileSync(join(tftest, file), join(workspace.dir, 'tftest', file));
    }
    await terraform(['init', '-backend=false', '-no-color', '-input=false'], workspace.dir);
  });

  afterAll(() => workspace?.remove());

  it('rejects every invalid input at its variable (validations.tftest.hcl)', async () => {
    await terraformTest(workspace.dir, 'validations.tftest.hcl');
  });
});
