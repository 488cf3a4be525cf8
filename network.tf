################################################################################
# Network
################################################################################

resource "aws_security_group" "this" {
  name        = var.name
  description = "Password rotation function ${var.name}: no ingress; egress to the APIs and databases only."
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_vpc_security_group_egress_rule" "api_endpoints" {
  for_each = toset(var.api_endpoint_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "HTTPS to the AWS API endpoints (Secrets Manager${local.create_rds_https_proxy ? "" : ", RDS"})"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "rds_https_proxy" {
  for_each = local.create_rds_https_proxy ? toset(var.rds_https_proxy.cidr_blocks) : toset([])

  security_group_id = aws_security_group.this.id
  description       = "RDS API through the HTTPS proxy"
  ip_protocol       = "tcp"
  from_port         = local.proxy_port
  to_port           = local.proxy_port
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "databases" {
  for_each = toset(var.database_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "MySQL to the database instances"
  ip_protocol       = "tcp"
  from_port         = var.database_port
  to_port           = var.database_port
  cidr_ipv4         = each.value

  tags = var.tags
}
