provider "aws" {
  region = var.region
}

module "password_rotation" {
  source = "../.."

  name       = "${var.name}-mysql-password-rotation"
  s3_bucket  = var.function_bucket
  s3_key     = var.function_key
  vpc_id     = var.vpc_id
  subnet_ids = var.private_subnet_ids

  api_endpoint_cidr_blocks = var.api_endpoint_cidr_blocks
  database_cidr_blocks     = var.database_cidr_blocks
  source_code_hash         = var.function_source_code_hash

  users = {
    app = {
      username              = "app"
      secret_name           = "${var.name}/mysql/app"
      application_role_arns = [aws_iam_role.application.arn]
    }
  }
  default_provision_passwords = { app = var.default_provision_password }

  # Only this application's instances take part.
  db_tag         = { key = "application", value = var.name }
  rotation_rules = { schedule_expression = "cron(0 4 ? * TUE *)", duration = "2h" }

  # Only the function, the application role above and these admins may read the password.
  secret_admin_role_arns = var.admin_role_arns

  manual_invoke_principals = [var.dba_backend_role_arn]
  alarm_sns_topic_arn      = var.alarm_sns_topic_arn

  tags = { application = var.name }
}

# The application's role (for example its ECS task role), one of the few principals that may read the password.
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

# The least the application needs to read its credentials with the client library.
resource "aws_iam_role_policy" "read_credentials" {
  name   = "read-mysql-credentials"
  role   = aws_iam_role.application.id
  policy = module.password_rotation.application_policies["app"]
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
  for_each = var.instances

  identifier        = "${var.name}-${each.key}"
  engine            = "mysql"
  engine_version    = "8.4"
  instance_class    = each.value.instance_class
  allocated_storage = each.value.allocated_storage
  storage_encrypted = true

  # The admin user's password is managed by RDS; the application user is created by the DBA backend.
  username                    = "admin"
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.database.id]

  tags = { application = var.name }

  # Created only after the initial rotation has given the secret its first random password.
  depends_on = [module.password_rotation.rotation_ready]
}
