provider "aws" {
  region = var.region
}

module "password_rotation" {
  source = "../.."

  name             = "${var.name}-mysql-password-rotation"
  s3_bucket        = var.function_bucket
  s3_key           = var.function_key
  source_code_hash = var.function_source_code_hash
  vpc_id           = var.vpc_id
  subnet_ids       = var.private_subnet_ids

  api_endpoint_cidr_blocks = var.api_endpoint_cidr_blocks
  database_cidr_blocks     = var.database_cidr_blocks

  secret_admin_role_arns   = var.admin_role_arns
  manual_invoke_principals = [var.dba_backend_role_arn]

  # alternating-users: the secret alternates between app and app_clone, so the credentials of the
  # previous version keep working until the next rotation. The administrator that creates the clone
  # and sets its password is each instance's RDS-managed master user.
  rotation_strategy              = "alternating-users"
  use_rds_managed_master_secrets = true
  rds_master_secrets = [
    for instance in aws_db_instance.this : {
      secret_arn  = instance.master_user_secret[0].secret_arn
      kms_key_arn = instance.master_user_secret[0].kms_key_id
    }
  ]

  users = {
    app = {
      username              = "app"
      secret_name           = "${var.name}/mysql/app"
      application_role_arns = [aws_iam_role.application.arn]
    }
  }
  default_provision_passwords = { app = var.default_provision_password }

  db_tag = { key = "application", value = var.name }

  tags = { application = var.name }
}

# An application role (for example an ECS task role): one of the few principals that may read a password.
resource "aws_iam_role" "application" {
  name = "${var.name}-application"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "database" {
  name        = "${var.name}-mysql"
  description = "MySQL instances of ${var.name}"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "rotation" {
  security_group_id            = aws_security_group.database.id
  description                  = "MySQL from the password rotation function"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = module.password_rotation.security_group_id
}

resource "aws_db_instance" "this" {
  for_each = toset(var.instance_names)

  identifier        = "${var.name}-${each.key}"
  engine            = "mysql"
  engine_version    = "8.4"
  instance_class    = "db.t4g.micro"
  allocated_storage = 20
  storage_encrypted = true

  # The master user is the administrator; RDS keeps its password in a secret of its own.
  username                    = "admin"
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.database.id]

  tags = { application = var.name }

  # Created after the initial rotation. The module reads the master secrets' ARNs from these
  # instances only for its administrator policy, on which the rotation does not wait: no cycle.
  depends_on = [module.password_rotation.rotation_ready]
}
