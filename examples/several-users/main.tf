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

  # One function rotates the three users of the application, each with its own secret, schedule,
  # password rules, default provision password and readers.
  users = {
    app = {
      username              = "app"
      secret_name           = "${var.name}/mysql/app"
      application_role_arns = [aws_iam_role.application.arn]
      replica_regions       = [for region in var.replica_regions : { region = region }]
    }
    reporting = {
      username              = "reporting"
      secret_name           = "${var.name}/mysql/reporting"
      rotation_rules        = { schedule_expression = "cron(0 5 ? * SUN *)", duration = "2h" }
      password_length       = 48
      application_role_arns = [aws_iam_role.reporting.arn]
    }
    migrations = {
      username              = "migrations"
      secret_name           = "${var.name}/mysql/migrations"
      rotation_rules        = { automatically_after_days = 7 }
      application_role_arns = [aws_iam_role.migrations.arn]
    }
  }
  default_provision_passwords = var.default_provision_passwords

  db_tag         = { key = "application", value = var.name }
  rotation_rules = { schedule_expression = "cron(0 4 ? * TUE *)", duration = "2h" }

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

resource "aws_iam_role" "reporting" {
  name = "${var.name}-reporting"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role" "migrations" {
  name = "${var.name}-migrations"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}

# Each role may read its own user's credentials, and nothing else.
resource "aws_iam_role_policy" "read_credentials" {
  for_each = {
    app        = aws_iam_role.application.id
    reporting  = aws_iam_role.reporting.id
    migrations = aws_iam_role.migrations.id
  }

  name   = "read-mysql-credentials"
  role   = each.value
  policy = module.password_rotation.application_policies[each.key]
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

  username                    = "admin"
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.database.id]

  tags = { application = var.name }

  # Created only after the initial rotations have given every secret its first random password.
  depends_on = [module.password_rotation.rotation_ready]
}
