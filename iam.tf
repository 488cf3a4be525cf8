################################################################################
# IAM: the function's execution role
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
# mocked provider) show the whole policy. The role has this inline policy and nothing else: no
# managed policy, whose logs and network statements would apply to every resource.
resource "aws_iam_role_policy" "this" {
  name = "rotation"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid    = "RotateItsSecrets"
          Effect = "Allow"
          Action = [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
            # status and heal read version dates to tell a stale AWSPENDING from a running rotation.
            "secretsmanager:ListSecretVersionIds",
          ]
          Resource = values(local.secret_arn_patterns)
        },
        {
          Sid      = "ReadDefaultProvisionPasswords"
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          Resource = local.provision_secret_arn_pattern
        },
      ],
      local.create_rds_discovery ? [
        {
          Sid      = "DiscoverInstances"
          Effect   = "Allow"
          Action   = "rds:DescribeDBInstances"
          Resource = "${local.arn_prefix}:rds:${local.region}:${local.account_id}:db:*"
        },
      ] : [],
      local.create_cluster_discovery ? [
        {
          Sid      = "DiscoverClusters"
          Effect   = "Allow"
          Action   = "rds:DescribeDBClusters"
          Resource = "${local.arn_prefix}:rds:${local.region}:${local.account_id}:cluster:*"
        },
      ] : [],
      [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${local.arn_prefix}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}:*"
        },
        # Lambda creates the function's network interfaces with the role's permissions. AWS documents
        # that DescribeNetworkInterfaces works only on "*"; the others can be held to this account and
        # region, on the resource types they act on (interfaces, and for creation the subnet and
        # security group), since the interfaces' IDs are not known in advance.
        {
          Sid    = "DescribeNetworkInterfaces"
          Effect = "Allow"
          Action = [
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
          ]
          Resource = "*"
        },
        {
          Sid    = "ManageNetworkInterfacesInThisRegion"
          Effect = "Allow"
          Action = [
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
          ]
          Resource = [
            for type in ["network-interface", "security-group", "subnet"] :
            "${local.arn_prefix}:ec2:${local.region}:${local.account_id}:${type}/*"
          ]
        },
      ],
      local.create_secret_key_use ? [
        {
          Sid      = "UseSecretKeyThroughSecretsManager"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = var.kms_key_arn
          Condition = {
            StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.${local.dns_suffix}" }
            StringLike = {
              "kms:EncryptionContext:SecretARN" = concat(values(local.secret_arn_patterns), [local.provision_secret_arn_pattern])
            }
          }
        },
      ] : [],
      local.create_notice ? [
        {
          Sid      = "PublishNotices"
          Effect   = "Allow"
          Action   = "sns:Publish"
          Resource = var.rotation_notice.sns_topic_arn
        },
      ] : [],
      local.create_notice_key_use ? [
        {
          Sid      = "EncryptNoticesThroughSns"
          Effect   = "Allow"
          Action   = ["kms:GenerateDataKey*", "kms:Decrypt"]
          Resource = var.rotation_notice.sns_kms_key_arn
          Condition = {
            StringEquals = { "kms:ViaService" = "sns.${local.region}.${local.dns_suffix}" }
          }
        },
      ] : [],
      local.create_lambda_key_use ? [
        {
          Sid      = "DecryptOwnEnvironment"
          Effect   = "Allow"
          Action   = "kms:Decrypt"
          Resource = var.lambda_kms_key_arn
          Condition = {
            StringEquals = { "kms:ViaService" = "lambda.${local.region}.${local.dns_suffix}" }
            StringLike = {
              "kms:EncryptionContext:aws:lambda:FunctionArn" = [local.function_arn, "${local.function_arn}:*"]
            }
          }
        },
      ] : [],
    )
  })
}

# Reading the administrator's credentials (alternating-users, and reset and heal under either
# strategy): exactly the secrets named, and their keys through Secrets Manager for them only. A
# policy of its own, on which neither the function nor the rotations depend: RDS-managed master
# secrets exist only once the instances do, and the instances are created after rotation_ready.
resource "aws_iam_role_policy" "administrator" {
  count = local.create_administrator_access ? 1 : 0

  name = "administrator-credentials"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "ReadAdministratorSecrets"
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          Resource = local.administrator_secret_arns
        },
      ],
      length(local.administrator_key_arns) > 0 ? [
        {
          Sid      = "DecryptAdministratorSecrets"
          Effect   = "Allow"
          Action   = "kms:Decrypt"
          Resource = local.administrator_key_arns
          Condition = {
            StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.${local.dns_suffix}" }
            StringLike   = { "kms:EncryptionContext:SecretARN" = local.administrator_secret_arns }
          }
        },
      ] : [],
    )
  })
}
