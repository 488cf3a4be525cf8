################################################################################
# Alerting
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
}
