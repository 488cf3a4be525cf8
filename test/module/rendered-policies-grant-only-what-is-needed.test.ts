// The execution-role policy, the secrets' resource policies, the function's invoke permissions and
// the release-bucket policy, taken from real plans (against moto_server, which answers the provider's
// account lookups) and evaluated with an IAM policy simulator (policy-simulation.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MotoServer as Moto,
  MOTO_ACCOUNT_ID as motoAccountId,
  TEST_REGION as motoRegion,
  startMoto,
} from '../../sandbox/moto.ts';
import {
  allowEverything,
  lambdaResourcePolicy,
  planValues,
  policyOf,
  simulate,
} from './policy-simulation.ts';
import { motoProviderOverride, stageModule, TERRAFORM_APPLY_TIMEOUT, temporaryDir } from './terraform.ts';

const account = motoAccountId;
const secretName = 'shop/mysql/app';
const secretArn = `arn:aws:secretsmanager:${motoRegion}:${account}:secret:${secretName}-AbCdEf`;
const provisionSecretArn = `arn:aws:secretsmanager:${motoRegion}:${account}:secret:shop-rotation/default-provision-passwords-GhIjKl`;
const otherSecretArn = `arn:aws:secretsmanager:${motoRegion}:${account}:secret:other/mysql/app-AbCdEf`;
const functionArn = `arn:aws:lambda:${motoRegion}:${account}:function:shop-rotation`;
const functionRole = `arn:aws:iam::${account}:role/shop-rotation`;
const reportingSecretArn = `arn:aws:secretsmanager:${motoRegion}:${account}:secret:shop/mysql/reporting-StUvWx`;
const adminSecretArn = `arn:aws:secretsmanager:${motoRegion}:${account}:secret:shop/mysql/admin-AbCdEf`;
const appRole = `arn:aws:iam::${account}:role/shop-app`;
const reportsRole = `arn:aws:iam::${account}:role/shop-reports`;
const adminRole = `arn:aws:iam::${account}:role/shop-admin`;
const administratorAccessRole = `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`;
const dbaBackendRole = 'arn:aws:iam::444455556666:role/dba-backend';
const kmsKeyArn = `arn:aws:kms:${motoRegion}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const lambdaKmsKeyArn = `arn:aws:kms:${motoRegion}:${account}:key/5678abcd-12ab-34cd-56ef-1234567890ab`;
const bucketName = 'dba-function-releases';
const bucketOwner = '111122223333';
const releaseRole = `arn:aws:iam::${bucketOwner}:role/dba-release`;
const organizationId = 'o-a1b2c3d4e5';
const releaseObject = `arn:aws:s3:::${bucketName}/mysql-password-rotation/1.0.0/function.zip`;

// What an application role's own policy grants: reading its secret (output application_policies is
// simulated in the-module-applies-and-destroys-cleanly-against-moto.test.ts).
const applicationIdentityPolicy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArn }],
};

describe('rendered policies', () => {
  let moto: Moto;
  let workspace: ReturnType<typeof temporaryDir>;
  let rolePolicy: unknown;
  let administratorPolicy: unknown;
  let secretPolicy: unknown;
  let reportingSecretPolicy: unknown;
  let provisionPolicy: unknown;
  let invokePolicy: unknown;
  let bucketPolicy: unknown;

  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: true, lambdaWithoutDocker: true, captureOutput: true });
    workspace = temporaryDir('module-policies');
    stageModule(workspace.dir, ['function-bucket']);
    const provider = motoProviderOverride(moto.endpoint, motoRegion);
    writeFileSync(join(workspace.dir, 'provider.tf'), provider);
    const bucketDir = join(workspace.dir, 'examples', 'function-bucket');
    writeFileSync(join(bucketDir, 'moto_override.tf'), provider);

    const [resources, bucketResources] = await Promise.all([
      planValues(workspace.dir, {
        name: 'shop-rotation',
        s3_bucket: bucketName,
        s3_key: 'mysql-password-rotation/1.0.0/function.zip',
        source_code_hash: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
        vpc_id: 'vpc-0123456789abcdef0',
        subnet_ids: ['subnet-0123456789abcdef0'],
        api_endpoint_cidr_blocks: ['10.0.0.0/24'],
        database_cidr_blocks: ['10.0.16.0/20'],
        users: {
          app: { username: 'app', secret_name: secretName, application_role_arns: [appRole] },
          reporting: {
            username: 'reporting',
            secret_name: 'shop/mysql/reporting',
            application_role_arns: [reportsRole],
          },
        },
        default_provision_passwords: { app: 'Provision-Password-1', reporting: 'Provision-Password-2' },
        db_tag: { key: 'application', value: 'shop' },
        kms_key_arn: kmsKeyArn,
        lambda_kms_key_arn: lambdaKmsKeyArn,
        secret_admin_role_arns: [adminRole],
        manual_invoke_principals: [dbaBackendRole],
        admin_secret_arn: adminSecretArn,
      }),
      planValues(bucketDir, {
        bucket_name: bucketName,
        organization_id: organizationId,
        release_role_arn: releaseRole,
        region: motoRegion,
      }),
    ]);
    rolePolicy = policyOf(resources, 'aws_iam_role_policy.this');
    administratorPolicy = policyOf(resources, 'aws_iam_role_policy.administrator[0]');
    secretPolicy = policyOf(resources, 'aws_secretsmanager_secret_policy.this["app"]');
    reportingSecretPolicy = policyOf(resources, 'aws_secretsmanager_secret_policy.this["reporting"]');
    provisionPolicy = policyOf(resources, 'aws_secretsmanager_secret_policy.provision');
    invokePolicy = lambdaResourcePolicy(resources, functionArn, {
      'aws_lambda_permission.secrets_manager["app"]': secretArn,
      'aws_lambda_permission.secrets_manager["reporting"]': reportingSecretArn,
    });
    bucketPolicy = policyOf(bucketResources, 'aws_s3_bucket_policy.this');
  }, TERRAFORM_APPLY_TIMEOUT);

  afterAll(async () => {
    await moto?.stop();
    workspace?.remove();
  });

  describe('the function role', () => {
    const functionMay = (action: string, resource: string, resourcePolicy?: unknown, context = {}) =>
      simulate({
        principal: functionRole,
        action,
        resource,
        accountId: account,
        identityPolicies: [rolePolicy],
        resourcePolicy,
        context,
      });

    it.each([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
      'secretsmanager:ListSecretVersionIds',
    ])('can rotate its secret under the secret policy: %s', async (action) => {
      expect(await functionMay(action, secretArn, secretPolicy)).toBe('Allowed');
    });

    it('reads the default provision passwords but cannot change them', async () => {
      expect(await functionMay('secretsmanager:GetSecretValue', provisionSecretArn, provisionPolicy)).toBe(
        'Allowed',
      );
      expect(
        await functionMay('secretsmanager:PutSecretValue', provisionSecretArn, provisionPolicy),
      ).not.toBe('Allowed');
    });

    it.each([
      otherSecretArn,
      `arn:aws:secretsmanager:${motoRegion}:${account}:secret:${secretName}-extra-AbCdEf`,
      `arn:aws:secretsmanager:${motoRegion}:999988887777:secret:${secretName}-AbCdEf`,
    ])('stays away from any other secret (%s)', async (otherSecret) => {
      expect(await functionMay('secretsmanager:GetSecretValue', otherSecret)).toBe('ImplicitlyDenied');
      expect(await functionMay('secretsmanager:PutSecretValue', otherSecret)).toBe('ImplicitlyDenied');
    });

    it('cannot delete or reconfigure its secret', async () => {
      for (const action of [
        'secretsmanager:DeleteSecret',
        'secretsmanager:RotateSecret',
        'secretsmanager:PutResourcePolicy',
        'secretsmanager:UpdateSecret',
      ]) {
        expect(await functionMay(action, secretArn, secretPolicy), action).not.toBe('Allowed');
      }
    });

    it('reads exactly the administrator secret it is given', async () => {
      const withAdministrator = (resource: string) =>
        simulate({
          principal: functionRole,
          action: 'secretsmanager:GetSecretValue',
          resource,
          accountId: account,
          identityPolicies: [rolePolicy, administratorPolicy],
        });
      expect(await withAdministrator(adminSecretArn)).toBe('Allowed');
      expect(
        await withAdministrator(
          `arn:aws:secretsmanager:${motoRegion}:${account}:secret:rds!db-0a1b2c3d-AbCdEf`,
        ),
      ).toBe('ImplicitlyDenied');
      expect(await withAdministrator(otherSecretArn)).toBe('ImplicitlyDenied');
    });

    it('discovers instances but cannot change them', async () => {
      const instance = `arn:aws:rds:${motoRegion}:${account}:db:shop-a`;
      expect(await functionMay('rds:DescribeDBInstances', instance)).toBe('Allowed');
      expect(await functionMay('rds:ModifyDBInstance', instance)).toBe('ImplicitlyDenied');
    });

    it('writes to its own log group only', async () => {
      const own = `arn:aws:logs:${motoRegion}:${account}:log-group:/aws/lambda/shop-rotation:log-stream:2026/01/01`;
      const other = `arn:aws:logs:${motoRegion}:${account}:log-group:/aws/lambda/other:log-stream:2026/01/01`;
      expect(await functionMay('logs:PutLogEvents', own)).toBe('Allowed');
      expect(await functionMay('logs:PutLogEvents', other)).toBe('ImplicitlyDenied');
      expect(
        await functionMay('logs:CreateLogGroup', `arn:aws:logs:${motoRegion}:${account}:log-group:x`),
      ).toBe('ImplicitlyDenied');
    });

    it('manages network interfaces in its own account and region only', async () => {
      const here = `arn:aws:ec2:${motoRegion}:${account}:network-interface/eni-0123456789abcdef0`;
      const elsewhere = `arn:aws:ec2:eu-central-1:${account}:network-interface/eni-0123456789abcdef0`;
      expect(await functionMay('ec2:CreateNetworkInterface', here)).toBe('Allowed');
      expect(
        await functionMay(
          'ec2:CreateNetworkInterface',
          `arn:aws:ec2:${motoRegion}:${account}:subnet/subnet-0123456789abcdef0`,
        ),
      ).toBe('Allowed');
      expect(await functionMay('ec2:DeleteNetworkInterface', elsewhere)).toBe('ImplicitlyDenied');
      expect(
        await functionMay('ec2:TerminateInstances', `arn:aws:ec2:${motoRegion}:${account}:instance/i-0`),
      ).toBe('ImplicitlyDenied');
    });

    // The KMS statements are conditioned on kms:EncryptionContext:<key>, which the simulator does not
    // know (it ignores it and so never matches the statement): renders.tftest.hcl asserts their exact
    // conditions instead.
  });

  describe('the secret policy', () => {
    const read = (
      principal: string,
      identityPolicies: unknown[],
      resource = secretArn,
      policy = secretPolicy,
    ) =>
      simulate({
        principal,
        action: 'secretsmanager:GetSecretValue',
        resource,
        accountId: account,
        identityPolicies,
        resourcePolicy: policy,
      });

    it('lets an application role read the password', async () => {
      expect(await read(appRole, [applicationIdentityPolicy])).toBe('Allowed');
    });

    it("keeps one user's application role away from another user's secret", async () => {
      expect(await read(appRole, [allowEverything], reportingSecretArn, reportingSecretPolicy)).toBe(
        'ExplicitlyDenied',
      );
      expect(await read(reportsRole, [allowEverything], reportingSecretArn, reportingSecretPolicy)).toBe(
        'Allowed',
      );
      expect(await read(reportsRole, [allowEverything])).toBe('ExplicitlyDenied');
    });

    it('keeps an application role from changing versions or reading the default provision passwords', async () => {
      const everything = [allowEverything];
      const put = await simulate({
        principal: appRole,
        action: 'secretsmanager:PutSecretValue',
        resource: secretArn,
        accountId: account,
        identityPolicies: everything,
        resourcePolicy: secretPolicy,
      });
      expect(put).toBe('ExplicitlyDenied');
      expect(await read(appRole, everything, provisionSecretArn, provisionPolicy)).toBe('ExplicitlyDenied');
    });

    it('denies the password to a principal with AdministratorAccess in the account', async () => {
      expect(await read(administratorAccessRole, [allowEverything])).toBe('ExplicitlyDenied');
      expect(
        await read(administratorAccessRole, [allowEverything], provisionSecretArn, provisionPolicy),
      ).toBe('ExplicitlyDenied');
      for (const action of [
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
        'secretsmanager:PutResourcePolicy',
        'secretsmanager:DeleteResourcePolicy',
        'secretsmanager:DeleteSecret',
        'secretsmanager:UpdateSecret',
      ]) {
        const result = await simulate({
          principal: administratorAccessRole,
          action,
          resource: secretArn,
          accountId: account,
          identityPolicies: [allowEverything],
          resourcePolicy: secretPolicy,
        });
        expect(result, action).toBe('ExplicitlyDenied');
      }
    });

    it('lets the admin roles read and change the policy', async () => {
      expect(await read(adminRole, [allowEverything])).toBe('Allowed');
      const put = await simulate({
        principal: adminRole,
        action: 'secretsmanager:PutResourcePolicy',
        resource: secretArn,
        accountId: account,
        identityPolicies: [allowEverything],
        resourcePolicy: secretPolicy,
      });
      expect(put).toBe('Allowed');
    });

    it('denies a request that carries no principal ARN (an AWS service acting as itself)', async () => {
      const result = await simulate({
        principal: 'glue.amazonaws.com',
        action: 'secretsmanager:GetSecretValue',
        resource: secretArn,
        accountId: account,
        resourcePolicy: secretPolicy,
      });
      expect(result).not.toBe('Allowed');
    });
  });

  describe('the invoke permissions', () => {
    const invoke = (principal: string, qualifier: string, identityPolicies: unknown[] = [], context = {}) =>
      simulate({
        principal,
        action: 'lambda:InvokeFunction',
        resource: `${functionArn}:${qualifier}`,
        accountId: account,
        identityPolicies,
        resourcePolicy: invokePolicy,
        context,
      });
    const dbaMayInvoke = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction', 'secretsmanager:*'], Resource: '*' }],
    };

    it('lets the DBA backend role invoke manual actions, through the manual alias only', async () => {
      expect(await invoke(dbaBackendRole, 'manual', [dbaMayInvoke])).toBe('Allowed');
      expect(await invoke(dbaBackendRole, 'rotation', [dbaMayInvoke])).not.toBe('Allowed');
    });

    it('does not let the DBA backend role read the password', async () => {
      const result = await simulate({
        principal: dbaBackendRole,
        action: 'secretsmanager:GetSecretValue',
        resource: secretArn,
        accountId: account,
        identityPolicies: [dbaMayInvoke],
        resourcePolicy: secretPolicy,
      });
      expect(result).not.toBe('Allowed');
    });

    it('lets Secrets Manager invoke the rotation alias for this secret of this account only', async () => {
      const forThisSecret = { 'aws:SourceArn': secretArn, 'aws:SourceAccount': account };
      expect(await invoke('secretsmanager.amazonaws.com', 'rotation', [], forThisSecret)).toBe('Allowed');
      expect(
        await invoke('secretsmanager.amazonaws.com', 'rotation', [], {
          ...forThisSecret,
          'aws:SourceArn': otherSecretArn,
        }),
      ).not.toBe('Allowed');
      expect(await invoke('secretsmanager.amazonaws.com', 'manual', [], forThisSecret)).not.toBe('Allowed');
    });

    it("lets Secrets Manager invoke the rotation alias for each user's secret", async () => {
      const forReporting = { 'aws:SourceArn': reportingSecretArn, 'aws:SourceAccount': account };
      expect(await invoke('secretsmanager.amazonaws.com', 'rotation', [], forReporting)).toBe('Allowed');
      const statements = (invokePolicy as { Statement: unknown[] }).Statement;
      expect(statements).toHaveLength(3);
    });
  });

  describe('the release bucket', () => {
    const request = (
      principal: string,
      action: string,
      context: Record<string, string>,
      identityPolicy: unknown,
    ) =>
      simulate({
        principal,
        action,
        resource: releaseObject,
        accountId: bucketOwner,
        identityPolicies: [identityPolicy],
        resourcePolicy: bucketPolicy,
        context,
        s3BlockPublicAccess: true,
      });
    const overTls12 = { 'aws:SecureTransport': 'true', 's3:TlsVersion': '1.2' };
    // The caller's own account lets it read any object; the bucket policy decides.
    const readAnything = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    };
    const writeAnything = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    };

    it('lets a principal of the organization read function.zip over TLS 1.2, despite Block Public Access', async () => {
      const result = await request(
        'arn:aws:iam::444455556666:role/terraform',
        's3:GetObject',
        {
          ...overTls12,
          'aws:PrincipalOrgID': organizationId,
        },
        readAnything,
      );
      expect(result).toBe('Allowed');
    });

    it('refuses function.zip to a principal outside the organization', async () => {
      const result = await request(
        'arn:aws:iam::777788889999:role/terraform',
        's3:GetObject',
        {
          ...overTls12,
          'aws:PrincipalOrgID': 'o-zzzzzzzzzz',
        },
        readAnything,
      );
      expect(result).toBe('ImplicitlyDenied');
    });

    it('refuses a request without TLS, or over TLS 1.1, even from the organization', async () => {
      const organization = { 'aws:PrincipalOrgID': organizationId };
      const plain = await request(
        'arn:aws:iam::444455556666:role/terraform',
        's3:GetObject',
        {
          ...organization,
          'aws:SecureTransport': 'false',
        },
        readAnything,
      );
      expect(plain).toBe('ExplicitlyDenied');
      const tls11 = await request(
        'arn:aws:iam::444455556666:role/terraform',
        's3:GetObject',
        {
          ...organization,
          'aws:SecureTransport': 'true',
          's3:TlsVersion': '1.1',
        },
        readAnything,
      );
      expect(tls11).toBe('ExplicitlyDenied');
    });

    it('lets the release role write a release', async () => {
      expect(await request(releaseRole, 's3:PutObject', overTls12, writeAnything)).toBe('Allowed');
    });

    it.each(['s3:PutObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'])(
      'refuses %s to any other principal of the DBA account, whatever its own policy allows',
      async (action) => {
        const admin = `arn:aws:iam::${bucketOwner}:role/OrganizationAccountAccessRole`;
        expect(await request(admin, action, overTls12, writeAnything)).toBe('ExplicitlyDenied');
      },
    );
  });
});
