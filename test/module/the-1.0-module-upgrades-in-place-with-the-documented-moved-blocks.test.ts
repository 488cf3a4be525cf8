// Applies the 1.0 module (test/module/fixtures/module-1.0) against moto_server, then upgrades the
// same state to the current module with the inputs and the moved blocks of docs/upgrading.md, and
// checks that the plan moves the secret instead of replacing it and that its password survives.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import {
  type Moto,
  motoAccountId,
  motoCredentials,
  motoRegion,
  queryApi,
  startMoto,
  stopMoto,
  xmlValues,
} from './moto.ts';
import {
  motoProviderOverride,
  repoRoot,
  stageModule,
  TERRAFORM_APPLY_TIMEOUT,
  temporaryDir,
  terraform,
} from './terraform.ts';

const bucket = 'dba-function-releases';
const key = 'mysql-password-rotation/1.0.0/function.zip';
const name = 'shop-mysql-password-rotation';
const secretName = 'shop/mysql/app';
const dpp = 'Provision-Password-1';

function functionZip(): Promise<Buffer> {
  return new Promise((resolveZip, reject) => {
    const zip = new ZipFile();
    zip.addBuffer(Buffer.from('export const handler = async () => ({});\n'), 'index.mjs', {
      mtime: new Date(1980, 0, 1),
      mode: 0o100644,
      forceDosTimestamp: true,
    });
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolveZip(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** The ```hcl block that follows the marker in docs/upgrading.md: the moved blocks a caller writes. */
function documentedMovedBlocks(): string {
  const doc = readFileSync(join(repoRoot, 'docs', 'upgrading.md'), 'utf8');
  const block = /<!-- upgrade-moved-blocks -->\n```hcl\n([\s\S]*?)\n```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/upgrading.md has no moved blocks after <!-- upgrade-moved-blocks -->');
  return block;
}

interface ResourceChange {
  address: string;
  previous_address?: string;
  type: string;
  change: { actions: string[] };
}

describe('upgrading the 1.0 module in place (time_sleep replaced by terraform_data)', () => {
  let moto: Moto;
  let workspace: ReturnType<typeof temporaryDir>;
  let secrets: SecretsManagerClient;
  let common: Record<string, unknown>;
  let secretArn: string;
  let currentVersionId: string;

  const rootDir = () => workspace.dir;
  const moduleDir = () => join(workspace.dir, 'rotation');
  const writeCall = (inputs: Record<string, unknown>) =>
    writeFileSync(
      join(rootDir(), 'main.tf.json'),
      JSON.stringify(
        { module: { password_rotation: { source: './rotation', ...common, ...inputs } } },
        null,
        2,
      ),
    );

  beforeAll(async () => {
    moto = await startMoto();
    const clientConfig = { endpoint: moto.endpoint, region: motoRegion, credentials: motoCredentials };
    secrets = new SecretsManagerClient(clientConfig);
    const zip = await functionZip();
    const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: zip }));
    s3.destroy();
    const vpc = await queryApi(moto, 'ec2', '2016-11-15', 'CreateVpc', { CidrBlock: '10.0.0.0/16' });
    const vpcId = xmlValues(vpc, 'vpcId')[0] ?? '';
    const subnet = await queryApi(moto, 'ec2', '2016-11-15', 'CreateSubnet', {
      VpcId: vpcId,
      CidrBlock: '10.0.1.0/24',
    });

    common = {
      name,
      s3_bucket: bucket,
      s3_key: key,
      source_code_hash: createHash('sha256').update(zip).digest('base64'),
      vpc_id: vpcId,
      subnet_ids: [xmlValues(subnet, 'subnetId')[0] ?? ''],
      api_endpoint_cidr_blocks: ['10.0.0.0/24'],
      database_cidr_blocks: ['10.0.16.0/20'],
      recovery_window_in_days: 0,
      manual_invoke_principals: ['arn:aws:iam::444455556666:role/dba-backend'],
    };

    workspace = temporaryDir('module-upgrade');
    const fixture = join(repoRoot, 'test', 'module', 'fixtures', 'module-1.0');
    stageModule(moduleDir(), [], fixture);
    writeFileSync(join(rootDir(), 'provider.tf'), motoProviderOverride(moto.endpoint, motoRegion));
    writeCall({
      secret_name: secretName,
      username: 'app',
      default_provision_password: dpp,
      rotation_automatically_after_days: 7,
    });
    await terraform(['init', '-no-color', '-input=false'], rootDir());
    await terraform(['apply', '-no-color', '-auto-approve', '-input=false'], rootDir());

    const listed = await secrets.send(new ListSecretsCommand({}));
    secretArn = listed.SecretList?.find((secret) => secret.Name === secretName)?.ARN ?? '';
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
    currentVersionId =
      Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes('AWSCURRENT'),
      )?.[0] ?? '';
  }, TERRAFORM_APPLY_TIMEOUT);

  afterAll(async () => {
    secrets?.destroy();
    await stopMoto(moto);
    workspace?.remove();
  });

  it(
    'plans the 2.0 module with the documented moved blocks without destroying a secret',
    async () => {
      expect(secretArn).toMatch(new RegExp(`:secret:${secretName}-`));
      for (const file of readdirSync(moduleDir())) rmSync(join(moduleDir(), file), { recursive: true });
      stageModule(moduleDir());
      writeFileSync(join(rootDir(), 'moved.tf'), `${documentedMovedBlocks()}\n`);
      writeCall({
        users: { app: { username: 'app', secret_name: secretName } },
        default_provision_passwords: { app: dpp },
        rotation_rules: { automatically_after_days: 7 },
        secret_admin_role_arns: [`arn:aws:iam::${motoAccountId}:role/shop-terraform`],
        db_tag: { key: 'application', value: 'shop' },
      });
      await terraform(['init', '-no-color', '-input=false'], rootDir());
      await terraform(['plan', '-no-color', '-input=false', '-out=upgrade.tfplan'], rootDir());
      const plan = JSON.parse(
        (await terraform(['show', '-no-color', '-json', 'upgrade.tfplan'], rootDir())).stdout,
      );
      const changes = plan.resource_changes as ResourceChange[];

      const secretChanges = changes.filter((change) => change.type.startsWith('aws_secretsmanager_secret'));
      const destroyed = secretChanges.filter((change) => change.change.actions.includes('delete'));
      expect(destroyed.map((change) => change.address)).toEqual([]);
      const moved = Object.fromEntries(
        secretChanges
          .filter((change) => change.previous_address)
          .map((change) => [change.address, change.previous_address]),
      );
      expect(moved).toEqual({
        'module.password_rotation.aws_secretsmanager_secret.this["app"]':
          'module.password_rotation.aws_secretsmanager_secret.this',
        'module.password_rotation.aws_secretsmanager_secret_version.this["app"]':
          'module.password_rotation.aws_secretsmanager_secret_version.this',
        'module.password_rotation.aws_secretsmanager_secret_rotation.this["app"]':
          'module.password_rotation.aws_secretsmanager_secret_rotation.this',
      });
      const replaced = changes
        .filter((change) => change.change.actions.includes('delete'))
        .map((change) => change.address);
      expect(replaced.sort()).toEqual([
        'module.password_rotation.aws_iam_role_policy_attachment.vpc_access',
        'module.password_rotation.aws_lambda_function_event_invoke_config.this',
        'module.password_rotation.aws_lambda_permission.manual_invoke["arn:aws:iam::444455556666:role/dba-backend"]',
        'module.password_rotation.aws_lambda_permission.secrets_manager',
        'module.password_rotation.terraform_data.initial_rotation',
      ]);
    },
    TERRAFORM_APPLY_TIMEOUT,
  );

  it(
    'applies the upgrade and keeps the secret, its current version and its password',
    async () => {
      await terraform(['apply', '-no-color', '-input=false', 'upgrade.tfplan'], rootDir());

      const described = await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
      expect(described.ARN).toBe(secretArn);
      expect(described.DeletedDate).toBeUndefined();
      expect(described.RotationLambdaARN).toBe(
        `arn:aws:lambda:${motoRegion}:${motoAccountId}:function:${name}:rotation`,
      );
      expect(described.VersionIdsToStages?.[currentVersionId]).toContain('AWSCURRENT');
      const current = await secrets.send(
        new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSCURRENT' }),
      );
      expect(JSON.parse(current.SecretString ?? '{}')).toEqual({ username: 'app', password: dpp });
    },
    TERRAFORM_APPLY_TIMEOUT,
  );
});
