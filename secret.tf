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
    schedule_expression      = var.rotation_rules.schedule_expression
    duration                 = var.rotation_rules.duration
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
