output "secret_arn" {
  description = "ARN of the application's MySQL credentials."
  value       = module.password_rotation.secret_arns["app"]
}

output "manual_invoke_arn" {
  description = "What the DBA backend invokes for manual actions (the function's manual alias)."
  value       = module.password_rotation.manual_invoke_arn
}

output "cluster_endpoint" {
  description = "Writer endpoint of the cluster."
  value       = aws_rds_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint of the cluster."
  value       = aws_rds_cluster.this.reader_endpoint
}
