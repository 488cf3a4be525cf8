output "bucket_name" {
  description = "Name of the release bucket: the module's `s3_bucket`."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the release bucket."
  value       = aws_s3_bucket.this.arn
}
