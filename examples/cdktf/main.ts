// The examples/complete usage from TypeScript with CDK for Terraform: the module as a
// TerraformHclModule, the AWS provider and the RDS instances as raw blocks (no generated bindings).
import { resolve } from 'node:path';
import {
  App,
  TerraformHclModule,
  TerraformOutput,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
} from 'cdktf';
import type { Construct } from 'constructs';

/** The AWS provider without @cdktf/provider-aws: only the settings this stack needs. */
class AwsProvider extends TerraformProvider {
  constructor(
    scope: Construct,
    id: string,
    private readonly settings: { region: string },
  ) {
    super(scope, id, { terraformResourceType: 'aws', terraformProviderSource: 'hashicorp/aws' });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { region: this.settings.region };
  }
}

/** Any resource type, its arguments written as they are in HCL. */
class RawResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    type: string,
    private readonly args: Record<string, unknown>,
    dependsOn: string[] = [],
  ) {
    super(scope, id, { terraformResourceType: type });
    if (dependsOn.length > 0) this.addOverride('depends_on', dependsOn);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return this.args;
  }
}

class ApplicationStack extends TerraformStack {
  constructor(scope: Construct, id: string, moduleSource: string) {
    super(scope, id);
    const name = 'shop';

    new AwsProvider(this, 'aws', { region: 'eu-west-1' });

    const vpcId = new TerraformVariable(this, 'vpc_id', {
      type: 'string',
      description: 'VPC of the application.',
    });
    const subnetIds = new TerraformVariable(this, 'private_subnet_ids', {
      type: 'list(string)',
      description: 'Private subnets for the function and the databases.',
    });
    const defaultProvisionPassword = new TerraformVariable(this, 'default_provision_password', {
      type: 'string',
      sensitive: true,
      description: 'Default provision password the DBA backend creates the application user with.',
    });

    const functionSourceCodeHash = new TerraformVariable(this, 'function_source_code_hash', {
      type: 'string',
      description: 'Base64 SHA-256 of function.zip, as printed by the release script.',
    });

    const rotation = new TerraformHclModule(this, 'password_rotation', {
      source: moduleSource,
      skipAssetCreationFromLocalModules: true,
      variables: {
        name: `${name}-mysql-password-rotation`,
        s3_bucket: 'dba-function-releases-eu-west-1',
        s3_key: 'mysql-password-rotation/1.0.0/function.zip',
        vpc_id: vpcId.stringValue,
        subnet_ids: subnetIds.listValue,
        api_endpoint_cidr_blocks: ['10.0.0.0/24'],
        database_cidr_blocks: ['10.0.16.0/20'],
        users: { app: { username: 'app', secret_name: `${name}/mysql/app` } },
        default_provision_passwords: { app: defaultProvisionPassword.stringValue },
        db_tag: { key: 'application', value: name },
        rotation_rules: { automatically_after_days: 30 },
        manual_invoke_principals: ['arn:aws:iam::111122223333:role/dba-backend'],
        source_code_hash: functionSourceCodeHash.stringValue,
        secret_admin_role_arns: ['arn:aws:iam::444455556666:role/shop-admin'],
        tags: { application: name },
      },
    });

    const subnetGroup = new RawResource(this, 'database_subnet_group', 'aws_db_subnet_group', {
      name,
      subnet_ids: subnetIds.listValue,
    });

    for (const shard of ['a', 'b', 'c']) {
      new RawResource(
        this,
        `database_${shard}`,
        'aws_db_instance',
        {
          identifier: `${name}-${shard}`,
          engine: 'mysql',
          engine_version: '8.4',
          instance_class: 'db.t4g.micro',
          allocated_storage: 20,
          storage_encrypted: true,
          username: 'admin',
          manage_master_user_password: true,
          db_subnet_group_name: `\${${subnetGroup.fqn}.name}`,
          tags: { application: name },
        },
        // Created only after the initial rotation, like examples/complete.
        ['module.password_rotation.rotation_ready'],
      );
    }

    new TerraformOutput(this, 'secret_arns', { value: rotation.get('secret_arns') });
    new TerraformOutput(this, 'manual_invoke_arn', { value: rotation.get('manual_invoke_arn') });
  }
}

// App teams point this at the released module, such as "git::https://.../mysql-password-rotation.git?ref=v1.0.0".
const moduleSource = process.env.ROTATION_MODULE_SOURCE ?? resolve(import.meta.dirname, '../..');

const app = new App();
new ApplicationStack(app, 'application', moduleSource);
app.synth();
