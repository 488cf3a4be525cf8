import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
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

// The renders*.tftest.hcl files run with `mock_provider "aws"` on a copy of the module whose
// time_sleep is a terraform_data (hashicorp/time is not available offline). Each run plans the whole
// module with a provider process of its own, so the two files run side by side.
describe('terraform test of what the module renders, with a mocked AWS provider', () => {
  let workspace: ReturnType<typeof temporaryDir>;

  beforeAll(async () => {
    workspace = temporaryDir('module-tftest');
    stageModule(workspace.dir);
    cpSync(tftest, join(workspace.dir, 'tftest'), { recursive: true });
    await terraform(['init', '-backend=false', '-no-color', '-input=false'], workspace.dir);
  });

  afterAll(() => workspace?.remove());

  it.concurrent.each([
    ['the environment, the role, the secret policies, the network and the code checks', 'renders.tftest.hcl'],
    [
      'several users, the strategies and the notifications',
      'renders-users-strategies-notifications.tftest.hcl',
    ],
  ])(
    'renders %s (%s)',
    async (_label, file) => {
      await terraformTest(workspace.dir, file);
    },
    300_000,
  );
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

  it('says which user name is too long with its alternating-users clone, and by how much', async () => {
    writeFileSync(
      join(workspace.dir, 'long-clone.tfvars.json'),
      JSON.stringify({
        users: {
          app: {
            username: 'application_user_of_thirty_chr',
            secret_name: 'shop/mysql/app',
            rotation_strategy: 'alternating-users',
          },
        },
        admin_secret_arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf',
      }),
    );
    const result = await terraform(
      [
        'plan',
        '-no-color',
        '-input=false',
        '-var-file=tftest/common.tfvars',
        '-var-file=long-clone.tfvars.json',
      ],
      workspace.dir,
      { allowFailure: true },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.replace(/[│\s]+/g, ' ')).toContain(
      'User names must fit the engine\'s limit, 32 characters for mysql and aurora-mysql, with the suffix "_clone" under alternating-users: users.app.username "application_user_of_thirty_chr" plus "_clone" makes 36. Shorten the name or alternating_user_suffix.',
    );
  });
});
