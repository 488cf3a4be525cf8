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
