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
  description   = substr("Rotates the MySQL passwords of ${join(", ", sort([for user in values(var.users) : user.username]))} on every instance.", 0, 256)
  role          = aws_iam_role.this.arn

  s3_bucket               = var.s3_bucket
  s3_key                  = var.s3_key
  s3_object_version       = var.s3_object_version
  source_code_hash        = var.source_code_hash
  code_signing_config_arn = local.code_signing_config_arn

  # Every change publishes a version; the aliases below follow it.
  publish = true

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

  kms_key_arn = var.lambda_kms_key_arn

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

  # The released code, byte for byte: Lambda's own digest of what it deployed must be the one the
  # release script printed.
  lifecycle {
    precondition {
      condition     = local.environment_size <= 4096
      error_message = "The function's environment would take ${local.environment_size} bytes; Lambda allows 4096. SECRETS lists every user's secret ARN: shorten the secret names or the users' keys, or split the users across two module calls."
    }

    postcondition {
      condition     = self.code_sha256 == var.source_code_hash
      error_message = "Lambda reports code SHA-256 ${self.code_sha256} for s3://${var.s3_bucket}/${var.s3_key}, not the source_code_hash ${var.source_code_hash} of the release: the object is not the released function.zip. Check s3_key and s3_object_version against the release script's output."
    }
  }

  # The log group must exist before the first invocation, and the network permissions before the function.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}

resource "aws_lambda_code_signing_config" "this" {
  count = local.create_code_signing_config ? 1 : 0

  description = "Code of ${var.name}: signed by the DBA release pipeline, or refused."

  allowed_publishers {
    signing_profile_version_arns = var.code_signing_profile_version_arns
  }

  policies {
    untrusted_artifact_on_deployment = "Enforce"
  }

  tags = var.tags
}

################################################################################
# Aliases: one way in for Secrets Manager, another for manual actions
################################################################################

# Only this alias may be invoked by Secrets Manager, and the function accepts rotation steps only
# through it (ROTATION_ALIAS): a principal allowed manual actions cannot send a rotation step.
resource "aws_lambda_alias" "rotation" {
  name             = local.rotation_alias
  description      = "Invoked by Secrets Manager for the four rotation steps, and by nothing else."
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

resource "aws_lambda_alias" "manual" {
  name             = local.manual_alias
  description      = "Invoked for manual actions (status, verify, reset, heal, notice); refuses rotation steps."
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

# A failed step must not run again on its own: Secrets Manager retries the whole rotation. A manual
# action is repeated by whoever sent it.
resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = toset([local.rotation_alias, local.manual_alias])

  function_name          = aws_lambda_function.this.function_name
  qualifier              = each.key
  maximum_retry_attempts = 0
  # Asynchronous calls of the manual alias are the scheduled notices: one queued for more than five
  # minutes would announce a shifted window, so it is dropped (the next one follows).
  maximum_event_age_in_seconds = each.key == local.manual_alias ? 300 : null

  depends_on = [aws_lambda_alias.rotation, aws_lambda_alias.manual]
}

################################################################################
# Permissions
################################################################################

# Secrets Manager may invoke the rotation alias for the module's secrets only: one permission per
# secret, with source_arn and source_account together, as AWS advises against the confused deputy.
resource "aws_lambda_permission" "secrets_manager" {
  for_each = var.users

  statement_id   = "SecretsManagerRotation-${substr(sha1(each.key), 0, 16)}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  qualifier      = aws_lambda_alias.rotation.name
  principal      = "secretsmanager.amazonaws.com"
  source_account = local.account_id
  source_arn     = aws_secretsmanager_secret.this[each.key].arn
}

resource "aws_lambda_permission" "manual_invoke" {
  for_each = toset(var.manual_invoke_principals)

  statement_id  = "ManualInvoke-${substr(sha1(each.value), 0, 16)}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.manual.name
  principal     = each.value
}
