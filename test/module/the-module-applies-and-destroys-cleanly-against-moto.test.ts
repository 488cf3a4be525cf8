// The module against moto_server (time_sleep replaced by terraform_data), the way an application
// meets it: the 1.0 module (test/module/fixtures/module-1.0) applied first, then upgraded in place to
// the current module with the inputs and moved blocks of docs/upgrading.md (no secret destroyed, the
// password kept), a second user added on the way; then everything the module creates is checked, and
// destroyed.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionEventInvokeConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import {
  type MotoServer as Moto,
  MOTO_ACCOUNT_ID as motoAccountId,
  AWS_TEST_CREDENTIALS as motoCredentials,
  TEST_REGION as motoRegion,
  startMoto,
} from '../../sandbox/moto.ts';
import { jsonApi, queryApi, xmlValues } from '../../sandbox/motoRequests.ts';
import { simulate } from './policy-simulation.ts';
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
const reportingSecretName = 'shop/mysql/reporting';
const dpp = 'Provision-Password-1';
const reportingDpp = 'Provision-Password-2';
const replicaRegion = 'us-west-2';
const dbaBackendRole = 'arn:aws:iam::444455556666:role/dba-backend';
const adminRole = `arn:aws:iam::${motoAccountId}:role/shop-admin`;
const appRole = `arn:aws:iam::${motoAccountId}:role/shop-app`;
const alarmTopic = `arn:aws:sns:${motoRegion}:${motoAccountId}:dba-alerts`;
const noticeTopic = `arn:aws:sns:${motoRegion}:${motoAccountId}:shop-notices`;

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

const ec2 = '2016-11-15';
const iam = '2010-05-08';

describe('the module against moto_server (time_sleep replaced by terraform_data)', () => {
  let moto: Moto;
  let workspace: ReturnType<typeof temporaryDir>;
  let secrets: SecretsManagerClient;
  let lambda: LambdaClient;
  let outputs: Record<string, unknown>;
  let inputs: Record<string, unknown>;
  let upgradedSecretArn: string;
  let upgradedVersionId: string;
  let vpcId: string;
  let subnetId: string;
  let codeSha256: string;
  let secretArns: Record<string, string>;

  const moduleDir = () => join(workspace.dir, 'rotation');
  const writeCall = (callInputs: Record<string, unknown>) =>
    writeFileSync(
      join(workspace.dir, 'main.tf.json'),
      JSON.stringify({
        module: { password_rotation: { source: './rotation', ...inputs, ...callInputs } },
        // Terraform's JSON syntax: every output of the module, as one object.
        output: { rotation: { value: `\${module.password_rotation}` } },
      }),
    );

  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: true, lambdaWithoutDocker: true, captureOutput: true });
    const clientConfig = {
      endpoint: moto.endpoint,
      region: motoRegion,
      credentials: motoCredentials,
    };
    secrets = new SecretsManagerClient(clientConfig);
    lambda = new LambdaClient(clientConfig);

    const zip = await functionZip();
    codeSha256 = createHash('sha256').update(zip).digest('base64');
    const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: zip }));
    s3.destroy();

    vpcId =
      xmlValues(await queryApi(moto, 'ec2', ec2, 'CreateVpc', { CidrBlock: '10.0.0.0/16' }), 'vpcId')[0] ??
      '';
    subnetId =
      xmlValues(
        await queryApi(moto, 'ec2', ec2, 'CreateSubnet', { VpcId: vpcId, CidrBlock: '10.0.1.0/24' }),
        'subnetId',
      )[0] ?? '';

    inputs = {
      name,
      s3_bucket: bucket,
      s3_key: key,
      source_code_hash: codeSha256,
      vpc_id: vpcId,
      subnet_ids: [subnetId],
      api_endpoint_cidr_blocks: ['10.0.0.0/24'],
      database_cidr_blocks: ['10.0.16.0/20', '10.0.32.0/20'],
      recovery_window_in_days: 0,
      log_level: 'DEBUG',
      manual_invoke_principals: [dbaBackendRole],
    };

    // The application's 1.0 configuration, applied.
    workspace = temporaryDir('module-moto');
    stageModule(moduleDir(), [], join(repoRoot, 'test', 'module', 'fixtures', 'module-1.0'));
    writeFileSync(join(workspace.dir, 'provider.tf'), motoProviderOverride(moto.endpoint, motoRegion));
    writeCall({ secret_name: secretName, username: 'app', default_provision_password: dpp });
    await terraform(['init', '-no-color', '-input=false'], workspace.dir);
    await terraform(['apply', '-no-color', '-auto-approve', '-input=false'], workspace.dir);

    upgradedSecretArn =
      (await secrets.send(new ListSecretsCommand({}))).SecretList?.find(
        (secret) => secret.Name === secretName,
      )?.ARN ?? '';
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: upgradedSecretArn }));
    upgradedVersionId =
      Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes('AWSCURRENT'),
      )?.[0] ?? '';
  }, TERRAFORM_APPLY_TIMEOUT);

  afterAll(async () => {
    secrets?.destroy();
    lambda?.destroy();
    await moto?.stop();
    workspace?.remove();
  });

  it(
    'plans the upgrade with the moved blocks of docs/upgrading.md without destroying a secret',
    async () => {
      expect(upgradedSecretArn).toMatch(new RegExp(`:secret:${secretName}-[A-Za-z0-9]{6}$`));
      for (const file of readdirSync(moduleDir())) rmSync(join(moduleDir(), file), { recursive: true });
      stageModule(moduleDir());
      writeFileSync(join(workspace.dir, 'moved.tf'), `${documentedMovedBlocks()}\n`);
      writeCall({
        users: {
          app: { username: 'app', secret_name: secretName, application_role_arns: [appRole] },
          reporting: {
            username: 'reporting',
            secret_name: reportingSecretName,
            rotation_rules: { automatically_after_days: 7 },
            password_length: 48,
            replica_regions: [{ region: replicaRegion }],
          },
        },
        default_provision_passwords: { app: dpp, reporting: reportingDpp },
        secret_admin_role_arns: [adminRole],
        db_tag: { key: 'application', value: 'shop' },
        alarm_sns_topic_arn: alarmTopic,
        rotation_succeeded_sns_topic_arn: alarmTopic,
        rotation_notice: { sns_topic_arn: noticeTopic, period_minutes: 30 },
      });
      await terraform(['init', '-no-color', '-input=false'], workspace.dir);
      await terraform(['plan', '-no-color', '-input=false', '-out=upgrade.tfplan'], workspace.dir);
      const plan = JSON.parse(
        (await terraform(['show', '-no-color', '-json', 'upgrade.tfplan'], workspace.dir)).stdout,
      );
      const changes = plan.resource_changes as ResourceChange[];

      const deleted = changes.filter((change) => change.change.actions.includes('delete'));
      expect(deleted.filter((change) => change.type.startsWith('aws_secretsmanager_secret'))).toEqual([]);
      expect(deleted.map((change) => change.address).sort()).toEqual([
        'module.password_rotation.aws_iam_role_policy_attachment.vpc_access',
        'module.password_rotation.aws_lambda_function_event_invoke_config.this',
        `module.password_rotation.aws_lambda_permission.manual_invoke["${dbaBackendRole}"]`,
        'module.password_rotation.aws_lambda_permission.secrets_manager',
        'module.password_rotation.terraform_data.initial_rotation',
      ]);
      const moved = Object.fromEntries(
        changes
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
    },
    TERRAFORM_APPLY_TIMEOUT,
  );

  it(
    'applies the upgrade and keeps the secret, its current version and its password',
    async () => {
      await terraform(['apply', '-no-color', '-input=false', 'upgrade.tfplan'], workspace.dir);
      outputs = JSON.parse((await terraform(['output', '-no-color', '-json'], workspace.dir)).stdout).rotation
        .value;

      const described = await secrets.send(new DescribeSecretCommand({ SecretId: upgradedSecretArn }));
      expect(described.ARN).toBe(upgradedSecretArn);
      expect(described.DeletedDate).toBeUndefined();
      expect(described.VersionIdsToStages?.[upgradedVersionId]).toContain('AWSCURRENT');
      const current = await secrets.send(
        new GetSecretValueCommand({ SecretId: upgradedSecretArn, VersionStage: 'AWSCURRENT' }),
      );
      expect(JSON.parse(current.SecretString ?? '{}')).toEqual({ username: 'app', password: dpp });
      expect((outputs.secret_arns as Record<string, string>).app).toBe(upgradedSecretArn);
    },
    TERRAFORM_APPLY_TIMEOUT,
  );

  it(
    'has created the secrets, function, aliases, role, security group, log group and notifications',
    async () => {
      secretArns = outputs.secret_arns as Record<string, string>;
      const secretArn = secretArns.app ?? '';
      const reportingSecretArn = secretArns.reporting ?? '';
      const functionArn = String(outputs.function_arn);
      expect(secretArn).toMatch(new RegExp(`:secret:${secretName}-[A-Za-z0-9]{6}$`));
      expect(reportingSecretArn).toMatch(new RegExp(`:secret:${reportingSecretName}-[A-Za-z0-9]{6}$`));
      expect(outputs.secret_names).toEqual({ app: secretName, reporting: reportingSecretName });
      expect(outputs.function_name).toBe(name);
      expect(outputs.role_arn).toBe(`arn:aws:iam::${motoAccountId}:role/${name}`);
      expect(outputs.log_group_name).toBe(`/aws/lambda/${name}`);
      expect(outputs.rotation_ready).toBeTruthy();

      const secret = await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
      expect(secret.RotationEnabled).toBe(true);
      expect(secret.RotationLambdaARN).toBe(`${functionArn}:rotation`);
      expect(outputs.rotation_alias_arn).toBe(`${functionArn}:rotation`);
      expect(outputs.manual_invoke_arn).toBe(`${functionArn}:manual`);
      expect(secret.RotationRules?.AutomaticallyAfterDays).toBe(30);
      // moto's RotateSecret "invokes" the function without running it: the DPP stays AWSCURRENT and the
      // new version only carries AWSPENDING.
      const current = await secrets.send(
        new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSCURRENT' }),
      );
      expect(JSON.parse(current.SecretString ?? '{}')).toEqual({ username: 'app', password: dpp });
      expect(Object.values(secret.VersionIdsToStages ?? {}).flat()).toContain('AWSPENDING');

      const reporting = await secrets.send(new DescribeSecretCommand({ SecretId: reportingSecretArn }));
      expect(reporting.RotationLambdaARN).toBe(`${functionArn}:rotation`);
      expect(reporting.RotationRules?.AutomaticallyAfterDays).toBe(7);
      expect(reporting.ReplicationStatus?.map((replica) => replica.Region)).toEqual([replicaRegion]);
      const reportingCurrent = await secrets.send(
        new GetSecretValueCommand({ SecretId: reportingSecretArn, VersionStage: 'AWSCURRENT' }),
      );
      expect(JSON.parse(reportingCurrent.SecretString ?? '{}')).toEqual({
        username: 'reporting',
        password: reportingDpp,
      });

      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
      expect(fn.Configuration?.Runtime).toBe('nodejs22.x');
      expect(fn.Configuration?.Handler).toBe('index.handler');
      expect(fn.Configuration?.Role).toBe(outputs.role_arn);
      const provisionSecretArn = String(outputs.provision_secret_arn);
      const environment = fn.Configuration?.Environment?.Variables ?? {};
      expect(JSON.parse(environment.SECRETS ?? '[]')).toEqual([
        { user: 'app', secretArn },
        { user: 'reporting', secretArn: reportingSecretArn, passwordLength: 48 },
      ]);
      expect(environment).toMatchObject({
        PROVISION_SECRET_ARN: provisionSecretArn,
        ROTATION_ALIAS: 'rotation',
        PARALLEL: '10',
        LOG_LEVEL: 'DEBUG',
      });
      expect(JSON.stringify(environment)).not.toContain(dpp);
      expect(JSON.stringify(environment)).not.toContain(reportingDpp);
      const provision = await secrets.send(new GetSecretValueCommand({ SecretId: provisionSecretArn }));
      expect(JSON.parse(provision.SecretString ?? '{}')).toEqual({ app: dpp, reporting: reportingDpp });
      expect(fn.Configuration?.CodeSha256).toBe(codeSha256);

      for (const arn of [secretArn, reportingSecretArn, provisionSecretArn]) {
        const resourcePolicy = await secrets.send(new GetResourcePolicyCommand({ SecretId: arn }));
        const denied = JSON.parse(resourcePolicy.ResourcePolicy ?? '{}').Statement as { Effect: string }[];
        expect(denied.length).toBeGreaterThan(1);
        expect(denied.every((statement) => statement.Effect === 'Deny')).toBe(true);
        expect(JSON.stringify(denied)).toContain(adminRole);
      }
      expect(fn.Configuration?.VpcConfig?.SubnetIds).toEqual([subnetId]);
      expect(fn.Configuration?.VpcConfig?.SecurityGroupIds).toEqual([outputs.security_group_id]);
      const concurrency = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }));
      expect(concurrency.ReservedConcurrentExecutions).toBe(2);
      for (const alias of ['rotation', 'manual']) {
        const invokeConfig = await lambda.send(
          new GetFunctionEventInvokeConfigCommand({ FunctionName: name, Qualifier: alias }),
        );
        expect(invokeConfig.MaximumRetryAttempts).toBe(0);
      }

      // Lambda keeps one policy per function; each statement names the alias it opens.
      const policy = JSON.parse(
        (await lambda.send(new GetPolicyCommand({ FunctionName: name }))).Policy ?? '{}',
      );
      expect(policy.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Principal: { Service: 'secretsmanager.amazonaws.com' },
            Resource: `${functionArn}:rotation`,
            Condition: {
              ArnLike: { 'AWS:SourceArn': secretArn },
              StringEquals: { 'AWS:SourceAccount': motoAccountId },
            },
          }),
          expect.objectContaining({
            Principal: { Service: 'secretsmanager.amazonaws.com' },
            Resource: `${functionArn}:rotation`,
            Condition: {
              ArnLike: { 'AWS:SourceArn': reportingSecretArn },
              StringEquals: { 'AWS:SourceAccount': motoAccountId },
            },
          }),
          expect.objectContaining({ Principal: dbaBackendRole, Resource: `${functionArn}:manual` }),
        ]),
      );
      expect(policy.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Principal: { Service: 'events.amazonaws.com' },
            Resource: `${functionArn}:manual`,
            Condition: {
              ArnLike: {
                'AWS:SourceArn': `arn:aws:events:${motoRegion}:${motoAccountId}:rule/${name}-notice`,
              },
              StringEquals: { 'AWS:SourceAccount': motoAccountId },
            },
          }),
        ]),
      );
      expect(policy.Statement).toHaveLength(4);

      const role = await queryApi(moto, 'iam', iam, 'GetRole', { RoleName: name });
      expect(decodeURIComponent(xmlValues(role, 'AssumeRolePolicyDocument')[0] ?? '')).toContain(
        'lambda.amazonaws.com',
      );
      const attached = await queryApi(moto, 'iam', iam, 'ListAttachedRolePolicies', { RoleName: name });
      expect(xmlValues(attached, 'PolicyName')).toEqual([]);
      const inline = await queryApi(moto, 'iam', iam, 'ListRolePolicies', { RoleName: name });
      expect(xmlValues(inline, 'member')).toEqual(['rotation']);

      const groupId = String(outputs.security_group_id);
      const rules = await queryApi(moto, 'ec2', ec2, 'DescribeSecurityGroupRules', {
        'Filter.1.Name': 'group-id',
        'Filter.1.Value.1': groupId,
      });
      const egress = [...rules.matchAll(/<item>([\s\S]*?)<\/item>/g)]
        .map((match) => match[1] ?? '')
        .map((item) => ({
          egress: xmlValues(item, 'isEgress')[0],
          port: xmlValues(item, 'fromPort')[0],
          cidr: xmlValues(item, 'cidrIpv4')[0],
          description: xmlValues(item, 'description')[0] ?? '',
        }));
      expect(egress.filter((rule) => rule.egress === 'false')).toEqual([]);
      // Exactly these: the provider also revokes the allow-all egress rule AWS adds to a new group.
      expect(egress.map((rule) => `${rule.port} ${rule.cidr}`).sort()).toEqual([
        '3306 10.0.16.0/20',
        '3306 10.0.32.0/20',
        '443 10.0.0.0/24',
      ]);
      expect(egress.every((rule) => rule.description !== '')).toBe(true);

      const logGroups = (await jsonApi(moto, 'logs', 'Logs_20140328.DescribeLogGroups', {
        logGroupNamePrefix: `/aws/lambda/${name}`,
      })) as { logGroups: { logGroupName: string; retentionInDays?: number }[] };
      expect(logGroups.logGroups).toEqual([
        expect.objectContaining({ logGroupName: `/aws/lambda/${name}`, retentionInDays: 90 }),
      ]);

      const eventRules = (await jsonApi(moto, 'events', 'AWSEvents.ListRules', { NamePrefix: name })) as {
        Rules: { Name: string; EventPattern?: string; ScheduleExpression?: string }[];
      };
      const eventRule: Record<string, (typeof eventRules.Rules)[number]> = Object.fromEntries(
        eventRules.Rules.map((rule) => [rule.Name, rule]),
      );
      expect(Object.keys(eventRule).sort()).toEqual([
        `${name}-notice`,
        `${name}-rotated`,
        `${name}-rotation-failed`,
      ]);
      for (const [rule, eventName] of [
        [`${name}-rotation-failed`, ['RotationFailed', 'RotationAbandoned']],
        [`${name}-rotated`, ['RotationSucceeded']],
      ] as const) {
        const pattern = JSON.parse(eventRule[rule]?.EventPattern ?? '{}');
        expect(pattern.detail.eventName).toEqual(eventName);
        expect(pattern.detail.additionalEventData.SecretId).toEqual([secretArn, reportingSecretArn]);
      }
      expect(eventRule[`${name}-notice`]?.ScheduleExpression).toBe('rate(30 minutes)');
      const targetsOf = async (rule: string) =>
        (
          (await jsonApi(moto, 'events', 'AWSEvents.ListTargetsByRule', { Rule: rule })) as {
            Targets: { Arn: string; Input?: string; InputTransformer?: { InputTemplate: string } }[];
          }
        ).Targets;
      const [failedTarget] = await targetsOf(`${name}-rotation-failed`);
      expect(failedTarget?.Arn).toBe(alarmTopic);
      expect(failedTarget?.InputTransformer?.InputTemplate).toContain(
        'Secrets Manager reports <event> for secret <secret>',
      );
      const [rotatedTarget] = await targetsOf(`${name}-rotated`);
      expect(rotatedTarget?.Arn).toBe(alarmTopic);
      expect(rotatedTarget?.InputTransformer?.InputTemplate).toContain(
        'Secret <secret> was rotated at <time>',
      );
      const [noticeTarget] = await targetsOf(`${name}-notice`);
      expect(noticeTarget?.Arn).toBe(`${functionArn}:manual`);
      expect(JSON.parse(noticeTarget?.Input ?? '{}')).toEqual({ action: 'notice' });
      expect(environment).toMatchObject({
        NOTICE_TOPIC_ARN: noticeTopic,
        NOTICE_LEAD_MINUTES: '1440',
        NOTICE_PERIOD_MINUTES: '30',
      });
      const alarms = await queryApi(moto, 'monitoring', '2010-08-01', 'DescribeAlarms', {
        AlarmNamePrefix: name,
      });
      expect(xmlValues(alarms, 'AlarmName')).toEqual([`${name}-errors`]);
      expect(xmlValues(alarms, 'MetricName')).toEqual(['Errors']);
    },
    TERRAFORM_APPLY_TIMEOUT,
  );

  it("gives each application role, with output application_policies, its own user's current and pending credentials and nothing else", async () => {
    const policies = outputs.application_policies as Record<string, string>;
    const appPolicy = JSON.parse(policies.app ?? '{}');
    const appSecret = secretArns.app ?? '';
    const reportingSecret = secretArns.reporting ?? '';
    const appliedPolicy = async (arn: string) =>
      JSON.parse(
        (await secrets.send(new GetResourcePolicyCommand({ SecretId: arn }))).ResourcePolicy ?? '{}',
      );
    const read = async (resource: string, stage: string) =>
      simulate({
        principal: appRole,
        action: 'secretsmanager:GetSecretValue',
        resource,
        accountId: motoAccountId,
        identityPolicies: [appPolicy],
        resourcePolicy: await appliedPolicy(resource),
        context: { 'secretsmanager:VersionStage': stage },
      });
    expect(await read(appSecret, 'AWSCURRENT')).toBe('Allowed');
    expect(await read(appSecret, 'AWSPENDING')).toBe('Allowed');
    expect(await read(appSecret, 'AWSPREVIOUS')).toBe('ImplicitlyDenied');
    expect(await read(reportingSecret, 'AWSCURRENT')).not.toBe('Allowed');
    expect(JSON.parse(policies.reporting ?? '{}').Statement[0].Resource).toEqual([
      reportingSecret,
      reportingSecret.replace(`:${motoRegion}:`, `:${replicaRegion}:`),
    ]);
  });

  it(
    'destroys everything it created',
    async () => {
      await terraform(['destroy', '-no-color', '-auto-approve', '-input=false'], workspace.dir);

      expect((await secrets.send(new ListSecretsCommand({}))).SecretList ?? []).toEqual([]);
      expect((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).toEqual([]);
      const roles = await queryApi(moto, 'iam', iam, 'ListRoles');
      expect(xmlValues(roles, 'RoleName')).not.toContain(name);
      const groups = await queryApi(moto, 'ec2', ec2, 'DescribeSecurityGroups');
      expect(xmlValues(groups, 'groupName')).not.toContain(name);
      const logGroups = (await jsonApi(moto, 'logs', 'Logs_20140328.DescribeLogGroups', {})) as {
        logGroups: unknown[];
      };
      expect(logGroups.logGroups).toEqual([]);
      const eventRules = (await jsonApi(moto, 'events', 'AWSEvents.ListRules', {})) as { Rules: unknown[] };
      expect(eventRules.Rules).toEqual([]);
      const alarms = await queryApi(moto, 'monitoring', '2010-08-01', 'DescribeAlarms');
      expect(xmlValues(alarms, 'AlarmName')).toEqual([]);
    },
    TERRAFORM_APPLY_TIMEOUT,
  );
});
