################################################################################
# Secrets
################################################################################

# One secret per user. Secrets Manager copies the value, tags and resource policy to each replica
# region; finishSecret waits for them to be in sync (SECRET_REPLICATION_WAIT_MS).
resource "aws_secretsmanager_secret" "this" {
  for_each = var.users

  name                    = each.value.secret_name
  description             = coalesce(each.value.secret_description, "Password of MySQL user ${each.value.username}, rotated on every instance by the ${var.name} function.")
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days

  dynamic "replica" {
    for_each = each.value.replica_regions

    content {
      region     = replica.value.region
      kms_key_id = replica.value.kms_key_arn
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !contains([for replica in each.value.replica_regions : replica.region], local.region)
      error_message = "users.${each.key}.replica_regions names ${local.region}, where the secret itself is: replicas go to other regions."
    }
  }
}

resource "aws_secretsmanager_secret_version" "this" {
  for_each = var.users

  secret_id = aws_secretsmanager_secret.this[each.key].id
  secret_string = jsonencode({
    username = each.value.username
    password = var.default_provision_passwords[each.key]
  })

  # The function owns the value after the first version; applying again must not undo a rotation.
  lifecycle {
    ignore_changes = [secret_string]
  }
}

# The default provision passwords live in their own secret, which only the function (and the admins,
# Terraform among them) may read: in the function's environment, anyone allowed
# lambda:GetFunctionConfiguration would read them. The value maps each user (SECRETS' `user`) to its
# DPP (docs/configuration.md).
resource "aws_secretsmanager_secret" "provision" {
  name                    = local.provision_secret_name
  description             = "Default provision passwords of the users the ${var.name} function rotates; read by that function alone."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "provision" {
  secret_id     = aws_secretsmanager_secret.provision.id
  secret_string = jsonencode(var.default_provision_passwords)
}

################################################################################
# Resource policies: who may read and change the secrets
################################################################################

locals {
  # Explicit denies, each to every principal but the ones named: a deny wins over any allow, so
  # AdministratorAccess or a "secretsmanager:*" policy in the account reads nothing. aws:PrincipalArn
  # is the role's ARN for a role session; a request that carries none (an AWS service acting as
  # itself) is denied too, which costs nothing: Secrets Manager's own part of a rotation is to invoke
  # the function, whose role makes every call on the secret.
  secret_admin_actions = [
    "secretsmanager:CancelRotateSecret",
    "secretsmanager:DeleteResourcePolicy",
    "secretsmanager:DeleteSecret",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:RemoveRegionsFromReplication",
    "secretsmanager:ReplicateSecretToRegions",
    "secretsmanager:RotateSecret",
    "secretsmanager:StopReplicationToReplica",
    "secretsmanager:UpdateSecret",
  ]
  secret_version_actions = [
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
  ]

  secret_policies = { for key, user in var.users : key => jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyTheFunctionApplicationsAndAdminsRead"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = distinct(concat([local.role_arn], user.application_role_arns, var.secret_admin_role_arns)) } }
      },
      {
        Sid       = "OnlyTheFunctionAndAdminsChangeVersions"
        Effect    = "Deny"
        Principal = "*"
        Action    = local.secret_version_actions
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = distinct(concat([local.role_arn], var.secret_admin_role_arns)) } }
      },
      {
        Sid       = "OnlyAdminsChangeThePolicyAndSettings"
        Effect    = "Deny"
        Principal = "*"
        Action    = local.secret_admin_actions
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = var.secret_admin_role_arns } }
      },
    ]
  }) }

  # The function only reads the DPPs; Terraform (an admin) writes them.
  provision_secret_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyTheFunctionAndAdminsRead"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = distinct(concat([local.role_arn], var.secret_admin_role_arns)) } }
      },
      {
        Sid       = "OnlyAdminsChangeVersionsThePolicyAndSettings"
        Effect    = "Deny"
        Principal = "*"
        Action    = concat(local.secret_version_actions, local.secret_admin_actions)
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = var.secret_admin_role_arns } }
      },
    ]
  })

  # What an application role needs to read a user's credentials: the two stages the client library
  # reads, on the secret and its replicas (same ARN but the region), and the key through Secrets
  # Manager in those regions, for that secret only.
  application_policies = { for key, user in var.users : key => jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid    = "ReadCurrentAndPendingCredentials"
          Effect = "Allow"
          Action = "secretsmanager:GetSecretValue"
          Resource = concat([aws_secretsmanager_secret.this[key].arn], [
            for replica in user.replica_regions : replace(aws_secretsmanager_secret.this[key].arn, ":${local.region}:", ":${replica.region}:")
          ])
          Condition = { StringEquals = { "secretsmanager:VersionStage" = ["AWSCURRENT", "AWSPENDING"] } }
        },
      ],
      var.kms_key_arn != null || length(compact([for replica in user.replica_regions : replica.kms_key_arn])) > 0 ? [
        {
          Sid      = "DecryptThroughSecretsManager"
          Effect   = "Allow"
          Action   = "kms:Decrypt"
          Resource = compact(concat([var.kms_key_arn], [for replica in user.replica_regions : replica.kms_key_arn]))
          Condition = {
            StringEquals = {
              "kms:ViaService" = [for region in concat([local.region], [for replica in user.replica_regions : replica.region]) : "secretsmanager.${region}.${local.dns_suffix}"]
            }
            StringLike = {
              "kms:EncryptionContext:SecretARN" = concat([aws_secretsmanager_secret.this[key].arn], [
                for replica in user.replica_regions : replace(aws_secretsmanager_secret.this[key].arn, ":${local.region}:", ":${replica.region}:")
              ])
            }
          }
        },
      ] : [],
    )
  }) }

  admin_precondition_message = "Terraform runs as ${local.terraform_principal_arn}, which secret_admin_role_arns does not match: after this policy it could neither read the secret on the next refresh nor change the policy again. Add that role to secret_admin_role_arns."
}

resource "aws_secretsmanager_secret_policy" "this" {
  for_each = var.users

  secret_arn          = aws_secretsmanager_secret.this[each.key].arn
  policy              = local.secret_policies[each.key]
  block_public_policy = true

  lifecycle {
    precondition {
      condition     = local.terraform_principal_is_admin
      error_message = local.admin_precondition_message
    }
  }
}

resource "aws_secretsmanager_secret_policy" "provision" {
  secret_arn          = aws_secretsmanager_secret.provision.arn
  policy              = local.provision_secret_policy
  block_public_policy = true

  lifecycle {
    precondition {
      condition     = local.terraform_principal_is_admin
      error_message = local.admin_precondition_message
    }
  }
}

################################################################################
# Rotation
################################################################################

resource "aws_secretsmanager_secret_rotation" "this" {
  for_each = var.users

  secret_id           = aws_secretsmanager_secret.this[each.key].id
  rotation_lambda_arn = aws_lambda_alias.rotation.arn

  rotation_rules {
    automatically_after_days = local.rotation_days[each.key]
    schedule_expression      = local.rotation_rules[each.key].schedule_expression
    duration                 = local.rotation_rules[each.key].duration
  }

  # Secrets Manager starts the initial rotation at once: it must be allowed to invoke, there must be a
  # value, the function must be able to read the DPPs, and the policies must already admit it.
  depends_on = [
    aws_lambda_permission.secrets_manager,
    aws_secretsmanager_secret_version.this,
    aws_secretsmanager_secret_version.provision,
    aws_secretsmanager_secret_policy.this,
    aws_secretsmanager_secret_policy.provision,
  ]
}

# The initial rotations run asynchronously; databases created before they end would get a half-rotated password.
resource "time_sleep" "initial_rotation" {
  create_duration = var.rotation_wait_duration

  triggers = {
    rotation_ids = join(",", [for rotation in aws_secretsmanager_secret_rotation.this : rotation.id])
  }

  depends_on = [aws_secretsmanager_secret_rotation.this]
}
