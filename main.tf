# The module's resources live in one file per concern: iam.tf (the function's role), network.tf (its
# security group), function.tf (the function, its aliases and who may invoke them), secret.tf (the
# secrets, their policies and rotation) and notifications.tf (failures, successes and notices). This
# file holds what they share.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

# The role behind Terraform's session, to check that it administers the secrets it creates.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix
  region     = data.aws_region.current.name

  # Built from names rather than read from the resources, so that every policy is known at plan time.
  arn_prefix     = "arn:${local.partition}"
  role_arn       = "${local.arn_prefix}:iam::${local.account_id}:role/${var.name}"
  function_arn   = "${local.arn_prefix}:lambda:${local.region}:${local.account_id}:function:${var.name}"
  log_group_name = "/aws/lambda/${var.name}"

  # Secrets Manager appends a hyphen and six random characters to the name; "??????" matches exactly
  # those, so the policy is known at plan time and matches no other secret.
  secret_arn_prefix            = "${local.arn_prefix}:secretsmanager:${local.region}:${local.account_id}:secret:"
  secret_arn_patterns          = { for key, user in var.users : key => "${local.secret_arn_prefix}${user.secret_name}-??????" }
  provision_secret_name        = coalesce(var.provision_secret_name, "${var.name}/default-provision-passwords")
  provision_secret_arn_pattern = "${local.secret_arn_prefix}${local.provision_secret_name}-??????"

  # Secrets Manager invokes the `rotation` alias and no other; manual actions go to `manual`.
  rotation_alias = "rotation"
  manual_alias   = "manual"

  # One switch per optional part: every resource of a part uses the same local.
  create_alerting             = var.alarm_sns_topic_arn != null
  create_success_notification = var.rotation_succeeded_sns_topic_arn != null
  create_notice               = var.rotation_notice != null
  create_notice_key_use       = try(var.rotation_notice.sns_kms_key_arn, null) != null
  create_rds_https_proxy      = var.rds_https_proxy != null
  create_rds_discovery        = length(var.db_endpoints) == 0
  create_cluster_discovery    = local.create_rds_discovery && contains(var.db_engines, "aurora-mysql")
  create_secret_key_use       = var.kms_key_arn != null
  create_lambda_key_use       = var.lambda_kms_key_arn != null
  create_code_signing_config  = length(var.code_signing_profile_version_arns) > 0
  create_administrator_access = var.admin_secret_arn != null || var.use_rds_managed_master_secrets
  code_signing_config_arn     = local.create_code_signing_config ? aws_lambda_code_signing_config.this[0].arn : var.code_signing_config_arn

  # The administrator secrets the function may read: the one given, or exactly the RDS-managed master
  # secrets listed, with their keys.
  administrator_secret_arns = var.admin_secret_arn != null ? [var.admin_secret_arn] : [for secret in var.rds_master_secrets : secret.secret_arn]
  administrator_key_arns = var.admin_secret_arn != null ? compact([var.admin_secret_kms_key_arn]) : distinct(compact([
    for secret in var.rds_master_secrets : secret.kms_key_arn
  ]))

  # The role Terraform runs as must be one of the admins, or the secrets' policies would lock it out.
  # Only IAM roles and users can be named in the policies, so other sessions are not checked. The
  # admin ARNs may hold IAM wildcards (`*`, `?`); as regular expressions they tell whether it matches.
  terraform_principal_arn     = data.aws_iam_session_context.current.issuer_arn
  terraform_principal_checked = startswith(local.terraform_principal_arn, "${local.arn_prefix}:iam::")
  admin_arn_regexes = [
    for arn in var.secret_admin_role_arns :
    "^${replace(replace(replace(arn, "/[.+^$(){}|\\[\\]\\\\]/", "\\$0"), "*", ".*"), "?", ".")}$"
  ]
  terraform_principal_is_admin = !local.terraform_principal_checked || anytrue([
    for pattern in local.admin_arn_regexes : can(regex(pattern, local.terraform_principal_arn))
  ])

  proxy_url_parts = local.create_rds_https_proxy ? regex("^(https?)://[^:/]+(?::([0-9]+))?", var.rds_https_proxy.url) : null
  proxy_port      = local.create_rds_https_proxy ? tonumber(coalesce(local.proxy_url_parts[1], local.proxy_url_parts[0] == "https" ? "443" : "80")) : null

  # One SECRETS entry per user. A user's password settings and strategy appear only where the user
  # gives its own (else PASSWORD_LENGTH, PASSWORD_EXCLUDE_CHARS, ROTATION_STRATEGY apply), which
  # keeps the environment well under Lambda's 4 KB.
  secret_entry_settings = {
    for key, user in var.users : key => merge(
      user.password_length == null ? {} : { passwordLength = user.password_length },
      user.password_exclude_chars == null ? {} : { passwordExcludeChars = user.password_exclude_chars },
      user.rotation_strategy == null ? {} : { strategy = user.rotation_strategy },
    )
  }
  secrets_json = jsonencode([
    for key, user in var.users : merge({ user = key, secretArn = aws_secretsmanager_secret.this[key].arn }, local.secret_entry_settings[key])
  ])
  # The same with ARNs of the final length ("-" and six characters), known at plan time.
  secrets_json_estimate = jsonencode([
    for key, user in var.users : merge({ user = key, secretArn = "${local.secret_arn_prefix}${user.secret_name}-XXXXXX" }, local.secret_entry_settings[key])
  ])

  # Unset optional settings are left out rather than set to "": docs/configuration.md treats unset and
  # empty alike, and a plan then shows only what was chosen.
  environment_settings = {
    for key, value in {
      PROVISION_SECRET_ARN       = aws_secretsmanager_secret.provision.arn
      ROTATION_ALIAS             = local.rotation_alias
      PARALLEL                   = tostring(var.parallel)
      RETRIES                    = tostring(var.retries)
      RETRY_WAIT_MS              = tostring(var.retry_wait_ms)
      CONNECT_TIMEOUT_MS         = tostring(var.connect_timeout_ms)
      QUERY_TIMEOUT_MS           = tostring(var.query_timeout_ms)
      REPLICATION_WAIT_MS        = tostring(var.replication_wait_ms)
      SECRET_REPLICATION_WAIT_MS = tostring(var.secret_replication_wait_ms)
      DB_ENGINES                 = join(",", var.db_engines)
      DB_TAG_KEY                 = try(var.db_tag.key, null)
      DB_TAG_VALUE               = try(var.db_tag.value, null)
      DB_IDENTIFIER_PREFIX       = var.db_identifier_prefix
      DB_DISCOVER_ALL            = tostring(var.db_discover_all)
      DB_SKIP_UNAVAILABLE        = tostring(var.db_skip_unavailable)
      DB_ENDPOINTS               = length(var.db_endpoints) > 0 ? join(",", var.db_endpoints) : null
      DB_TLS_CA_FILE             = var.db_tls_ca_file
      PASSWORD_LENGTH            = tostring(var.password_length)
      PASSWORD_EXCLUDE_CHARS     = var.password_exclude_chars
      ROTATION_STRATEGY          = var.rotation_strategy
      ALTERNATING_USER_SUFFIX    = var.alternating_user_suffix
      ADMIN_SECRET_ID            = var.admin_secret_arn
      STALE_PENDING_MINUTES      = tostring(var.stale_pending_minutes)
      RDS_HTTPS_PROXY            = try(var.rds_https_proxy.url, null)
      LOG_LEVEL                  = var.log_level
      NOTICE_TOPIC_ARN           = try(var.rotation_notice.sns_topic_arn, null)
      NOTICE_LEAD_MINUTES        = local.create_notice ? tostring(var.rotation_notice.lead_minutes) : null
      NOTICE_PERIOD_MINUTES      = local.create_notice ? tostring(var.rotation_notice.period_minutes) : null
    } : key => value if value != null
  }
  environment = merge(local.environment_settings, { SECRETS = local.secrets_json })

  # Lambda refuses an environment over 4 KB (names and values). The provision secret's ARN is
  # estimated like the users' secrets.
  environment_size = length(jsonencode(merge(local.environment_settings, {
    PROVISION_SECRET_ARN = "${local.secret_arn_prefix}${local.provision_secret_name}-XXXXXX"
    SECRETS              = local.secrets_json_estimate
  })))

  # A user's own rotation_rules replace the module's; Secrets Manager needs days or a schedule, and
  # with neither, every 30 days.
  rotation_rules = { for key, user in var.users : key => user.rotation_rules != null ? user.rotation_rules : var.rotation_rules }
  rotation_days  = { for key, rules in local.rotation_rules : key => rules.schedule_expression == null ? coalesce(rules.automatically_after_days, 30) : null }
}
