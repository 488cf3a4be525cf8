# Plan runs against a mocked AWS provider: what the module renders, without an AWS account.
# Run by test/module/terraform-test-runs-pass-with-a-mocked-provider.test.ts on a copy of the module.

# The mocked provider answers with mocks/aws.tfmock.hcl; the inputs every run starts from are in
# common.tfvars (passed with -var-file), shared with validations.tftest.hcl.
mock_provider "aws" {
  override_during = plan
  source          = "./tftest/mocks"
}

run "defaults_render_the_function_contract" {
  command = plan

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      SECRET_ID                  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf"
      PARALLEL                   = "10"
      RETRIES                    = "2"
      RETRY_WAIT_MS              = "2000"
      CONNECT_TIMEOUT_MS         = "5000"
      QUERY_TIMEOUT_MS           = "10000"
      DB_ENGINES                 = "mysql,mariadb"
      DB_SKIP_UNAVAILABLE        = "false"
      PASSWORD_LENGTH            = "32"
      DEFAULT_PROVISION_PASSWORD = "Provision-Password-1"
      STALE_PENDING_MINUTES      = "60"
      LOG_LEVEL                  = "INFO"
    })
    error_message = "The environment must hold the defaults and no unset optional variable."
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "nodejs22.x" && aws_lambda_function.this.handler == "index.handler"
    error_message = "The function must run index.handler on nodejs22.x."
  }

  assert {
    condition     = aws_lambda_function.this.s3_bucket == "dba-function-releases" && aws_lambda_function.this.s3_key == "mysql-password-rotation/1.0.0/function.zip"
    error_message = "The code must come from s3_bucket/s3_key."
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
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0
    error_message = "Lambda must not retry a failed step by itself."
  }

  assert {
    condition     = aws_lambda_permission.secrets_manager.principal == "secretsmanager.amazonaws.com" && aws_lambda_permission.secrets_manager.source_account == "111122223333" && aws_lambda_permission.secrets_manager.action == "lambda:InvokeFunction"
    error_message = "Secrets Manager may invoke the function, from this account only."
  }

  assert {
    condition     = length(aws_lambda_permission.manual_invoke) == 0
    error_message = "Nobody else may invoke the function unless named."
  }

  assert {
    condition     = jsondecode(aws_secretsmanager_secret_version.this.secret_string) == { username = "app", password = "Provision-Password-1" }
    error_message = "The first secret version must hold the username and the DPP."
  }

  assert {
    condition     = aws_secretsmanager_secret.this.name == "app/mysql" && aws_secretsmanager_secret.this.recovery_window_in_days == 30 && aws_secretsmanager_secret.this.kms_key_id == null
    error_message = "The secret must have the static name, default recovery window and no customer key."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this.rotation_rules[0].automatically_after_days == 30 && aws_secretsmanager_secret_rotation.this.rotation_rules[0].schedule_expression == null
    error_message = "Without a schedule, the secret must rotate every 30 days."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this.rotation_lambda_arn == "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation"
    error_message = "The rotation must use the module's function."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.errors) == 0 && length(aws_cloudwatch_event_rule.rotation_failed) == 0 && length(aws_cloudwatch_event_target.rotation_failed) == 0
    error_message = "Without a topic there is no alerting."
  }
}

run "iam_policy_grants_this_secret_discovery_and_own_logs" {
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
        Sid    = "RotateThisSecret"
        Effect = "Allow"
        Action = [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
          "secretsmanager:UpdateSecretVersionStage",
          "secretsmanager:ListSecretVersionIds",
        ]
        Resource = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-??????"
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
    ]
    error_message = "The inline policy must be exactly: this secret, RDS discovery and the own log group (no KMS without a key)."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.vpc_access.policy_arn == "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
    error_message = "The role needs the managed VPC access policy."
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
    db_tag                         = { key = "application", value = "shop" }
    db_identifier_prefix           = "shop-"
    db_skip_unavailable            = true
    db_endpoints                   = ["db1.internal:3306", "db2.internal:3307"]
    db_tls_ca_file                 = "/opt/ca/bundle.pem"
    password_exclude_chars         = "%&"
    rds_https_proxy                = { url = "http://proxy.internal:3128", cidr_blocks = ["10.0.9.0/28"] }
    log_level                      = "DEBUG"
    kms_key_arn                    = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    manual_invoke_principals       = ["arn:aws:iam::444455556666:role/dba-backend"]
    alarm_sns_topic_arn            = "arn:aws:sns:eu-west-1:111122223333:dba-alerts"
    rotation_rules                 = { schedule_expression = "cron(0 4 ? * TUE *)", duration = "3h" }
    reserved_concurrent_executions = 5
    database_port                  = 3307
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
    condition     = aws_lambda_function.this.environment[0].variables["DB_ENDPOINTS"] == "db1.internal:3306,db2.internal:3307" && aws_lambda_function.this.environment[0].variables["DB_TLS_CA_FILE"] == "/opt/ca/bundle.pem"
    error_message = "Static endpoints and the CA file must be passed on."
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
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[3] == {
      Sid      = "UseSecretKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
    error_message = "With a key, the role may decrypt and generate data keys with that key only."
  }

  assert {
    condition     = aws_secretsmanager_secret.this.kms_key_id == "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The secret must be encrypted with the given key."
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
    condition     = [for permission in aws_lambda_permission.manual_invoke : permission.principal] == ["arn:aws:iam::444455556666:role/dba-backend"] && alltrue([for permission in aws_lambda_permission.manual_invoke : permission.action == "lambda:InvokeFunction"])
    error_message = "Named principals may invoke the function."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this.rotation_rules[0].schedule_expression == "cron(0 4 ? * TUE *)" && aws_secretsmanager_secret_rotation.this.rotation_rules[0].automatically_after_days == null && aws_secretsmanager_secret_rotation.this.rotation_rules[0].duration == "3h"
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

run "rotation_days_are_passed_on" {
  command = plan

  variables {
    rotation_rules = { automatically_after_days = 7 }
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this.rotation_rules[0].automatically_after_days == 7 && aws_secretsmanager_secret_rotation.this.rotation_rules[0].schedule_expression == null
    error_message = "rotation_rules.automatically_after_days must be passed on."
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
