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

  users = {
    app = {
      username              = "app"
      secret_name           = "${var.name}/mysql/app"
      application_role_arns = [aws_iam_role.application.arn]
    }
  }
  default_provision_passwords = { app = var.default_provision_password }

  # The primary and its replicas carry the tag. The function writes to the primary only and waits
  # for the replicas to accept the new password; allow for the replicas' usual lag.
  db_tag              = { key = "application", value = var.name }
  replication_wait_ms = 15000

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

resource "aws_db_instance" "primary" {
  identifier        = "${var.name}-primary"
  engine            = "mysql"
  engine_version    = "8.4"
  instance_class    = var.instance_class
  allocated_storage = 20
  storage_encrypted = true

  username                    = "admin"
  manage_master_user_password = true

  # Read replicas need automated backups on their source.
  backup_retention_period = 1

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.database.id]

  tags = { application = var.name }

  # Created only after the initial rotation has given the secret its first random password.
  depends_on = [module.password_rotation.rotation_ready]
}

# A replica copies the user table from the primary: its users and passwords are the primary's.
resource "aws_db_instance" "replica" {
  for_each = toset(var.replica_names)

  identifier          = "${var.name}-replica-${each.key}"
  replicate_source_db = aws_db_instance.primary.identifier
  instance_class      = var.instance_class
  storage_encrypted   = true
  skip_final_snapshot = true

  vpc_security_group_ids = [aws_security_group.database.id]

  tags = { application = var.name }
}
