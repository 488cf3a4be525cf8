# The module's resources live in one file per concern: iam.tf (the function's role), network.tf (its
# security group), function.tf (the function, its aliases and who may invoke them), secret.tf (the
# secrets, their policies and rotation) and alerting.tf. This file holds what they share.

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
  secret_arn_pattern           = "${local.secret_arn_prefix}${var.secret_name}-??????"
  provision_secret_name        = coalesce(var.provision_secret_name, "${var.name}/default-provision-passwords")
  provision_secret_arn_pattern = "${local.secret_arn_prefix}${local.provision_secret_name}-??????"

  # Secrets Manager invokes the `rotation` alias and no other; manual actions go to `manual`.
  rotation_alias = "rotation"
  manual_alias   = "manual"

  # One switch per optional part: every resource of a part uses the same local.
  create_alerting             = var.alarm_sns_topic_arn != null
  create_rds_https_proxy      = var.rds_https_proxy != null
  create_rds_discovery        = length(var.db_endpoints) == 0
  create_secret_key_use       = var.kms_key_arn != null
  create_lambda_key_use       = var.lambda_kms_key_arn != null
  create_code_signing_config  = length(var.code_signing_profile_version_arns) > 0
  code_signing_config_arn     = local.create_code_signing_config ? aws_lambda_code_signing_config.this[0].arn : var.code_signing_config_arn
  terraform_principal_arn     = data.aws_iam_session_context.current.issuer_arn
  terraform_principal_checked = startswith(local.terraform_principal_arn, "${local.arn_prefix}:iam::")

  # The admin ARNs may hold IAM wildcards (`*`, `?`); as regular expressions they tell whether the
  # role Terraform runs as is one of them.
  admin_arn_regexes = [
    for arn in var.secret_admin_role_arns :
    "^${replace(replace(replace(arn, "/[.+^$(){}|\\[\\]\\\\]/", "\\$0"), "*", ".*"), "?", ".")}$"
  ]
  terraform_principal_is_admin = !local.terraform_principal_checked || anytrue([
    for pattern in local.admin_arn_regexes : can(regex(pattern, local.terraform_principal_arn))
  ])

  proxy_url_parts = local.create_rds_https_proxy ? regex("^(https?)://[^:/]+(?::([0-9]+))?", var.rds_https_proxy.url) : null
  proxy_port      = local.create_rds_https_proxy ? tonumber(coalesce(local.proxy_url_parts[1], local.proxy_url_parts[0] == "https" ? "443" : "80")) : null

  # Unset optional settings are left out rather than set to "": docs/configuration.md treats unset and
  # empty alike, and a plan then shows only what was chosen.
  environment = {
    for key, value in {
      SECRET_ID              = aws_secretsmanager_secret.this.arn
      PROVISION_SECRET_ARN   = aws_secretsmanager_secret.provision.arn
      ROTATION_ALIAS         = local.rotation_alias
      PARALLEL               = tostring(var.parallel)
      RETRIES                = tostring(var.retries)
      RETRY_WAIT_MS          = tostring(var.retry_wait_ms)
      CONNECT_TIMEOUT_MS     = tostring(var.connect_timeout_ms)
      QUERY_TIMEOUT_MS       = tostring(var.query_timeout_ms)
      DB_ENGINES             = join(",", var.db_engines)
      DB_TAG_KEY             = try(var.db_tag.key, null)
      DB_TAG_VALUE           = try(var.db_tag.value, null)
      DB_IDENTIFIER_PREFIX   = var.db_identifier_prefix
      DB_DISCOVER_ALL        = tostring(var.db_discover_all)
      DB_SKIP_UNAVAILABLE    = tostring(var.db_skip_unavailable)
      DB_ENDPOINTS           = length(var.db_endpoints) > 0 ? join(",", var.db_endpoints) : null
      DB_TLS_CA_FILE         = var.db_tls_ca_file
      PASSWORD_LENGTH        = tostring(var.password_length)
      PASSWORD_EXCLUDE_CHARS = var.password_exclude_chars
      STALE_PENDING_MINUTES  = tostring(var.stale_pending_minutes)
      RDS_HTTPS_PROXY        = try(var.rds_https_proxy.url, null)
      LOG_LEVEL              = var.log_level
    } : key => value if value != null
  }

  # Secrets Manager needs days or a schedule; with neither given, every 30 days.
  rotation_days = var.rotation_rules.schedule_expression == null ? coalesce(var.rotation_rules.automatically_after_days, 30) : null
}
