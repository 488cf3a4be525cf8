output "secret_arn" {
  description = "ARN of the secret holding the user's credentials (`{\"username\": ..., \"password\": ...}`)."
  value       = aws_secretsmanager_secret.this.arn
}

output "secret_name" {
  description = "Name of the secret."
  value       = aws_secretsmanager_secret.this.name
}

output "function_arn" {
  description = "ARN of the rotation function; manual actions invoke it."
  value       = aws_lambda_function.this.arn
}

output "function_name" {
  description = "Name of the rotation function."
  value       = aws_lambda_function.this.function_name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "security_group_id" {
  description = "ID of the function's security group; allow it in the databases' security groups on the database port."
  value       = aws_security_group.this.id
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "rotation_ready" {
  description = "Known once the initial rotation has had `rotation_wait_duration` to finish: put it in `depends_on` of the RDS instances so they are created after it."
  value       = time_sleep.initial_rotation.id
}
