import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, stageModule, temporaryDir, terraform } from './terraform.ts';

const run = promisify(execFile);

describe('the cdktf example (module copy with time_sleep replaced by terraform_data)', () => {
  let workspace: ReturnType<typeof temporaryDir>;
  let stackDir: string;

  beforeAll(async () => {
    workspace = temporaryDir('module-cdktf');
    const moduleCopy = join(workspace.dir, 'module');
    stageModule(moduleCopy);
    await run(
      join(repoRoot, 'node_modules', '.bin', 'tsx'),
      [join(repoRoot, 'examples', 'cdktf', 'main.ts')],
      {
        cwd: workspace.dir,
        env: {
          ...process.env,
          CDKTF_OUTDIR: join(workspace.dir, 'cdktf.out'),
          ROTATION_MODULE_SOURCE: moduleCopy,
        },
      },
    );
    stackDir = join(workspace.dir, 'cdktf.out', 'stacks', 'application');
  });

  afterAll(() => workspace?.remove());

  it('synthesizes the module, the provider and databases that wait for rotation_ready', () => {
    const stack = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
    expect(stack.module.password_rotation).toMatchObject({
      users: { app: { username: 'app', secret_name: 'shop/mysql/app' } },
      default_provision_passwords: { app: `\${var.default_provision_password}` },
    });
    expect(stack.provider.aws).toEqual([{ region: 'eu-west-1' }]);
    const databases = Object.values(stack.resource.aws_db_instance) as { depends_on: string[] }[];
    expect(databases.length).toBeGreaterThan(1);
    for (const database of databases) {
      expect(database.depends_on).toEqual(['module.password_rotation.rotation_ready']);
    }
  });

  it('passes terraform validate', async () => {
    await terraform(['init', '-backend=false', '-no-color', '-input=false'], stackDir);
    const report = JSON.parse((await terraform(['validate', '-no-color', '-json'], stackDir)).stdout);
    expect(report.diagnostics).toEqual([]);
    expect(report.valid).toBe(true);
  });
});
