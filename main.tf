# The module's resources live in one file per concern: iam.tf (the function's role), network.tf (its
# security group), function.tf (the function, its log group and who may invoke it), secret.tf (the
# secret and its rotation) and alerting.tf. This file holds what they share.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  log_group_name = "/aws/lambda/${var.name}"

  # Secrets Manager appends a hyphen and six random characters to the name; "??????" matches exactly
  # those, so the policy is known at plan time and matches no other secret.
  secret_arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${var.secret_name}-??????"

  # One switch per optional part: every resource of a part uses the same local.
  create_alerting        = var.alarm_sns_topic_arn != null
  create_rds_https_proxy = var.rds_https_proxy != null
  create_secret_key_use  = var.kms_key_arn != null

  proxy_url_parts = local.create_rds_https_proxy ? regex("^(https?)://[^:/]+(?::([0-9]+))?", var.rds_https_proxy.url) : null
  proxy_port      = local.create_rds_https_proxy ? tonumber(coalesce(local.proxy_url_parts[1], local.proxy_url_parts[0] == "https" ? "443" : "80")) : null

  # Unset optional settings are left out rather than set to "": docs/configuration.md treats unset and
  # empty alike, and a plan then shows only what was chosen.
  environment = {
    for key, value in {
      SECRET_ID                  = aws_secretsmanager_secret.this.arn
      PARALLEL                   = tostring(var.parallel)
      RETRIES                    = tostring(var.retries)
      RETRY_WAIT_MS              = tostring(var.retry_wait_ms)
      CONNECT_TIMEOUT_MS         = tostring(var.connect_timeout_ms)
      QUERY_TIMEOUT_MS           = tostring(var.query_timeout_ms)
      DB_ENGINES                 = join(",", var.db_engines)
      DB_TAG_KEY                 = try(var.db_tag.key, null)
      DB_TAG_VALUE               = try(var.db_tag.value, null)
      DB_IDENTIFIER_PREFIX       = var.db_identifier_prefix
      DB_SKIP_UNAVAILABLE        = tostring(var.db_skip_unavailable)
      DB_ENDPOINTS               = length(var.db_endpoints) > 0 ? join(",", var.db_endpoints) : null
      DB_TLS_CA_FILE             = var.db_tls_ca_file
      PASSWORD_LENGTH            = tostring(var.password_length)
      PASSWORD_EXCLUDE_CHARS     = var.password_exclude_chars
      DEFAULT_PROVISION_PASSWORD = var.default_provision_password
      STALE_PENDING_MINUTES      = tostring(var.stale_pending_minutes)
      RDS_HTTPS_PROXY            = try(var.rds_https_proxy.url, null)
      LOG_LEVEL                  = var.log_level
    } : key => value if value != null
  }

  # Secrets Manager needs days or a schedule; with neither given, every 30 days.
  rotation_days = var.rotation_rules.schedule_expression == null ? coalesce(var.rotation_rules.automatically_after_days, 30) : null
}
