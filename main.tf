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

  proxy_url_parts = var.rds_https_proxy == null ? null : regex("^(https?)://[^:/]+(?::([0-9]+))?", var.rds_https_proxy.url)
  proxy_port      = local.proxy_url_parts == null ? null : tonumber(coalesce(local.proxy_url_parts[1], local.proxy_url_parts[0] == "https" ? "443" : "80"))

  # Optional settings are left out rather than set to "" (DESIGN 3.8).
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

  rotation_days = var.rotation_schedule_expression == null ? coalesce(var.rotation_automatically_after_days, 30) : null
}

################################################################################
# IAM
################################################################################

resource "aws_iam_role" "this" {
  name        = var.name
  description = "Execution role of the ${var.name} password rotation function."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssumeRole"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })

  tags = var.tags
}

# Written with jsonencode rather than aws_iam_policy_document so that plans (and plans with a
# mocked provider) show the whole policy.
resource "aws_iam_role_policy" "this" {
  name = "rotation"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid    = "RotateThisSecret"
          Effect = "Allow"
          Action = [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
            # status and heal read version dates to tell a stale AWSPENDING from a running rotation.
            "secretsmanager:ListSecretVersionIds",
          ]
          Resource = local.secret_arn_pattern
        },
        {
          Sid      = "DiscoverInstances"
          Effect   = "Allow"
          Action   = "rds:DescribeDBInstances"
          Resource = "arn:${local.partition}:rds:${local.region}:${local.account_id}:db:*"
        },
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}:*"
        },
      ],
      var.kms_key_arn == null ? [] : [
        {
          Sid      = "UseSecretKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = var.kms_key_arn
        },
      ],
    )
  })
}

resource "aws_iam_role_policy_attachment" "vpc_access" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

################################################################################
# Network
################################################################################

resource "aws_security_group" "this" {
  name        = var.name
  description = "Password rotation function ${var.name}: no ingress; egress to the APIs and databases only."
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_vpc_security_group_egress_rule" "api_endpoints" {
  for_each = toset(var.api_endpoint_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "HTTPS to the AWS API endpoints (Secrets Manager${var.rds_https_proxy == null ? ", RDS" : ""})"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "rds_https_proxy" {
  for_each = var.rds_https_proxy == null ? toset([]) : toset(var.rds_https_proxy.cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "RDS API through the HTTPS proxy"
  ip_protocol       = "tcp"
  from_port         = local.proxy_port
  to_port           = local.proxy_port
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "databases" {
  for_each = toset(var.database_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "MySQL to the database instances"
  ip_protocol       = "tcp"
  from_port         = var.database_port
  to_port           = var.database_port
  cidr_ipv4         = each.value

  tags = var.tags
}

################################################################################
# Function
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = "Rotates the password of MySQL user ${var.username} on every instance (secret ${var.secret_name})."
  role          = aws_iam_role.this.arn

  s3_bucket         = var.s3_bucket
  s3_key            = var.s3_key
  s3_object_version = var.s3_object_version
  source_code_hash  = var.source_code_hash

  runtime       = "nodejs22.x"
  handler       = "index.handler"
  timeout       = var.timeout
  memory_size   = var.memory_size
  layers        = var.layers
  architectures = ["x86_64"]

  reserved_concurrent_executions = var.reserved_concurrent_executions

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  environment {
    variables = local.environment
  }

  # Lambda filters application logs below this level, so it follows LOG_LEVEL to let debug mode through.
  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.log_level
    system_log_level      = "INFO"
  }

  tags = var.tags

  # The log group must exist before the first invocation, and the VPC permissions before the function.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
    aws_iam_role_policy_attachment.vpc_access,
  ]
}

# A failed step must not run again on its own: Secrets Manager retries the whole rotation.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name          = aws_lambda_function.this.function_name
  maximum_retry_attempts = 0
}

################################################################################
# Permissions
################################################################################

resource "aws_lambda_permission" "secrets_manager" {
  statement_id   = "SecretsManagerRotation"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "secretsmanager.amazonaws.com"
  source_account = local.account_id
}

resource "aws_lambda_permission" "manual_invoke" {
  for_each = toset(var.manual_invoke_principals)

  statement_id  = "ManualInvoke-${substr(sha1(each.value), 0, 16)}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = each.value
}

################################################################################
# Secret
################################################################################

resource "aws_secretsmanager_secret" "this" {
  name                    = var.secret_name
  description             = var.secret_description
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  secret_string = jsonencode({
    username = var.username
    password = var.default_provision_password
  })

  # The function owns the value after the first version; applying again must not undo a rotation.
  lifecycle {
    ignore_changes = [secret_string]
  }
}

################################################################################
# Rotation
################################################################################

resource "aws_secretsmanager_secret_rotation" "this" {
  secret_id           = aws_secretsmanager_secret.this.id
  rotation_lambda_arn = aws_lambda_function.this.arn

  rotation_rules {
    automatically_after_days = local.rotation_days
    schedule_expression      = var.rotation_schedule_expression
    duration                 = var.rotation_duration
  }

  # Secrets Manager starts the initial rotation at once: it must be allowed to invoke, and there must be a value.
  depends_on = [
    aws_lambda_permission.secrets_manager,
    aws_secretsmanager_secret_version.this,
  ]
}

# The initial rotation runs asynchronously; databases created before it ends would get a half-rotated password.
resource "time_sleep" "initial_rotation" {
  create_duration = var.rotation_wait_duration

  triggers = {
    rotation_id = aws_secretsmanager_secret_rotation.this.id
  }

  depends_on = [aws_secretsmanager_secret_rotation.this]
}

################################################################################
# Alerting
################################################################################

resource "aws_cloudwatch_metric_alarm" "errors" {
  count = var.alarm_sns_topic_arn == null ? 0 : 1

  alarm_name          = "${var.name}-errors"
  alarm_description   = "The password rotation function ${var.name} failed (a rotation step or a manual action)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_sns_topic_arn]

  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "rotation_failed" {
  count = var.alarm_sns_topic_arn == null ? 0 : 1

  name        = "${var.name}-rotation-failed"
  description = "Rotation of secret ${var.secret_name} failed or was abandoned."
  event_pattern = jsonencode({
    source        = ["aws.secretsmanager"]
    "detail-type" = ["AWS Service Event via CloudTrail"]
    detail = {
      eventSource         = ["secretsmanager.amazonaws.com"]
      eventName           = ["RotationFailed", "RotationAbandoned"]
      additionalEventData = { SecretId = [aws_secretsmanager_secret.this.arn] }
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "rotation_failed" {
  count = var.alarm_sns_topic_arn == null ? 0 : 1

  rule      = aws_cloudwatch_event_rule.rotation_failed[0].name
  target_id = "sns"
  arn       = var.alarm_sns_topic_arn
}
