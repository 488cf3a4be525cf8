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

  # MySQL outside RDS (on EC2 or on premises over a VPN): a fixed list of servers replaces RDS
  # discovery, so the role gets no RDS permission. Their certificates are signed by the company's
  # CA, which a layer brings to /opt.
  db_endpoints   = var.db_endpoints
  database_port  = 3306
  db_tls_ca_file = "/opt/ca/internal-ca.pem"
  layers         = [aws_lambda_layer_version.ca.arn]

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

# A zip holding ca/internal-ca.pem; Lambda unpacks layers under /opt.
resource "aws_lambda_layer_version" "ca" {
  layer_name          = "${var.name}-mysql-ca"
  description         = "CA bundle that signed the MySQL servers' certificates."
  filename            = var.ca_layer_zip
  source_code_hash    = filebase64sha256(var.ca_layer_zip)
  compatible_runtimes = ["nodejs22.x"]
}
