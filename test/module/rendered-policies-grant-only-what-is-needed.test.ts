// The execution-role policy and the release-bucket policy, taken from `terraform show -json` of real
// plans (against moto_server, which answers the provider's account lookups), evaluated with
// @cloud-copilot/iam-simulate. iam-simulate is AGPL: a test-only dependency, never in the bundle.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MotoServer as Moto,
  MOTO_ACCOUNT_ID as motoAccountId,
  TEST_REGION as motoRegion,
  startMoto,
} from '../../sandbox/moto.ts';
import { motoProviderOverride, stageModule, temporaryDir, terraform } from './terraform.ts';

interface PlannedResource {
  address: string;
  values: Record<string, unknown>;
}

interface PlanModule {
  resources?: PlannedResource[];
  child_modules?: PlanModule[];
}

function plannedResources(module: PlanModule | undefined): PlannedResource[] {
  if (!module) return [];
  return [...(module.resources ?? []), ...(module.child_modules ?? []).flatMap(plannedResources)];
}

async function planValues(dir: string, vars: Record<string, unknown>): Promise<PlannedResource[]> {
  writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify(vars));
  await terraform(['init', '-no-color', '-input=false'], dir);
  await terraform(['plan', '-no-color', '-input=false', '-out=plan.tfplan'], dir);
  const plan = JSON.parse((await terraform(['show', '-no-color', '-json', 'plan.tfplan'], dir)).stdout);
  return plannedResources(plan.planned_values?.root_module);
}

function policyOf(resources: PlannedResource[], address: string): unknown {
  const resource = resources.find((candidate) => candidate.address === address);
  if (!resource) throw new Error(`${address} is not in the plan`);
  return JSON.parse(String(resource.values.policy));
}

const secretName = 'shop/mysql/app';
const secretArn = `arn:aws:secretsmanager:${motoRegion}:${motoAccountId}:secret:${secretName}-AbCdEf`;
const roleArn = `arn:aws:iam::${motoAccountId}:role/shop-rotation`;
const kmsKeyArn = `arn:aws:kms:${motoRegion}:${motoAccountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const bucketName = 'dba-function-releases';
const bucketOwner = '111122223333';
const organizationId = 'o-a1b2c3d4e5';
const releaseObject = `arn:aws:s3:::${bucketName}/mysql-password-rotation/1.0.0/function.zip`;

describe('rendered policies', () => {
  let moto: Moto;
  let workspace: ReturnType<typeof temporaryDir>;
  let rolePolicy: unknown;
  let bucketPolicy: unknown;

  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: true, lambdaWithoutDocker: true, captureOutput: true });
    workspace = temporaryDir('module-policies');
    stageModule(workspace.dir, ['function-bucket']);
    const provider = motoProviderOverride(moto.endpoint, motoRegion);
    writeFileSync(join(workspace.dir, 'provider.tf'), provider);
    const bucketDir = join(workspace.dir, 'examples', 'function-bucket');
    writeFileSync(join(bucketDir, 'moto_override.tf'), provider);

    const [moduleResources, bucketResources] = await Promise.all([
      planValues(workspace.dir, {
        name: 'shop-rotation',
        s3_bucket: bucketName,
        s3_key: 'mysql-password-rotation/1.0.0/function.zip',
        vpc_id: 'vpc-0123456789abcdef0',
        subnet_ids: ['subnet-0123456789abcdef0'],
        api_endpoint_cidr_blocks: ['10.0.0.0/24'],
        database_cidr_blocks: ['10.0.16.0/20'],
        secret_name: secretName,
        username: 'app',
        default_provision_password: 'Provision-Password-1',
        kms_key_arn: kmsKeyArn,
      }),
      planValues(bucketDir, { bucket_name: bucketName, organization_id: organizationId, region: motoRegion }),
    ]);
    rolePolicy = policyOf(moduleResources, 'aws_iam_role_policy.this');
    bucketPolicy = policyOf(bucketResources, 'aws_s3_bucket_policy.this');
  });

  afterAll(async () => {
    await moto?.stop();
    workspace?.remove();
  });

  async function roleMay(
    action: string,
    resource: string,
    resourcePolicy?: unknown,
  ): Promise<EvaluationResult> {
    const result = await runSimulation(
      {
        request: {
          principal: roleArn,
          action,
          resource: { resource, accountId: motoAccountId },
          contextVariables: {},
        },
        identityPolicies: [{ name: 'rotation', policy: rolePolicy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy,
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  it.each([
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
    'secretsmanager:UpdateSecretVersionStage',
    'secretsmanager:ListSecretVersionIds',
  ])('lets the execution role %s on its own secret', async (action) => {
    expect(await roleMay(action, secretArn)).toBe('Allowed');
  });

  it.each([
    `arn:aws:secretsmanager:${motoRegion}:${motoAccountId}:secret:other/mysql/app-AbCdEf`,
    `arn:aws:secretsmanager:${motoRegion}:${motoAccountId}:secret:${secretName}-extra-AbCdEf`,
    `arn:aws:secretsmanager:${motoRegion}:999988887777:secret:${secretName}-AbCdEf`,
  ])('keeps the execution role away from any other secret (%s)', async (otherSecret) => {
    expect(await roleMay('secretsmanager:GetSecretValue', otherSecret)).toBe('ImplicitlyDenied');
    expect(await roleMay('secretsmanager:PutSecretValue', otherSecret)).toBe('ImplicitlyDenied');
  });

  it('does not let the execution role delete or reconfigure its secret', async () => {
    expect(await roleMay('secretsmanager:DeleteSecret', secretArn)).toBe('ImplicitlyDenied');
    expect(await roleMay('secretsmanager:RotateSecret', secretArn)).toBe('ImplicitlyDenied');
    expect(await roleMay('secretsmanager:PutResourcePolicy', secretArn)).toBe('ImplicitlyDenied');
  });

  it('lets the execution role discover instances but not change them', async () => {
    const instance = `arn:aws:rds:${motoRegion}:${motoAccountId}:db:shop-a`;
    expect(await roleMay('rds:DescribeDBInstances', instance)).toBe('Allowed');
    expect(await roleMay('rds:ModifyDBInstance', instance)).toBe('ImplicitlyDenied');
  });

  it('lets the execution role use the given KMS key and no other', async () => {
    // KMS honours identity policies only when the key policy delegates to the account (the default key policy).
    const keyPolicy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${motoAccountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    expect(await roleMay('kms:Decrypt', kmsKeyArn, keyPolicy)).toBe('Allowed');
    expect(await roleMay('kms:GenerateDataKey', kmsKeyArn, keyPolicy)).toBe('Allowed');
    const otherKey = `arn:aws:kms:${motoRegion}:${motoAccountId}:key/ffffffff-12ab-34cd-56ef-1234567890ab`;
    expect(await roleMay('kms:Decrypt', otherKey, keyPolicy)).toBe('ImplicitlyDenied');
  });

  async function readRelease(principal: string, context: Record<string, string>): Promise<EvaluationResult> {
    const result = await runSimulation(
      {
        request: {
          principal,
          action: 's3:GetObject',
          resource: { resource: releaseObject, accountId: bucketOwner },
          contextVariables: context,
        },
        // The caller's own account lets it read any object; the bucket policy decides.
        identityPolicies: [
          {
            name: 'read-anything',
            policy: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
            },
          },
        ],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: bucketPolicy,
        additionalSettings: { s3: { blockPublicAccess: true } },
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  it('lets a principal of the organization read function.zip over TLS, despite Block Public Access', async () => {
    const result = await readRelease('arn:aws:iam::444455556666:role/terraform', {
      'aws:PrincipalOrgID': organizationId,
      'aws:SecureTransport': 'true',
    });
    expect(result).toBe('Allowed');
  });

  it('refuses function.zip to a principal outside the organization', async () => {
    const result = await readRelease('arn:aws:iam::777788889999:role/terraform', {
      'aws:PrincipalOrgID': 'o-zzzzzzzzzz',
      'aws:SecureTransport': 'true',
    });
    expect(result).toBe('ImplicitlyDenied');
  });

  it('refuses a request without TLS, even from the organization', async () => {
    const result = await readRelease('arn:aws:iam::444455556666:role/terraform', {
      'aws:PrincipalOrgID': organizationId,
      'aws:SecureTransport': 'false',
    });
    expect(result).toBe('ExplicitlyDenied');
  });
});
