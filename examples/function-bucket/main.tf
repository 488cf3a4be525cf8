provider "aws" {
  region = var.region
}

data "aws_partition" "current" {}

locals {
  # Built from the name, not read from the bucket, so that the policy is known at plan time.
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
}

resource "aws_s3_bucket" "this" {
  bucket = var.bucket_name

  # Object Lock can only be switched on here, at creation; its default retention is set below.
  object_lock_enabled = var.object_lock != null

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# Releases are never overwritten; versioning also keeps a deleted one recoverable.
resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

# SSE-S3: readers in other accounts need no KMS key grant.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Each new release is locked for the chosen time: nobody, the release role included, can overwrite or
# delete that version before it ends (COMPLIANCE: not even the root user).
resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock != null ? 1 : 0

  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyTlsBelow12"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
      {
        # Whatever their own policies allow, principals of this account other than the release role
        # can neither replace nor remove a release.
        Sid       = "OnlyTheReleaseRoleWrites"
        Effect    = "Deny"
        Principal = "*"
        Action = [
          "s3:BypassGovernanceRetention",
          "s3:DeleteObject",
          "s3:DeleteObjectVersion",
          "s3:PutObject",
          "s3:PutObjectLegalHold",
          "s3:PutObjectRetention",
        ]
        Resource  = "${local.bucket_arn}/*"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = var.release_role_arn } }
      },
      {
        # Lambda fetches the code with the credentials of whoever creates or updates the function.
        Sid       = "OrganizationReadsReleases"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource  = "${local.bucket_arn}/*"
        Condition = { StringEquals = { "aws:PrincipalOrgID" = var.organization_id } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}
