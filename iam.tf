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
      local.create_secret_key_use ? [
        {
          Sid      = "UseSecretKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = var.kms_key_arn
        },
      ] : [],
    )
  })
}

resource "aws_iam_role_policy_attachment" "vpc_access" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}
