import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exampleNames,
  limit,
  repoRoot,
  stageModule,
  TERRAFORM_APPLY_TIMEOUT,
  temporaryDir,
  terraform,
} from './terraform.ts';

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

  // Two at a time: each validation is one terraform process, mostly on one core. A test's time
  // includes its wait for a slot, hence the apply-sized timeout.
  const slots = limit(2);

  it.concurrent.each([
    ['the module (time_sleep replaced by terraform_data)', '.'],
    ...exampleNames.map((name) => [`examples/${name} (calling the module copy)`, join('examples', name)]),
  ])(
    'validates %s',
    async (_label, relative) => {
      const dir = join(workspace.dir, relative);
      const report = await slots(async () => {
        await terraform(['init', '-backend=false', '-no-color', '-input=false'], dir);
        return JSON.parse((await terraform(['validate', '-no-color', '-json'], dir)).stdout);
      });
      expect(report.diagnostics).toEqual([]);
      expect(report.valid).toBe(true);
      // The time waiting for a slot counts.
    },
    TERRAFORM_APPLY_TIMEOUT,
  );

  it('refuses rotation_rules with both days and a schedule already at terraform validate', async () => {
    const root = join(workspace.dir, 'caller-with-bad-inputs');
    mkdirSync(root);
    writeFileSync(
      join(root, 'main.tf'),
      `module "password_rotation" {
  source = "../"

  name                     = "shop-rotation"
  s3_bucket                = "dba-function-releases"
  s3_key                   = "mysql-password-rotation/1.0.0/function.zip"
  source_code_hash         = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  vpc_id                   = "vpc-0123456789abcdef0"
  subnet_ids               = ["subnet-0123456789abcdef0"]
  api_endpoint_cidr_blocks = ["10.0.0.0/24"]
  database_cidr_blocks     = ["10.0.16.0/20"]
  secret_admin_role_arns   = ["arn:aws:iam::111122223333:role/shop-admin"]
  db_tag                   = { key = "application", value = "shop" }

  users                       = { app = { username = "app", secret_name = "shop/mysql/app" } }
  default_provision_passwords = { app = "Provision-Password-1" }

  rotation_rules = { automatically_after_days = 7, schedule_expression = "rate(7 days)" }
}
`,
    );
    await terraform(['init', '-backend=false', '-no-color', '-input=false'], root);
    const result = await terraform(['validate', '-no-color', '-json'], root, { allowFailure: true });
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(false);
    const details = (report.diagnostics as { severity: string; summary: string; detail: string }[])
      .map((diagnostic) => {
        expect(diagnostic).toMatchObject({ severity: 'error', summary: 'Invalid value for variable' });
        return diagnostic.detail.split('\n\nThis was checked by')[0]?.replace(/\s+/g, ' ');
      })
      .sort();
    expect(details).toEqual([
      'Give rotation_rules.automatically_after_days or rotation_rules.schedule_expression, not both.',
    ]);
  });
});
