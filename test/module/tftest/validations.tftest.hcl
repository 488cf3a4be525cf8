# One run per validation rule: each bad value must stop the plan at that variable.
# Run by test/module/terraform-test-runs-pass-with-a-mocked-provider.test.ts;
# test/module/hcl-keeps-rotation-invariants.test.ts checks that every validation block has a run here.

# It runs against variables.tf alone (no provider): the validations read nothing else. The inputs
# every run starts from are in common.tfvars, shared with renders.tftest.hcl.

run "rejects_name_bad_characters" {
  command = plan

  variables {
    name = "app rotation!"
  }

  expect_failures = [var.name]
}

run "rejects_s3_bucket_not_a_bucket_name" {
  command = plan

  variables {
    s3_bucket = "Bad_Bucket"
  }

  expect_failures = [var.s3_bucket]
}

run "rejects_s3_key_leading_slash" {
  command = plan

  variables {
    s3_key = "/function.zip"
  }

  expect_failures = [var.s3_key]
}

run "rejects_source_code_hash_not_base64_sha256" {
  command = plan

  variables {
    source_code_hash = "abc"
  }

  expect_failures = [var.source_code_hash]
}

run "rejects_code_signing_config_arn_not_a_config_arn" {
  command = plan

  variables {
    code_signing_config_arn = "csc-0123456789abcdef0"
  }

  expect_failures = [var.code_signing_config_arn]
}

run "rejects_code_signing_config_arn_with_signing_profiles" {
  command = plan

  variables {
    code_signing_config_arn           = "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0123456789abcdef0"
    code_signing_profile_version_arns = ["arn:aws:signer:eu-west-1:444455556666:/signing-profiles/DbaReleases/a1b2c3d4e5"]
  }

  expect_failures = [var.code_signing_config_arn]
}

run "rejects_code_signing_profile_version_arns_profile_without_version" {
  command = plan

  variables {
    code_signing_profile_version_arns = ["arn:aws:signer:eu-west-1:444455556666:/signing-profiles/DbaReleases"]
  }

  expect_failures = [var.code_signing_profile_version_arns]
}

run "rejects_timeout_above_lambda_maximum" {
  command = plan

  variables {
    timeout = 901
  }

  expect_failures = [var.timeout]
}

run "rejects_timeout_shorter_than_the_replication_wait" {
  command = plan

  variables {
    timeout             = 20
    replication_wait_ms = 30000
  }

  expect_failures = [var.timeout]
}

run "rejects_memory_size_below_lambda_minimum" {
  command = plan

  variables {
    memory_size = 64
  }

  expect_failures = [var.memory_size]
}

run "rejects_reserved_concurrent_executions_of_one" {
  command = plan

  variables {
    reserved_concurrent_executions = 1
  }

  expect_failures = [var.reserved_concurrent_executions]
}

run "rejects_vpc_id_not_a_vpc_id" {
  command = plan

  variables {
    vpc_id = "vpc_123"
  }

  expect_failures = [var.vpc_id]
}

run "rejects_subnet_ids_empty" {
  command = plan

  variables {
    subnet_ids = []
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_subnet_ids_not_subnet_ids" {
  command = plan

  variables {
    subnet_ids = ["sg-0123456789abcdef0"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_api_endpoint_cidr_blocks_invalid_cidr" {
  command = plan

  variables {
    api_endpoint_cidr_blocks = ["10.0.0.0/33"]
  }

  expect_failures = [var.api_endpoint_cidr_blocks]
}

run "rejects_database_cidr_blocks_empty" {
  command = plan

  variables {
    database_cidr_blocks = []
  }

  expect_failures = [var.database_cidr_blocks]
}

run "rejects_database_port_out_of_range" {
  command = plan

  variables {
    database_port = 70000
  }

  expect_failures = [var.database_port]
}

run "rejects_rds_https_proxy_url_without_scheme" {
  command = plan

  variables {
    rds_https_proxy = { url = "proxy.internal:3128", cidr_blocks = ["10.0.9.0/28"] }
  }

  expect_failures = [var.rds_https_proxy]
}

run "rejects_rds_https_proxy_without_cidrs" {
  command = plan

  variables {
    rds_https_proxy = { url = "http://proxy.internal:3128", cidr_blocks = [] }
  }

  expect_failures = [var.rds_https_proxy]
}

run "rejects_db_engines_unknown_engine" {
  command = plan

  variables {
    db_engines = ["postgres"]
  }

  expect_failures = [var.db_engines]
}

run "rejects_db_tag_empty_key" {
  command = plan

  variables {
    db_tag = { key = "" }
  }

  expect_failures = [var.db_tag]
}

run "rejects_db_identifier_prefix_empty" {
  command = plan

  variables {
    db_identifier_prefix = ""
  }

  expect_failures = [var.db_identifier_prefix]
}

run "rejects_db_endpoints_without_port" {
  command = plan

  variables {
    db_endpoints = ["db1.internal"]
  }

  expect_failures = [var.db_endpoints]
}

run "rejects_db_discover_all_unset_without_any_scope" {
  command = plan

  variables {
    db_tag = null
  }

  expect_failures = [var.db_discover_all]
}

run "rejects_db_discover_all_with_a_tag" {
  command = plan

  variables {
    db_discover_all = true
  }

  expect_failures = [var.db_discover_all]
}

run "rejects_db_tls_ca_file_relative_path" {
  command = plan

  variables {
    db_tls_ca_file = "ca/bundle.pem"
  }

  expect_failures = [var.db_tls_ca_file]
}

run "rejects_parallel_of_zero" {
  command = plan

  variables {
    parallel = 0
  }

  expect_failures = [var.parallel]
}

run "rejects_retries_negative" {
  command = plan

  variables {
    retries = -1
  }

  expect_failures = [var.retries]
}

run "rejects_retry_wait_ms_above_a_minute" {
  command = plan

  variables {
    retry_wait_ms = 60001
  }

  expect_failures = [var.retry_wait_ms]
}

run "rejects_connect_timeout_ms_below_100_ms" {
  command = plan

  variables {
    connect_timeout_ms = 50
  }

  expect_failures = [var.connect_timeout_ms]
}

run "rejects_query_timeout_ms_below_100_ms" {
  command = plan

  variables {
    query_timeout_ms = 50
  }

  expect_failures = [var.query_timeout_ms]
}

run "rejects_replication_wait_ms_above_ten_minutes" {
  command = plan

  variables {
    replication_wait_ms = 600001
    timeout             = 900
  }

  expect_failures = [var.replication_wait_ms]
}

run "rejects_secret_replication_wait_ms_negative" {
  command = plan

  variables {
    secret_replication_wait_ms = -1
  }

  expect_failures = [var.secret_replication_wait_ms]
}

run "rejects_users_more_than_20" {
  command = plan

  variables {
    users                       = { for index in range(21) : "user-${index}" => { username = "user${index}", secret_name = "shop/mysql/user-${index}" } }
    default_provision_passwords = { for index in range(21) : "user-${index}" => "Provision-Password-${index}" }
  }

  expect_failures = [var.users]
}

run "rejects_users_key_with_a_space" {
  command = plan

  variables {
    users = {
      "read only" = { username = "reader", secret_name = "app/mysql" }
    }
    default_provision_passwords = { "read only" = "Provision-Password-1" }
  }

  expect_failures = [var.users]
}

run "rejects_users_secret_name_with_spaces" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app mysql" }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_sharing_a_secret" {
  command = plan

  variables {
    users = {
      app       = { username = "app", secret_name = "app/mysql" }
      reporting = { username = "reporting", secret_name = "app/mysql" }
    }
    default_provision_passwords = { app = "Provision-Password-1", reporting = "Provision-Password-2" }
  }

  expect_failures = [var.users]
}

run "rejects_users_username_whose_clone_is_longer_than_mysql_allows" {
  command = plan

  variables {
    users = {
      app = { username = "application_user_of_thirty_chr", secret_name = "app/mysql", rotation_strategy = "alternating-users" }
    }
    admin_secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf"
  }

  expect_failures = [var.users]
}

run "rejects_users_sharing_a_username" {
  command = plan

  variables {
    users = {
      app       = { username = "app", secret_name = "app/mysql" }
      reporting = { username = "app", secret_name = "shop/mysql/reporting" }
    }
    default_provision_passwords = { app = "Provision-Password-1", reporting = "Provision-Password-2" }
  }

  expect_failures = [var.users]
}

run "rejects_users_rotation_strategy_unknown" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", rotation_strategy = "dual" }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_rotation_rules_with_days_and_a_schedule" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", rotation_rules = { automatically_after_days = 7, schedule_expression = "rate(7 days)" } }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_rotation_rules_days_of_zero" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", rotation_rules = { automatically_after_days = 0 } }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_rotation_rules_schedule_not_rate_or_cron" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", rotation_rules = { schedule_expression = "weekly" } }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_rotation_rules_duration_of_minutes" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", rotation_rules = { duration = "90m" } }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_password_length_above_128" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", password_length = 129 }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_password_exclude_chars_empty" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", password_exclude_chars = "" }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_application_role_arns_every_role" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", application_role_arns = ["arn:aws:iam::111122223333:role/*"] }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_replica_regions_twice_the_same" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", replica_regions = [{ region = "eu-central-1" }, { region = "eu-central-1" }] }
    }
  }

  expect_failures = [var.users]
}

run "rejects_users_replica_kms_key_in_another_region" {
  command = plan

  variables {
    users = {
      app = { username = "app", secret_name = "app/mysql", replica_regions = [{ region = "eu-central-1", kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/abcd" }] }
    }
  }

  expect_failures = [var.users]
}

run "rejects_default_provision_passwords_missing_a_user" {
  command = plan

  variables {
    users = {
      app       = { username = "app", secret_name = "app/mysql" }
      reporting = { username = "reporting", secret_name = "shop/mysql/reporting" }
    }
    default_provision_passwords = { app = "Provision-Password-1" }
  }

  expect_failures = [var.default_provision_passwords]
}

run "rejects_default_provision_passwords_shorter_than_8" {
  command = plan

  variables {
    default_provision_passwords = { app = "short" }
  }

  expect_failures = [var.default_provision_passwords]
}

run "rejects_kms_key_arn_alias" {
  command = plan

  variables {
    kms_key_arn = "alias/secrets"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_lambda_kms_key_arn_alias" {
  command = plan

  variables {
    lambda_kms_key_arn = "alias/lambda"
  }

  expect_failures = [var.lambda_kms_key_arn]
}

run "rejects_rotation_strategy_unknown" {
  command = plan

  variables {
    rotation_strategy = "multi-user"
  }

  expect_failures = [var.rotation_strategy]
}

run "rejects_admin_secret_arn_missing_under_alternating_users" {
  command = plan

  variables {
    rotation_strategy = "alternating-users"
  }

  expect_failures = [var.admin_secret_arn]
}

run "rejects_alternating_user_suffix_with_a_dash" {
  command = plan

  variables {
    alternating_user_suffix = "-clone"
  }

  expect_failures = [var.alternating_user_suffix]
}

run "rejects_admin_secret_arn_without_its_suffix" {
  command = plan

  variables {
    admin_secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin"
  }

  expect_failures = [var.admin_secret_arn]
}

run "rejects_admin_secret_arn_with_rds_managed_master_secrets" {
  command = plan

  variables {
    admin_secret_arn               = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf"
    use_rds_managed_master_secrets = true
    rds_master_secrets             = [{ secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0a1b2c3d-AbCdEf" }]
  }

  expect_failures = [var.admin_secret_arn]
}

run "rejects_admin_secret_kms_key_arn_alias" {
  command = plan

  variables {
    admin_secret_arn         = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf"
    admin_secret_kms_key_arn = "alias/admin"
  }

  expect_failures = [var.admin_secret_kms_key_arn]
}

run "rejects_admin_secret_kms_key_arn_without_the_secret" {
  command = plan

  variables {
    admin_secret_kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/abcd"
  }

  expect_failures = [var.admin_secret_kms_key_arn]
}

run "rejects_use_rds_managed_master_secrets_with_static_endpoints" {
  command = plan

  variables {
    use_rds_managed_master_secrets = true
    rds_master_secrets             = [{ secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0a1b2c3d-AbCdEf" }]
    db_tag                         = null
    db_endpoints                   = ["db1.internal:3306"]
  }

  expect_failures = [var.use_rds_managed_master_secrets]
}

run "rejects_rds_master_secrets_missing_with_rds_managed_master_secrets" {
  command = plan

  variables {
    use_rds_managed_master_secrets = true
  }

  expect_failures = [var.rds_master_secrets]
}

run "rejects_rds_master_secrets_secret_name_without_arn" {
  command = plan

  variables {
    use_rds_managed_master_secrets = true
    rds_master_secrets             = [{ secret_arn = "rds!db-0a1b2c3d" }]
  }

  expect_failures = [var.rds_master_secrets]
}

run "rejects_recovery_window_in_days_between_0_and_7" {
  command = plan

  variables {
    recovery_window_in_days = 3
  }

  expect_failures = [var.recovery_window_in_days]
}

run "rejects_provision_secret_name_with_spaces" {
  command = plan

  variables {
    provision_secret_name = "shop provision"
  }

  expect_failures = [var.provision_secret_name]
}

run "rejects_secret_admin_role_arns_empty" {
  command = plan

  variables {
    secret_admin_role_arns = []
  }

  expect_failures = [var.secret_admin_role_arns]
}

run "rejects_secret_admin_role_arns_every_role" {
  command = plan

  variables {
    secret_admin_role_arns = ["arn:aws:iam::111122223333:role/*"]
  }

  expect_failures = [var.secret_admin_role_arns]
}

run "rejects_stale_pending_minutes_above_a_week" {
  command = plan

  variables {
    stale_pending_minutes = 10081
  }

  expect_failures = [var.stale_pending_minutes]
}

run "rejects_password_length_below_16" {
  command = plan

  variables {
    password_length = 8
  }

  expect_failures = [var.password_length]
}

run "rejects_password_exclude_chars_empty" {
  command = plan

  variables {
    password_exclude_chars = ""
  }

  expect_failures = [var.password_exclude_chars]
}

run "rejects_rotation_rules_with_days_and_a_schedule" {
  command = plan

  variables {
    rotation_rules = { automatically_after_days = 7, schedule_expression = "rate(7 days)" }
  }

  expect_failures = [var.rotation_rules]
}

run "rejects_rotation_rules_days_above_1000" {
  command = plan

  variables {
    rotation_rules = { automatically_after_days = 1001 }
  }

  expect_failures = [var.rotation_rules]
}

run "rejects_rotation_rules_schedule_not_rate_or_cron" {
  command = plan

  variables {
    rotation_rules = { schedule_expression = "every tuesday" }
  }

  expect_failures = [var.rotation_rules]
}

run "rejects_rotation_rules_duration_above_24h" {
  command = plan

  variables {
    rotation_rules = { duration = "25h" }
  }

  expect_failures = [var.rotation_rules]
}

run "rejects_rotation_wait_duration_not_a_duration" {
  command = plan

  variables {
    rotation_wait_duration = "20 seconds"
  }

  expect_failures = [var.rotation_wait_duration]
}

run "rejects_manual_invoke_principals_role_name_without_arn" {
  command = plan

  variables {
    manual_invoke_principals = ["dba-backend"]
  }

  expect_failures = [var.manual_invoke_principals]
}

run "rejects_log_level_trace" {
  command = plan

  variables {
    log_level = "TRACE"
  }

  expect_failures = [var.log_level]
}

run "rejects_log_retention_in_days_not_accepted_by_cloudwatch" {
  command = plan

  variables {
    log_retention_in_days = 2
  }

  expect_failures = [var.log_retention_in_days]
}

run "rejects_alarm_sns_topic_arn_topic_name_without_arn" {
  command = plan

  variables {
    alarm_sns_topic_arn = "dba-alerts"
  }

  expect_failures = [var.alarm_sns_topic_arn]
}

run "rejects_rotation_succeeded_sns_topic_arn_topic_name_without_arn" {
  command = plan

  variables {
    rotation_succeeded_sns_topic_arn = "dba-rotations"
  }

  expect_failures = [var.rotation_succeeded_sns_topic_arn]
}

run "rejects_rotation_notice_topic_name_without_arn" {
  command = plan

  variables {
    rotation_notice = { sns_topic_arn = "dba-notices" }
  }

  expect_failures = [var.rotation_notice]
}

run "rejects_rotation_notice_lead_above_30_days" {
  command = plan

  variables {
    rotation_notice = { sns_topic_arn = "arn:aws:sns:eu-west-1:111122223333:dba-notices", lead_minutes = 43201 }
  }

  expect_failures = [var.rotation_notice]
}

run "rejects_rotation_notice_period_below_5_minutes" {
  command = plan

  variables {
    rotation_notice = { sns_topic_arn = "arn:aws:sns:eu-west-1:111122223333:dba-notices", period_minutes = 1 }
  }

  expect_failures = [var.rotation_notice]
}

run "rejects_rotation_notice_key_alias" {
  command = plan

  variables {
    rotation_notice = { sns_topic_arn = "arn:aws:sns:eu-west-1:111122223333:dba-notices", sns_kms_key_arn = "alias/sns" }
  }

  expect_failures = [var.rotation_notice]
}
