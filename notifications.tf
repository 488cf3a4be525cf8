################################################################################
# Failures: the function's errors, and rotations that failed or were abandoned
################################################################################

resource "aws_cloudwatch_metric_alarm" "errors" {
  count = local.create_alerting ? 1 : 0

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
  count = local.create_alerting ? 1 : 0

  name        = "${var.name}-rotation-failed"
  description = "Rotation of a secret of the ${var.name} function failed or was abandoned."
  event_pattern = jsonencode({
    source        = ["aws.secretsmanager"]
    "detail-type" = ["AWS Service Event via CloudTrail"]
    detail = {
      eventSource         = ["secretsmanager.amazonaws.com"]
      eventName           = ["RotationFailed", "RotationAbandoned"]
      additionalEventData = { SecretId = [for secret in aws_secretsmanager_secret.this : secret.arn] }
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "rotation_failed" {
  count = local.create_alerting ? 1 : 0

  rule      = aws_cloudwatch_event_rule.rotation_failed[0].name
  target_id = "sns"
  arn       = var.alarm_sns_topic_arn

  input_transformer {
    input_paths    = local.rotation_event_paths
    input_template = "\"Secrets Manager reports <event> for secret <secret> at <time> (account <account>, <region>): AWSCURRENT still holds the previous password. The log group ${local.log_group_name} says why; the status action shows where each instance stands.\""
  }
}

################################################################################
# Successful rotations
################################################################################

locals {
  # The CloudTrail service events Secrets Manager sends for a rotation carry the secret in
  # additionalEventData; a transformer turns them into one readable line (SNS sends it as it is).
  rotation_event_paths = {
    account = "$.account"
    event   = "$.detail.eventName"
    region  = "$.region"
    secret  = "$.detail.additionalEventData.SecretId"
    time    = "$.detail.eventTime"
  }
}

resource "aws_cloudwatch_event_rule" "rotation_succeeded" {
  count = local.create_success_notification ? 1 : 0

  name        = "${var.name}-rotated"
  description = "A secret of the ${var.name} function was rotated."
  event_pattern = jsonencode({
    source        = ["aws.secretsmanager"]
    "detail-type" = ["AWS Service Event via CloudTrail"]
    detail = {
      eventSource         = ["secretsmanager.amazonaws.com"]
      eventName           = ["RotationSucceeded"]
      additionalEventData = { SecretId = [for secret in aws_secretsmanager_secret.this : secret.arn] }
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "rotation_succeeded" {
  count = local.create_success_notification ? 1 : 0

  rule      = aws_cloudwatch_event_rule.rotation_succeeded[0].name
  target_id = "sns"
  arn       = var.rotation_succeeded_sns_topic_arn

  input_transformer {
    input_paths    = local.rotation_event_paths
    input_template = "\"Secret <secret> was rotated at <time> (account <account>, <region>): AWSCURRENT holds a new password, on every instance.\""
  }
}

################################################################################
# Notices before a scheduled rotation
################################################################################

# Every period, the schedule invokes the manual alias with the notice action; the function
# announces each secret whose next rotation date falls in [now + lead, now + lead + period), so
# that consecutive runs cover the time without gaps (docs/module.md says where that is approximate).
resource "aws_cloudwatch_event_rule" "notice" {
  count = local.create_notice ? 1 : 0

  name                = "${var.name}-notice"
  description         = "Runs the notice action of ${var.name}: announces rotations due in ${var.rotation_notice.lead_minutes} minutes."
  schedule_expression = "rate(${var.rotation_notice.period_minutes} minutes)"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "notice" {
  count = local.create_notice ? 1 : 0

  rule      = aws_cloudwatch_event_rule.notice[0].name
  target_id = "notice"
  arn       = aws_lambda_alias.manual.arn
  input     = jsonencode({ action = "notice" })
}

resource "aws_lambda_permission" "notice" {
  count = local.create_notice ? 1 : 0

  statement_id   = "NoticeSchedule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  qualifier      = aws_lambda_alias.manual.name
  principal      = "events.amazonaws.com"
  source_account = local.account_id
  source_arn     = aws_cloudwatch_event_rule.notice[0].arn
}
