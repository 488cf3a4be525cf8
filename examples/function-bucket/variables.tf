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

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}
