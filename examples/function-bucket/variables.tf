variable "region" {
  description = "Region of the bucket; Lambda reads code only from a bucket in the function's own region, so create one bucket per region the applications use."
  type        = string
  default     = "eu-west-1"
}

variable "bucket_name" {
  description = "Name of the release bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name."
  }
}

variable "organization_id" {
  description = "ID of the AWS organization whose principals may read releases, such as o-a1b2c3d4e5."
  type        = string

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-a1b2c3d4e5."
  }
}

variable "release_role_arn" {
  description = "Role of the release pipeline (the one scripts/release runs as): the only principal that may write or delete objects."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.release_role_arn))
    error_message = "release_role_arn must be an IAM role ARN such as arn:aws:iam::111122223333:role/dba-release."
  }
}

variable "object_lock" {
  description = "Object Lock default retention for new releases: `mode` GOVERNANCE (lifted only with s3:BypassGovernanceRetention, which the policy keeps from everyone but the release role) or COMPLIANCE (lifted by nobody), for `days`. Null: no Object Lock. Only takes effect when the bucket is created."
  type = object({
    mode = string
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock == null || try(contains(["GOVERNANCE", "COMPLIANCE"], var.object_lock.mode) && max(1, floor(var.object_lock.days)) == var.object_lock.days, false)
    error_message = "object_lock must have mode GOVERNANCE or COMPLIANCE and a whole number of days of at least 1."
  }
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}
