variable "region" {
  description = "Region of the application (and of the DBA bucket holding `function.zip`: Lambda reads code from its own region only)."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the application; used for the function, the secret and the instances."
  type        = string
  default     = "shop"
}

variable "vpc_id" {
  description = "VPC of the application."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the function and the database subnet group."
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
  description = "Roles that administer the secret, the one Terraform runs as among them."
  type        = list(string)
}

variable "default_provision_password" {
  description = "Default provision password the DBA backend creates the application user with."
  type        = string
  sensitive   = true
}

variable "dba_backend_role_arn" {
  description = "Role of the DBA backend that invokes the function's manual actions (application password reset)."
  type        = string
}

variable "alarm_sns_topic_arn" {
  description = "Topic told about failed rotations; null for none."
  type        = string
  default     = null
}

variable "instances" {
  description = "MySQL instances (shards) of the application, by name suffix."
  type = map(object({
    instance_class    = optional(string, "db.t4g.micro")
    allocated_storage = optional(number, 20)
  }))
  default = {
    "a" = {}
    "b" = {}
    "c" = {}
  }
}
