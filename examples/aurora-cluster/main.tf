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

  # Aurora MySQL clusters: the function changes the password once, through the writer, and checks
  # that every reader accepts it. The prefix matches the cluster and its instances.
  db_engines           = ["aurora-mysql"]
  db_identifier_prefix = "${var.name}-aurora"
  replication_wait_ms  = 10000

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

resource "aws_rds_cluster" "this" {
  cluster_identifier = "${var.name}-aurora"
  engine             = "aurora-mysql"
  engine_version     = var.engine_version
  storage_encrypted  = true

  master_username             = "admin"
  manage_master_user_password = true

  db_subnet_group_name      = aws_db_subnet_group.this.name
  vpc_security_group_ids    = [aws_security_group.database.id]
  final_snapshot_identifier = "${var.name}-aurora-final"

  tags = { application = var.name }

  # Created only after the initial rotation has given the secret its first random password.
  depends_on = [module.password_rotation.rotation_ready]
}

# The first instance created is the writer; the others are readers.
resource "aws_rds_cluster_instance" "this" {
  count = var.instance_count

  identifier         = "${var.name}-aurora-${count.index}"
  cluster_identifier = aws_rds_cluster.this.id
  engine             = aws_rds_cluster.this.engine
  engine_version     = aws_rds_cluster.this.engine_version
  instance_class     = var.instance_class

  tags = { application = var.name }
}
