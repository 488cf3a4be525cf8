# Plan runs against a mocked AWS provider: what the module renders, without an AWS account (users,
# strategies and notifications are in renders-users-strategies-notifications.tftest.hcl).
# Run by test/module/terraform-test-runs-pass-with-a-mocked-provider.test.ts on a copy of the module.

# The mocked provider answers with mocks/aws.tfmock.hcl; the inputs every run starts from are in
# common.tfvars (passed with -var-file), shared with validations.tftest.hcl.
mock_provider "aws" {
  override_during = plan
  source          = "./tftest/mocks"
}

override_resource {
  override_during = plan
  target          = aws_secretsmanager_secret.provision
  values = {
    arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-rotation/default-provision-passwords-GhIjKl"
    id  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-rotation/default-provision-passwords-GhIjKl"
  }
}

override_resource {
  override_during = plan
  target          = aws_lambda_alias.rotation
  values          = { arn = "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation:rotation" }
}

override_resource {
  override_during = plan
  target          = aws_lambda_alias.manual
  values          = { arn = "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation:manual" }
}

run "defaults_render_the_function_contract" {
  command = plan

  assert {
    condition = tomap({ for name, value in aws_lambda_function.this.environment[0].variables : name => value if name != "SECRETS" }) == tomap({
      PROVISION_SECRET_ARN       = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-rotation/default-provision-passwords-GhIjKl"
      ROTATION_ALIAS             = "rotation"
      PARALLEL                   = "10"
      RETRIES                    = "2"
      RETRY_WAIT_MS              = "2000"
      CONNECT_TIMEOUT_MS         = "5000"
      QUERY_TIMEOUT_MS           = "10000"
      REPLICATION_WAIT_MS        = "10000"
      SECRET_REPLICATION_WAIT_MS = "30000"
      DB_ENGINES                 = "mysql,mariadb"
      DB_TAG_KEY                 = "application"
      DB_TAG_VALUE               = "shop"
      DB_DISCOVER_ALL            = "false"
      DB_SKIP_UNAVAILABLE        = "false"
      PASSWORD_LENGTH            = "32"
      ROTATION_STRATEGY          = "single-user"
      ALTERNATING_USER_SUFFIX    = "_clone"
      STALE_PENDING_MINUTES      = "60"
      LOG_LEVEL                  = "INFO"
    })
    error_message = "The environment must hold the defaults, no unset optional variable and no password."
  }

  assert {
    condition     = jsondecode(aws_lambda_function.this.environment[0].variables["SECRETS"]) == [{ user = "app", secretArn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf" }]
    error_message = "SECRETS must list the one user with its secret, and no setting that the module-wide variables already give."
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "nodejs22.x" && aws_lambda_function.this.handler == "index.handler"
    error_message = "The function must run index.handler on nodejs22.x."
  }

  assert {
    condition     = aws_lambda_function.this.s3_bucket == "dba-function-releases" && aws_lambda_function.this.s3_key == "mysql-password-rotation/1.0.0/function.zip" && aws_lambda_function.this.source_code_hash == var.source_code_hash
    error_message = "The code must come from s3_bucket/s3_key with the released hash."
  }

  assert {
    condition     = aws_lambda_function.this.publish && aws_lambda_function.this.kms_key_arn == null && aws_lambda_function.this.code_signing_config_arn == null && length(aws_lambda_code_signing_config.this) == 0
    error_message = "Every change publishes a version; without keys or signing, no key and no signing configuration."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 2
    error_message = "Reserved concurrency must default to 2."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON" && aws_lambda_function.this.logging_config[0].application_log_level == "INFO" && aws_lambda_function.this.logging_config[0].system_log_level == "INFO"
    error_message = "Logs must be JSON with the application log level following log_level."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/app-rotation" && aws_cloudwatch_log_group.this.retention_in_days == 90
    error_message = "The function must log to its own log group with retention."
  }

  assert {
    condition     = toset(aws_lambda_function.this.vpc_config[0].subnet_ids) == toset(var.subnet_ids) && toset(aws_lambda_function.this.vpc_config[0].security_group_ids) == toset(["sg-0123456789abcdef0"])
    error_message = "The function must run in the given subnets with the module's security group."
  }

  assert {
    condition     = aws_lambda_alias.rotation.name == "rotation" && aws_lambda_alias.manual.name == "manual" && aws_lambda_alias.rotation.function_version == "1" && aws_lambda_alias.manual.function_version == "1"
    error_message = "Both aliases must point at the published version."
  }

  assert {
    condition     = keys(aws_lambda_function_event_invoke_config.this) == ["manual", "rotation"] && alltrue([for key, config in aws_lambda_function_event_invoke_config.this : config.qualifier == key && config.maximum_retry_attempts == 0])
    error_message = "Lambda must not retry a failed step or action by itself, through either alias."
  }

  assert {
    condition = [aws_lambda_permission.secrets_manager["app"].principal, aws_lambda_permission.secrets_manager["app"].action, aws_lambda_permission.secrets_manager["app"].qualifier, aws_lambda_permission.secrets_manager["app"].source_account, aws_lambda_permission.secrets_manager["app"].source_arn] == [
      "secretsmanager.amazonaws.com", "lambda:InvokeFunction", "rotation", "111122223333", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf",
    ]
    error_message = "Secrets Manager may invoke the rotation alias only, for this secret of this account."
  }

  assert {
    condition     = length(aws_lambda_permission.manual_invoke) == 0
    error_message = "Nobody else may invoke the function unless named."
  }

  assert {
    condition     = jsondecode(aws_secretsmanager_secret_version.this["app"].secret_string) == { username = "app", password = "Provision-Password-1" }
    error_message = "The first secret version must hold the username and the DPP."
  }

  assert {
    condition     = aws_secretsmanager_secret.this["app"].name == "app/mysql" && aws_secretsmanager_secret.this["app"].recovery_window_in_days == 30 && aws_secretsmanager_secret.this["app"].kms_key_id == null
    error_message = "The secret must have the static name, default recovery window and no customer key."
  }

  assert {
    condition     = aws_secretsmanager_secret.provision.name == "app-rotation/default-provision-passwords" && jsondecode(aws_secretsmanager_secret_version.provision.secret_string) == { app = "Provision-Password-1" }
    error_message = "The DPP must be in the provision secret, under the user's key."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this["app"].rotation_rules[0].automatically_after_days == 30 && aws_secretsmanager_secret_rotation.this["app"].rotation_rules[0].schedule_expression == null
    error_message = "Without a schedule, the secret must rotate every 30 days."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this["app"].rotation_lambda_arn == "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation:rotation"
    error_message = "The rotation must use the function's rotation alias."
  }

  assert {
    condition     = output.manual_invoke_arn == "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation:manual" && output.rotation_alias_arn == "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation:rotation"
    error_message = "The outputs must say which ARN manual actions invoke."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.errors) == 0 && length(aws_cloudwatch_event_rule.rotation_failed) == 0 && length(aws_cloudwatch_event_target.rotation_failed) == 0
    error_message = "Without a topic there is no alerting."
  }

  assert {
    condition     = length(aws_iam_role_policy.administrator) == 0
    error_message = "Without administrator credentials, the role reads no administrator secret."
  }

  assert {
    condition = jsondecode(output.application_policies["app"]) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "ReadCurrentAndPendingCredentials"
        Effect    = "Allow"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf"]
        Condition = { StringEquals = { "secretsmanager:VersionStage" = ["AWSCURRENT", "AWSPENDING"] } }
      }]
    }
    error_message = "An application role must read its user's secret, AWSCURRENT and AWSPENDING only, and need no KMS statement with the AWS managed key."
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.rotation_succeeded) == 0 && length(aws_cloudwatch_event_rule.notice) == 0 && length(aws_lambda_permission.notice) == 0 && !anytrue([for name in keys(aws_lambda_function.this.environment[0].variables) : startswith(name, "NOTICE_")])
    error_message = "Without topics there are no notifications, no schedule and no NOTICE_ settings."
  }

  assert {
    condition     = !contains([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement.Sid], "PublishNotices")
    error_message = "Without notices the role publishes nothing."
  }
}
run "iam_policy_grants_the_secrets_discovery_own_logs_and_network_interfaces" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Sid       = "LambdaAssumeRole"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
    error_message = "Only Lambda may assume the role."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement == [
      {
        Sid    = "RotateItsSecrets"
        Effect = "Allow"
        Action = [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
          "secretsmanager:UpdateSecretVersionStage",
          "secretsmanager:ListSecretVersionIds",
        ]
        Resource = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-??????"]
      },
      {
        Sid      = "ReadDefaultProvisionPasswords"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-rotation/default-provision-passwords-??????"
      },
      {
        Sid      = "DiscoverInstances"
        Effect   = "Allow"
        Action   = "rds:DescribeDBInstances"
        Resource = "arn:aws:rds:eu-west-1:111122223333:db:*"
      },
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/app-rotation:*"
      },
      {
        Sid      = "DescribeNetworkInterfaces"
        Effect   = "Allow"
        Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
        Resource = "*"
      },
      {
        Sid      = "ManageNetworkInterfacesInThisRegion"
        Effect   = "Allow"
        Action   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = ["arn:aws:ec2:eu-west-1:111122223333:network-interface/*", "arn:aws:ec2:eu-west-1:111122223333:security-group/*", "arn:aws:ec2:eu-west-1:111122223333:subnet/*"]
      },
    ]
    error_message = "The inline policy must be exactly: its secret, the DPPs, RDS discovery, its own log group and network interfaces (no KMS without a key)."
  }
}

run "secret_policies_deny_everyone_but_the_function_applications_and_admins" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", application_role_arns = ["arn:aws:iam::111122223333:role/shop-app"] }
    }
  }

  assert {
    condition = jsondecode(aws_secretsmanager_secret_policy.this["app"].policy).Statement == [
      {
        Sid       = "OnlyTheFunctionApplicationsAndAdminsRead"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = ["arn:aws:iam::111122223333:role/app-rotation", "arn:aws:iam::111122223333:role/shop-app", "arn:aws:iam::111122223333:role/terraform", "arn:aws:iam::111122223333:role/shop-admin"] } }
      },
      {
        Sid       = "OnlyTheFunctionAndAdminsChangeVersions"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = ["arn:aws:iam::111122223333:role/app-rotation", "arn:aws:iam::111122223333:role/terraform", "arn:aws:iam::111122223333:role/shop-admin"] } }
      },
      {
        Sid       = "OnlyAdminsChangeThePolicyAndSettings"
        Effect    = "Deny"
        Principal = "*"
        Action = [
          "secretsmanager:CancelRotateSecret",
          "secretsmanager:DeleteResourcePolicy",
          "secretsmanager:DeleteSecret",
          "secretsmanager:PutResourcePolicy",
          "secretsmanager:RemoveRegionsFromReplication",
          "secretsmanager:ReplicateSecretToRegions",
          "secretsmanager:RotateSecret",
          "secretsmanager:StopReplicationToReplica",
          "secretsmanager:UpdateSecret",
        ]
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = ["arn:aws:iam::111122223333:role/terraform", "arn:aws:iam::111122223333:role/shop-admin"] } }
      },
    ]
    error_message = "The secret's policy must deny reading to all but the function, applications and admins; versions to all but the function and admins; the policy and settings to all but admins."
  }

  assert {
    condition     = aws_secretsmanager_secret_policy.this["app"].block_public_policy && aws_secretsmanager_secret_policy.provision.block_public_policy
    error_message = "Both policies must be attached with block_public_policy."
  }

  assert {
    condition = [for statement in jsondecode(aws_secretsmanager_secret_policy.provision.policy).Statement : [statement.Sid, statement.Effect, statement.Condition.ArnNotLike["aws:PrincipalArn"]]] == [
      ["OnlyTheFunctionAndAdminsRead", "Deny", ["arn:aws:iam::111122223333:role/app-rotation", "arn:aws:iam::111122223333:role/terraform", "arn:aws:iam::111122223333:role/shop-admin"]],
      ["OnlyAdminsChangeVersionsThePolicyAndSettings", "Deny", ["arn:aws:iam::111122223333:role/terraform", "arn:aws:iam::111122223333:role/shop-admin"]],
    ]
    error_message = "Only the function (and the admins) may read the DPPs; no application role."
  }
}

run "security_group_allows_only_api_and_database_egress" {
  command = plan

  assert {
    condition     = keys(aws_vpc_security_group_egress_rule.api_endpoints) == ["10.0.0.0/24"] && alltrue([for rule in aws_vpc_security_group_egress_rule.api_endpoints : rule.from_port == 443 && rule.to_port == 443 && rule.ip_protocol == "tcp" && rule.description != ""])
    error_message = "HTTPS egress must go to the API endpoint CIDRs, described."
  }

  assert {
    condition     = toset(keys(aws_vpc_security_group_egress_rule.databases)) == toset(["10.0.16.0/20", "10.0.32.0/20"]) && alltrue([for rule in aws_vpc_security_group_egress_rule.databases : rule.from_port == 3306 && rule.to_port == 3306 && rule.ip_protocol == "tcp" && rule.description != ""])
    error_message = "Database egress must go to the database CIDRs on the database port, described."
  }

  assert {
    condition     = length(aws_vpc_security_group_egress_rule.rds_https_proxy) == 0
    error_message = "Without a proxy there is no proxy rule."
  }

  assert {
    condition     = aws_security_group.this.vpc_id == "vpc-0123456789abcdef0" && length(aws_security_group.this.description) > 0
    error_message = "The security group must be in the given VPC and described."
  }
}

run "optional_settings_render_when_given" {
  command = plan

  variables {
    db_identifier_prefix              = "shop-"
    db_skip_unavailable               = true
    db_tls_ca_file                    = "/opt/ca/bundle.pem"
    password_exclude_chars            = "%&"
    rds_https_proxy                   = { url = "http://proxy.internal:3128", cidr_blocks = ["10.0.9.0/28"] }
    log_level                         = "DEBUG"
    kms_key_arn                       = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    lambda_kms_key_arn                = "arn:aws:kms:eu-west-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab"
    manual_invoke_principals          = ["arn:aws:iam::444455556666:role/dba-backend"]
    code_signing_profile_version_arns = ["arn:aws:signer:eu-west-1:444455556666:/signing-profiles/DbaReleases/a1b2c3d4e5"]
    alarm_sns_topic_arn               = "arn:aws:sns:eu-west-1:111122223333:dba-alerts"
    rotation_rules                    = { schedule_expression = "cron(0 4 ? * TUE *)", duration = "3h" }
    reserved_concurrent_executions    = 5
    database_port                     = 3307
    provision_secret_name             = "shop/mysql/provision"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DB_TAG_KEY"] == "application" && aws_lambda_function.this.environment[0].variables["DB_TAG_VALUE"] == "shop"
    error_message = "db_tag must set DB_TAG_KEY and DB_TAG_VALUE."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DB_IDENTIFIER_PREFIX"] == "shop-" && aws_lambda_function.this.environment[0].variables["DB_SKIP_UNAVAILABLE"] == "true"
    error_message = "The discovery filters must be passed on."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DB_TLS_CA_FILE"] == "/opt/ca/bundle.pem"
    error_message = "The CA file must be passed on."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["PASSWORD_EXCLUDE_CHARS"] == "%&" && aws_lambda_function.this.environment[0].variables["RDS_HTTPS_PROXY"] == "http://proxy.internal:3128"
    error_message = "Excluded characters and the proxy must be passed on."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["LOG_LEVEL"] == "DEBUG" && aws_lambda_function.this.logging_config[0].application_log_level == "DEBUG" && aws_lambda_function.this.logging_config[0].system_log_level == "INFO"
    error_message = "Debug mode must reach CloudWatch: Lambda's application log level must follow LOG_LEVEL."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 5
    error_message = "reserved_concurrent_executions must be passed on."
  }

  assert {
    condition = [for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement if startswith(statement.Sid, "UseSecretKey") || startswith(statement.Sid, "DecryptOwn")] == [
      {
        Sid      = "UseSecretKeyThroughSecretsManager"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        Condition = {
          StringEquals = { "kms:ViaService" = "secretsmanager.eu-west-1.amazonaws.com" }
          StringLike = {
            "kms:EncryptionContext:SecretARN" = [
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-??????",
              "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/provision-??????",
            ]
          }
        }
      },
      {
        Sid      = "DecryptOwnEnvironment"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = "arn:aws:kms:eu-west-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab"
        Condition = {
          StringEquals = { "kms:ViaService" = "lambda.eu-west-1.amazonaws.com" }
          StringLike = {
            "kms:EncryptionContext:aws:lambda:FunctionArn" = [
              "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation",
              "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation:*",
            ]
          }
        }
      },
    ]
    error_message = "With keys, the role may use the secrets' key through Secrets Manager for its secrets only, and decrypt its own environment through Lambda only."
  }

  assert {
    condition = jsondecode(output.application_policies["app"]).Statement[1] == {
      Sid      = "DecryptThroughSecretsManager"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = ["arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
      Condition = {
        StringEquals = { "kms:ViaService" = ["secretsmanager.eu-west-1.amazonaws.com"] }
        StringLike   = { "kms:EncryptionContext:SecretARN" = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf"] }
      }
    }
    error_message = "With a key, an application role must decrypt through Secrets Manager, for its secret only."
  }

  assert {
    condition     = aws_secretsmanager_secret.this["app"].kms_key_id == var.kms_key_arn && aws_secretsmanager_secret.provision.kms_key_id == var.kms_key_arn && aws_lambda_function.this.kms_key_arn == var.lambda_kms_key_arn
    error_message = "The secrets and the environment must be encrypted with the given keys."
  }

  assert {
    condition     = aws_lambda_code_signing_config.this[0].allowed_publishers[0].signing_profile_version_arns == toset(var.code_signing_profile_version_arns) && aws_lambda_code_signing_config.this[0].policies[0].untrusted_artifact_on_deployment == "Enforce"
    error_message = "With signing profiles, the module must create a configuration that enforces their signatures."
  }

  assert {
    condition     = keys(aws_vpc_security_group_egress_rule.rds_https_proxy) == ["10.0.9.0/28"] && aws_vpc_security_group_egress_rule.rds_https_proxy["10.0.9.0/28"].from_port == 3128 && aws_vpc_security_group_egress_rule.rds_https_proxy["10.0.9.0/28"].to_port == 3128
    error_message = "With a proxy, egress must allow the proxy's port to the proxy CIDRs."
  }

  assert {
    condition     = alltrue([for rule in aws_vpc_security_group_egress_rule.databases : rule.from_port == 3307])
    error_message = "The database rule must use database_port."
  }

  assert {
    condition     = [for permission in aws_lambda_permission.manual_invoke : [permission.principal, permission.action, permission.qualifier]] == [["arn:aws:iam::444455556666:role/dba-backend", "lambda:InvokeFunction", "manual"]]
    error_message = "Named principals may invoke the manual alias, and only it."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this["app"].rotation_rules[0].schedule_expression == "cron(0 4 ? * TUE *)" && aws_secretsmanager_secret_rotation.this["app"].rotation_rules[0].automatically_after_days == null && aws_secretsmanager_secret_rotation.this["app"].rotation_rules[0].duration == "3h"
    error_message = "A schedule expression and window must replace the days."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.errors[0].metric_name == "Errors" && aws_cloudwatch_metric_alarm.errors[0].dimensions["FunctionName"] == "app-rotation" && aws_cloudwatch_metric_alarm.errors[0].alarm_actions == toset(["arn:aws:sns:eu-west-1:111122223333:dba-alerts"])
    error_message = "Function errors must alarm to the topic."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.rotation_failed[0].event_pattern).detail.eventName == ["RotationFailed", "RotationAbandoned"] && jsondecode(aws_cloudwatch_event_rule.rotation_failed[0].event_pattern).detail.additionalEventData.SecretId == ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf"]
    error_message = "Failed and abandoned rotations of this secret must be matched."
  }

  assert {
    condition     = aws_cloudwatch_event_target.rotation_failed[0].arn == "arn:aws:sns:eu-west-1:111122223333:dba-alerts"
    error_message = "Rotation failures must go to the topic."
  }
}

run "static_endpoints_replace_rds_discovery" {
  command = plan

  variables {
    db_tag                  = null
    db_endpoints            = ["db1.internal:3306", "db2.internal:3307"]
    code_signing_config_arn = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0123456789abcdef0"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DB_ENDPOINTS"] == "db1.internal:3306,db2.internal:3307" && !contains(keys(aws_lambda_function.this.environment[0].variables), "DB_TAG_KEY")
    error_message = "Static endpoints must be passed on."
  }

  assert {
    condition     = !contains([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement.Sid], "DiscoverInstances")
    error_message = "Without RDS discovery, the role may not describe instances."
  }

  assert {
    condition     = aws_lambda_function.this.code_signing_config_arn == var.code_signing_config_arn && length(aws_lambda_code_signing_config.this) == 0
    error_message = "A given code signing configuration must be used as it is."
  }
}

run "discover_all_is_an_explicit_choice" {
  command = plan

  variables {
    db_tag          = null
    db_discover_all = true
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DB_DISCOVER_ALL"] == "true"
    error_message = "db_discover_all must set DB_DISCOVER_ALL."
  }
}

run "proxy_without_a_port_uses_the_scheme_default" {
  command = plan

  variables {
    rds_https_proxy = { url = "https://proxy.internal", cidr_blocks = ["10.0.9.0/28"] }
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.rds_https_proxy["10.0.9.0/28"].from_port == 443
    error_message = "An https proxy URL without a port means port 443."
  }

  assert {
    condition     = strcontains(aws_vpc_security_group_egress_rule.api_endpoints["10.0.0.0/24"].description, "Secrets Manager") && !strcontains(aws_vpc_security_group_egress_rule.api_endpoints["10.0.0.0/24"].description, "RDS")
    error_message = "With a proxy, the 443 rule is for Secrets Manager only."
  }
}

run "refuses_code_that_is_not_the_release" {
  command = plan

  variables {
    source_code_hash = "AAAAgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  }

  expect_failures = [aws_lambda_function.this]
}

run "refuses_a_policy_that_would_lock_terraform_out" {
  command = plan

  override_data {
    override_during = plan
    target          = data.aws_iam_session_context.current
    values          = { issuer_arn = "arn:aws:iam::111122223333:role/ci-deployer" }
  }

  expect_failures = [aws_secretsmanager_secret_policy.this, aws_secretsmanager_secret_policy.provision]
}

run "admin_wildcards_match_the_terraform_role" {
  command = plan

  variables {
    secret_admin_role_arns = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*"]
  }

  override_data {
    override_during = plan
    target          = data.aws_iam_session_context.current
    values          = { issuer_arn = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd" }
  }

  assert {
    condition     = jsondecode(aws_secretsmanager_secret_policy.this["app"].policy).Statement[2].Condition.ArnNotLike["aws:PrincipalArn"] == ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*"]
    error_message = "An admin given with a wildcard must be kept as written (ArnNotLike matches it)."
  }
}
