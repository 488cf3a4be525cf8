variable "region" {
  description = "Region of the application (and of the DBA bucket holding `function.zip`: Lambda reads code from its own region only)."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the application; used for the function, the secrets and the databases."
  type        = string
  default     = "shop"
}

variable "vpc_id" {
  description = "VPC of the application."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the function and the databases."
  type        = list(string)
}

variable "api_endpoint_cidr_blocks" {
  description = "CIDRs of the Secrets Manager and RDS interface endpoints (or `0.0.0.0/0` behind a NAT)."
  type        = list(string)
}

variable "database_cidr_blocks" {
  description = "CIDRs of the database subnets."
  type        = list(string)
}

variable "function_bucket" {
  description = "The DBA team's release bucket (see examples/function-bucket)."
  type        = string
}

variable "function_key" {
  description = "Key of the release's `function.zip`, as printed by the release script."
  type        = string
}

variable "function_source_code_hash" {
  description = "Base64 SHA-256 of `function.zip`, as printed by the release script."
  type        = string
}

variable "admin_role_arns" {
  description = "Roles that administer the secrets, the one Terraform runs as among them."
  type        = list(string)
}

variable "dba_backend_role_arn" {
  description = "Role of the DBA backend that invokes the function's manual actions (application password reset)."
  type        = string
}

variable "default_provision_password" {
  description = "Default provision password the DBA backend creates the application user with."
  type        = string
  sensitive   = true
}

variable "engine_version" {
  description = "Aurora MySQL version."
  type        = string
  default     = "8.0.mysql_aurora.3.08.0"
}

variable "instance_count" {
  description = "Instances of the cluster: one writer and the rest readers."
  type        = number
  default     = 2
}

variable "instance_class" {
  description = "Instance class of the cluster's instances."
  type        = string
  default     = "db.t4g.medium"
}
