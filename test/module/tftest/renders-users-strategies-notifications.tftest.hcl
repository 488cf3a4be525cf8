# Plan runs against a mocked AWS provider: what the module renders for several users, the
# strategies and the notifications (renders.tftest.hcl has the rest; the two run side by side).
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

run "several_users_share_one_function" {
  command = plan

  variables {
    users = {
      app = {
        username              = "app"
        secret_name           = "app/mysql"
        rotation_rules        = { automatically_after_days = 7 }
        application_role_arns = ["arn:aws:iam::111122223333:role/shop-app"]
      }
      reporting = {
        username               = "reporting"
        secret_name            = "shop/mysql/reporting"
        secret_description     = "Read-only user of the reports"
        rotation_rules         = { schedule_expression = "cron(0 5 ? * SUN *)", duration = "2h" }
        password_length        = 48
        password_exclude_chars = "%"
        application_role_arns  = ["arn:aws:iam::111122223333:role/shop-reports"]
        replica_regions        = [{ region = "eu-central-1", kms_key_arn = "arn:aws:kms:eu-central-1:111122223333:key/abcd" }, { region = "us-east-1" }]
      }
    }
    default_provision_passwords = { app = "Provision-Password-1", reporting = "Provision-Password-2" }
  }

  override_resource {
    override_during = plan
    target          = aws_secretsmanager_secret.this["reporting"]
    values = {
      arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/reporting-MnOpQr"
      id  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/reporting-MnOpQr"
    }
  }

  assert {
    condition = jsondecode(aws_lambda_function.this.environment[0].variables["SECRETS"]) == [
      { user = "app", secretArn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf" },
      { user = "reporting", secretArn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/reporting-MnOpQr", passwordLength = 48, passwordExcludeChars = "%" },
    ]
    error_message = "SECRETS must list every user with its secret, and a user's own password settings."
  }

  assert {
    condition     = length(aws_lambda_function.this.environment[0].variables["SECRETS"]) < 1024
    error_message = "Two users must take a small part of the 4 KB environment."
  }

  assert {
    condition     = keys(aws_secretsmanager_secret.this) == ["app", "reporting"] && aws_secretsmanager_secret.this["reporting"].name == "shop/mysql/reporting" && aws_secretsmanager_secret.this["reporting"].description == "Read-only user of the reports" && strcontains(aws_secretsmanager_secret.this["app"].description, "MySQL user app")
    error_message = "Each user must get its own secret, named and described."
  }

  assert {
    condition     = toset([for replica in aws_secretsmanager_secret.this["reporting"].replica : replica.region]) == toset(["eu-central-1", "us-east-1"]) && contains([for replica in aws_secretsmanager_secret.this["reporting"].replica : replica.kms_key_id], "arn:aws:kms:eu-central-1:111122223333:key/abcd") && length(aws_secretsmanager_secret.this["app"].replica) == 0
    error_message = "Replica regions (with their keys) must be set on that user's secret only."
  }

  assert {
    condition     = jsondecode(aws_secretsmanager_secret_version.this["reporting"].secret_string) == { username = "reporting", password = "Provision-Password-2" } && jsondecode(aws_secretsmanager_secret_version.provision.secret_string) == { app = "Provision-Password-1", reporting = "Provision-Password-2" }
    error_message = "Each secret must start from its user's DPP, and the provision secret must hold every DPP by user."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this["app"].rotation_rules[0].automatically_after_days == 7 && aws_secretsmanager_secret_rotation.this["app"].rotation_rules[0].schedule_expression == null && aws_secretsmanager_secret_rotation.this["reporting"].rotation_rules[0].automatically_after_days == null && aws_secretsmanager_secret_rotation.this["reporting"].rotation_rules[0].schedule_expression == "cron(0 5 ? * SUN *)" && aws_secretsmanager_secret_rotation.this["reporting"].rotation_rules[0].duration == "2h"
    error_message = "Each user must rotate on its own schedule, in days or by an expression."
  }

  assert {
    condition     = aws_lambda_permission.secrets_manager["reporting"].source_arn == "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/reporting-MnOpQr" && aws_lambda_permission.secrets_manager["reporting"].qualifier == "rotation" && aws_lambda_permission.secrets_manager["app"].statement_id != aws_lambda_permission.secrets_manager["reporting"].statement_id
    error_message = "Secrets Manager must get one permission per secret, each for that secret."
  }

  assert {
    condition     = contains(jsondecode(aws_secretsmanager_secret_policy.this["reporting"].policy).Statement[0].Condition.ArnNotLike["aws:PrincipalArn"], "arn:aws:iam::111122223333:role/shop-reports") && !contains(jsondecode(aws_secretsmanager_secret_policy.this["reporting"].policy).Statement[0].Condition.ArnNotLike["aws:PrincipalArn"], "arn:aws:iam::111122223333:role/shop-app")
    error_message = "A user's secret must be readable by its own application roles, not the other users'."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[0].Resource == ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-??????", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/reporting-??????"]
    error_message = "The role must rotate every user's secret, and no other."
  }

  assert {
    condition = [for statement in jsondecode(output.application_policies["reporting"]).Statement : [statement.Resource, try(statement.Condition.StringEquals["kms:ViaService"], null)]] == [
      [["arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/reporting-MnOpQr", "arn:aws:secretsmanager:eu-central-1:111122223333:secret:shop/mysql/reporting-MnOpQr", "arn:aws:secretsmanager:us-east-1:111122223333:secret:shop/mysql/reporting-MnOpQr"], null],
      [["arn:aws:kms:eu-central-1:111122223333:key/abcd"], ["secretsmanager.eu-west-1.amazonaws.com", "secretsmanager.eu-central-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"]],
    ]
    error_message = "A replicated secret's application policy must cover its replicas and their keys, each through Secrets Manager."
  }

  assert {
    condition     = !strcontains(output.application_policies["app"], "reporting") && length(output.application_policies) == 2
    error_message = "Each user's application policy must name its own secret only."
  }

  assert {
    condition     = strcontains(aws_lambda_function.this.description, "app, reporting")
    error_message = "The function's description must name its users."
  }
}

run "aurora_clusters_are_discovered" {
  command = plan

  variables {
    db_engines = ["aurora-mysql", "mysql"]
  }

  assert {
    condition = [for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement if statement.Sid == "DiscoverClusters"] == [{
      Sid      = "DiscoverClusters"
      Effect   = "Allow"
      Action   = "rds:DescribeDBClusters"
      Resource = "arn:aws:rds:eu-west-1:111122223333:cluster:*"
    }]
    error_message = "With aurora-mysql, the role must describe the account's clusters."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DB_ENGINES"] == "aurora-mysql,mysql"
    error_message = "aurora-mysql must reach DB_ENGINES."
  }
}

run "refuses_a_replica_in_the_secrets_own_region" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", replica_regions = [{ region = "eu-west-1" }] }
    }
  }

  expect_failures = [aws_secretsmanager_secret.this]
}

run "refuses_an_environment_over_4_kb" {
  command = plan

  variables {
    users                       = { for index in range(20) : "user-${index}" => { username = "user${index}", secret_name = "${join("", [for n in range(25) : "long/"])}secret-${index}" } }
    default_provision_passwords = { for index in range(20) : "user-${index}" => "Provision-Password-${index}" }
  }

  expect_failures = [aws_lambda_function.this]
}

run "alternating_users_read_exactly_the_administrator_secret" {
  command = plan

  variables {
    users = {
      app       = { username = "app", secret_name = "app/mysql" }
      reporting = { username = "reporting", secret_name = "shop/mysql/reporting", rotation_strategy = "single-user" }
    }
    default_provision_passwords = { app = "Provision-Password-1", reporting = "Provision-Password-2" }
    rotation_strategy           = "alternating-users"
    alternating_user_suffix     = "_b"
    admin_secret_arn            = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf"
    admin_secret_kms_key_arn    = "arn:aws:kms:eu-west-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab"
  }

  override_resource {
    override_during = plan
    target          = aws_secretsmanager_secret.this["reporting"]
    values = {
      arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/reporting-MnOpQr"
      id  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/reporting-MnOpQr"
    }
  }

  assert {
    condition     = [for name in ["ROTATION_STRATEGY", "ALTERNATING_USER_SUFFIX", "ADMIN_SECRET_ID"] : aws_lambda_function.this.environment[0].variables[name]] == ["alternating-users", "_b", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf"]
    error_message = "The strategy, the suffix and the administrator secret must reach the function."
  }

  assert {
    condition     = [for entry in jsondecode(aws_lambda_function.this.environment[0].variables["SECRETS"]) : lookup(entry, "strategy", "module default")] == ["module default", "single-user"]
    error_message = "A user's own strategy must be in its SECRETS entry, and only there."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.administrator[0].policy).Statement == [
      {
        Sid      = "ReadAdministratorSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf"]
      },
      {
        Sid      = "DecryptAdministratorSecrets"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = ["arn:aws:kms:eu-west-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab"]
        Condition = {
          StringEquals = { "kms:ViaService" = "secretsmanager.eu-west-1.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:SecretARN" = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf"] }
        }
      },
    ]
    error_message = "The role must read exactly the administrator secret, and decrypt it through Secrets Manager only."
  }
}

run "rds_managed_master_secrets_are_read_exactly" {
  command = plan

  variables {
    rotation_strategy              = "alternating-users"
    use_rds_managed_master_secrets = true
    rds_master_secrets = [
      { secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0a1b-AbCdEf", kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/aaaa" },
      { secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-2c3d-GhIjKl", kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/aaaa" },
      { secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!cluster-4e5f-MnOpQr" },
    ]
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.this.environment[0].variables), "ADMIN_SECRET_ID") && aws_lambda_function.this.environment[0].variables["ROTATION_STRATEGY"] == "alternating-users"
    error_message = "With RDS-managed master secrets, the function must find the administrator per instance (no ADMIN_SECRET_ID)."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.administrator[0].policy).Statement[0].Resource == ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0a1b-AbCdEf", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-2c3d-GhIjKl", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!cluster-4e5f-MnOpQr"]
    error_message = "The role must read exactly the listed master secrets."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.administrator[0].policy).Statement[1].Resource == ["arn:aws:kms:eu-west-1:111122223333:key/aaaa"] && length(jsondecode(aws_iam_role_policy.administrator[0].policy).Statement[1].Condition.StringLike["kms:EncryptionContext:SecretARN"]) == 3
    error_message = "The role must decrypt with the master secrets' keys (each once), for those secrets only."
  }
}

run "notifications_render_readable_messages_and_the_notice_schedule" {
  command = plan

  variables {
    alarm_sns_topic_arn              = "arn:aws:sns:eu-west-1:111122223333:dba-alerts"
    rotation_succeeded_sns_topic_arn = "arn:aws:sns:eu-west-1:111122223333:dba-alerts"
    rotation_notice = {
      sns_topic_arn   = "arn:aws:sns:eu-west-1:111122223333:shop-notices"
      lead_minutes    = 2880
      period_minutes  = 30
      sns_kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/5555abcd-12ab-34cd-56ef-1234567890ab"
    }
  }

  override_resource {
    override_during = plan
    target          = aws_cloudwatch_event_rule.notice
    values          = { arn = "arn:aws:events:eu-west-1:111122223333:rule/app-rotation-notice" }
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.rotation_succeeded[0].event_pattern) == {
      source        = ["aws.secretsmanager"]
      "detail-type" = ["AWS Service Event via CloudTrail"]
      detail = {
        eventSource         = ["secretsmanager.amazonaws.com"]
        eventName           = ["RotationSucceeded"]
        additionalEventData = { SecretId = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf"] }
      }
    }
    error_message = "Successful rotations of the module's secrets, and nothing else, must be matched."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.rotation_succeeded[0].name == "app-rotation-rotated" && aws_cloudwatch_event_target.rotation_succeeded[0].arn == "arn:aws:sns:eu-west-1:111122223333:dba-alerts" && aws_cloudwatch_event_target.rotation_failed[0].arn == aws_cloudwatch_event_target.rotation_succeeded[0].arn
    error_message = "Successes may go to the alarm's topic."
  }

  assert {
    condition = aws_cloudwatch_event_target.rotation_succeeded[0].input_transformer[0].input_paths == tomap({
      account = "$.account"
      event   = "$.detail.eventName"
      region  = "$.region"
      secret  = "$.detail.additionalEventData.SecretId"
      time    = "$.detail.eventTime"
    })
    error_message = "The transformer must take the secret, time, account and region from the CloudTrail event."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_target.rotation_succeeded[0].input_transformer[0].input_template) == "Secret <secret> was rotated at <time> (account <account>, <region>): AWSCURRENT holds a new password, on every instance."
    error_message = "A success must read as one plain sentence (a JSON string, which SNS sends as it is)."
  }

  assert {
    condition     = startswith(jsondecode(aws_cloudwatch_event_target.rotation_failed[0].input_transformer[0].input_template), "Secrets Manager reports <event> for secret <secret> at <time>") && strcontains(aws_cloudwatch_event_target.rotation_failed[0].input_transformer[0].input_template, "/aws/lambda/app-rotation")
    error_message = "A failure must read as a sentence naming the event, the secret and the log group."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.notice[0].schedule_expression == "rate(30 minutes)" && aws_cloudwatch_event_rule.notice[0].name == "app-rotation-notice"
    error_message = "The notice must run every period_minutes."
  }

  assert {
    condition     = aws_cloudwatch_event_target.notice[0].arn == "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation:manual" && jsondecode(aws_cloudwatch_event_target.notice[0].input) == { action = "notice" }
    error_message = "The schedule must invoke the manual alias with the notice action."
  }

  assert {
    condition     = [aws_lambda_permission.notice[0].principal, aws_lambda_permission.notice[0].qualifier, aws_lambda_permission.notice[0].source_arn, aws_lambda_permission.notice[0].source_account] == ["events.amazonaws.com", "manual", "arn:aws:events:eu-west-1:111122223333:rule/app-rotation-notice", "111122223333"]
    error_message = "EventBridge may invoke the manual alias for the notice rule only."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this["manual"].maximum_event_age_in_seconds == 300 && aws_lambda_function_event_invoke_config.this["rotation"].maximum_event_age_in_seconds == null
    error_message = "A notice queued too long must be dropped; rotation steps keep Lambda's default."
  }

  assert {
    condition     = [for name in ["NOTICE_TOPIC_ARN", "NOTICE_LEAD_MINUTES", "NOTICE_PERIOD_MINUTES"] : aws_lambda_function.this.environment[0].variables[name]] == ["arn:aws:sns:eu-west-1:111122223333:shop-notices", "2880", "30"]
    error_message = "The notice settings must reach the function."
  }

  assert {
    condition = [for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement if contains(["PublishNotices", "EncryptNoticesThroughSns"], statement.Sid)] == [
      {
        Sid      = "PublishNotices"
        Effect   = "Allow"
        Action   = "sns:Publish"
        Resource = "arn:aws:sns:eu-west-1:111122223333:shop-notices"
      },
      {
        Sid       = "EncryptNoticesThroughSns"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "arn:aws:kms:eu-west-1:111122223333:key/5555abcd-12ab-34cd-56ef-1234567890ab"
        Condition = { StringEquals = { "kms:ViaService" = "sns.eu-west-1.amazonaws.com" } }
      },
    ]
    error_message = "The role must publish to the notice topic only, and use its key through SNS only."
  }
}

