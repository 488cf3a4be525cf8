// Invariants a plan cannot show, read from the HCL itself with @cdktf/hcl2json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleNames, repoRoot } from './terraform.ts';

type Block = Record<string, unknown>;
type Blocks = Record<string, Block[]>;

interface Hcl {
  variable?: Blocks;
  output?: Blocks;
  resource?: Record<string, Blocks>;
  module?: Blocks;
  terraform?: Block[];
  run?: Blocks;
}

/** hcl2json writes references as "${...}". */
const ref = (expression: string): string => `\${${expression}}`;

async function parseFile(path: string): Promise<Hcl> {
  return (await parse(relative(repoRoot, path), readFileSync(path, 'utf8'))) as Hcl;
}

async function parseDir(dir: string): Promise<Hcl> {
  const files = readdirSync(dir).filter((file) => file.endsWith('.tf'));
  const parts = await Promise.all(files.map((file) => parseFile(join(dir, file))));
  const merged: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [kind, value] of Object.entries(part)) {
      if (kind === 'terraform') {
        merged.terraform = [...((merged.terraform as Block[] | undefined) ?? []), ...(value as Block[])];
      } else if (kind === 'resource') {
        // Resources of one type may be spread over several files.
        const types = (merged.resource ?? {}) as Record<string, Blocks>;
        for (const [type, blocks] of Object.entries(value as Record<string, Blocks>)) {
          types[type] = { ...types[type], ...blocks };
        }
        merged.resource = types;
      } else {
        merged[kind] = { ...(merged[kind] as object | undefined), ...(value as object) };
      }
    }
  }
  return merged as Hcl;
}

function only<T>(items: T[] | undefined, what: string): T {
  expect(items, what).toHaveLength(1);
  return (items as T[])[0] as T;
}

function resource(hcl: Hcl, type: string, name: string): Block {
  return only(hcl.resource?.[type]?.[name], `${type}.${name}`);
}

/** Every `.tf` file the repository owns, skipping dependencies and generated output. */
function terraformFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) {
      return /^(node_modules|cdktf\.out|dist|\..*)$/.test(entry.name)
        ? []
        : terraformFiles(join(dir, entry.name));
    }
    return entry.name.endsWith('.tf') ? [join(dir, entry.name)] : [];
  });
}

describe('the module HCL', () => {
  let hcl: Hcl;

  beforeAll(async () => {
    hcl = await parseDir(repoRoot);
  });

  it('parses every .tf file in the repository', async () => {
    const files = terraformFiles(repoRoot);
    expect(files.length).toBeGreaterThan(4);
    for (const file of files) await expect(parseFile(file), file).resolves.toBeTypeOf('object');
  });

  it('never lets an apply overwrite the rotated secret value (ignore_changes = [secret_string])', () => {
    const version = resource(hcl, 'aws_secretsmanager_secret_version', 'this');
    const lifecycle = only(version.lifecycle as Block[], 'lifecycle');
    expect(lifecycle.ignore_changes).toEqual([ref('secret_string')]);
    expect(version.secret_string).toContain('username = each.value.username');
    expect(version.secret_string).toContain('password = var.default_provision_passwords[each.key]');
  });

  it('configures the rotation only after the invoke permission and the first version', () => {
    const rotation = resource(hcl, 'aws_secretsmanager_secret_rotation', 'this');
    expect(rotation.depends_on).toEqual(
      expect.arrayContaining([
        ref('aws_lambda_permission.secrets_manager'),
        ref('aws_secretsmanager_secret_version.this'),
      ]),
    );
    expect(rotation.rotation_lambda_arn).toBe(ref('aws_lambda_alias.rotation.arn'));
  });

  it('lets Secrets Manager invoke the rotation alias alone, for its secret, and manual principals the manual alias alone', () => {
    const secretsManager = resource(hcl, 'aws_lambda_permission', 'secrets_manager');
    expect(secretsManager.qualifier).toBe(ref('aws_lambda_alias.rotation.name'));
    expect(secretsManager.for_each).toBe(ref('var.users'));
    expect(secretsManager.source_arn).toBe(ref('aws_secretsmanager_secret.this[each.key].arn'));
    expect(secretsManager.source_account).toBe(ref('local.account_id'));
    const manual = resource(hcl, 'aws_lambda_permission', 'manual_invoke');
    expect(manual.qualifier).toBe(ref('aws_lambda_alias.manual.name'));
    const fn = resource(hcl, 'aws_lambda_function', 'this');
    expect(fn.publish).toBe(true);
  });

  it('gives the role inline policies only: its own and, apart, the administrator credentials', () => {
    expect(hcl.resource?.aws_iam_role_policy_attachment).toBeUndefined();
    expect(Object.keys(hcl.resource?.aws_iam_role_policy ?? {}).sort()).toEqual(['administrator', 'this']);
  });

  it('lets EventBridge invoke the manual alias for the notice schedule only', () => {
    const notice = resource(hcl, 'aws_lambda_permission', 'notice');
    expect(notice.principal).toBe('events.amazonaws.com');
    expect(notice.qualifier).toBe(ref('aws_lambda_alias.manual.name'));
    expect(notice.source_arn).toBe(ref('aws_cloudwatch_event_rule.notice[0].arn'));
    expect(resource(hcl, 'aws_cloudwatch_event_target', 'notice').arn).toBe(
      ref('aws_lambda_alias.manual.arn'),
    );
  });

  it('lets neither the function nor the rotations wait for the administrator policy (RDS master secrets exist only after rotation_ready)', () => {
    const waits = [
      resource(hcl, 'aws_lambda_function', 'this').depends_on,
      resource(hcl, 'aws_secretsmanager_secret_rotation', 'this').depends_on,
      resource(hcl, 'time_sleep', 'initial_rotation').depends_on,
    ];
    for (const dependsOn of waits) {
      expect(JSON.stringify(dependsOn)).not.toContain('aws_iam_role_policy.administrator');
    }
  });

  it('keeps every password out of the function environment', async () => {
    const main = await parseFile(join(repoRoot, 'main.tf'));
    const text = JSON.stringify((main as { locals?: unknown }).locals);
    expect(text).toContain('PROVISION_SECRET_ARN');
    expect(text).not.toMatch(/DEFAULT_PROVISION_PASSWORD|default_provision_password/);
  });

  it('checks the deployed code against source_code_hash', () => {
    const fn = resource(hcl, 'aws_lambda_function', 'this');
    const lifecycle = only(fn.lifecycle as Block[], 'lifecycle');
    const postcondition = only(lifecycle.postcondition as Block[], 'postcondition');
    expect(postcondition.condition).toBe(ref('self.code_sha256 == var.source_code_hash'));
  });

  it('waits with the real time_sleep after the rotation, for rotation_wait_duration', () => {
    const sleep = resource(hcl, 'time_sleep', 'initial_rotation');
    expect(sleep.depends_on).toEqual([ref('aws_secretsmanager_secret_rotation.this')]);
    expect(sleep.create_duration).toBe(ref('var.rotation_wait_duration'));
    expect(only(hcl.variable?.rotation_wait_duration, 'rotation_wait_duration').default).toBe('20s');
  });

  it('makes rotation_ready wait for the time_sleep', () => {
    const ready = only(hcl.output?.rotation_ready, 'rotation_ready');
    expect(ready.value).toBe(ref('time_sleep.initial_rotation.id'));
  });

  it('creates the log group before the function', () => {
    const fn = resource(hcl, 'aws_lambda_function', 'this');
    expect(fn.depends_on).toEqual(expect.arrayContaining([ref('aws_cloudwatch_log_group.this')]));
  });

  it('requires the time provider and states lower bounds only', () => {
    const terraform = only(hcl.terraform, 'terraform block');
    const providers = only(
      terraform.required_providers as Record<string, { source: string; version: string }>[],
      'required_providers',
    );
    expect(providers.time?.source).toBe('hashicorp/time');
    const constraints = [
      String(terraform.required_version),
      ...Object.values(providers).map((provider) => provider.version),
    ];
    for (const constraint of constraints) expect(constraint).toMatch(/^>= ?\d+(\.\d+)*$/);
  });

  it('describes and types every variable and describes every output', () => {
    for (const [name, [variable]] of Object.entries(hcl.variable ?? {})) {
      expect(variable?.description, `variable ${name}`).toBeTruthy();
      expect(variable?.type, `variable ${name}`).toBeTruthy();
    }
    for (const [name, [output]] of Object.entries(hcl.output ?? {})) {
      expect(output?.description, `output ${name}`).toBeTruthy();
    }
  });

  it('marks the default provision passwords sensitive', () => {
    expect(only(hcl.variable?.default_provision_passwords, 'default_provision_passwords').sensitive).toBe(
      true,
    );
  });

  it('has one expect_failures run per validation rule', async () => {
    const rules = Object.entries(hcl.variable ?? {}).flatMap(([name, [variable]]) =>
      ((variable?.validation as Block[] | undefined) ?? []).map(() => `\${var.${name}}`),
    );
    const tests = await parseFile(join(repoRoot, 'test', 'module', 'tftest', 'validations.tftest.hcl'));
    const expected = Object.values(tests.run ?? {}).flatMap(
      ([run]) => (run?.expect_failures as string[]) ?? [],
    );
    expect(expected.sort()).toEqual(rules.sort());
  });
});

describe('the examples', () => {
  it.each(exampleNames)(
    'examples/%s is a complete root module calling the module from ../..',
    async (name) => {
      const dir = join(repoRoot, 'examples', name);
      for (const file of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md']) {
        expect(existsSync(join(dir, file)), `examples/${name}/${file}`).toBe(true);
      }
      const hcl = await parseDir(dir);
      for (const [moduleName, [call]] of Object.entries(hcl.module ?? {})) {
        expect(call?.source, `module ${moduleName}`).toBe('../..');
      }
      // A copy elsewhere would resolve ../.. to some other directory: the README must say what to write.
      if (Object.keys(hcl.module ?? {}).length > 0) {
        const readme = readFileSync(join(dir, 'README.md'), 'utf8');
        expect(readme).toContain('## Copying this example');
        expect(readme).toMatch(/source = "git::https:\/\/[^"]+\?ref=v\d+\.\d+\.\d+"/);
        expect(readme).toContain('hashicorp/time');
      }
    },
  );

  it('creates the databases of examples/complete only after rotation_ready', async () => {
    const hcl = await parseDir(join(repoRoot, 'examples', 'complete'));
    const instances = resource(hcl, 'aws_db_instance', 'this');
    expect(instances.for_each).toBeTruthy();
    expect(instances.depends_on).toEqual([ref('module.password_rotation.rotation_ready')]);
    expect(Object.keys(hcl.module ?? {})).toEqual(['password_rotation']);
  });

  it('keeps the cdktf example next to the HCL ones', () => {
    for (const file of ['main.ts', 'cdktf.json', 'README.md']) {
      expect(existsSync(join(repoRoot, 'examples', 'cdktf', file)), `examples/cdktf/${file}`).toBe(true);
    }
  });
});
