output "secret_arns" {
  description = "ARN of each user's secret (`{\"username\": ..., \"password\": ...}`), by the keys of `users`."
  value       = { for key, secret in aws_secretsmanager_secret.this : key => secret.arn }
}

output "provision_secret_arn" {
  description = "ARN of the secret holding the default provision password, readable by the function and the admins only."
  value       = aws_secretsmanager_secret.provision.arn
}

output "secret_names" {
  description = "Name of each user's secret, by the keys of `users`."
  value       = { for key, secret in aws_secretsmanager_secret.this : key => secret.name }
}

output "function_arn" {
  description = "Unqualified ARN of the rotation function. Manual actions invoke `manual_invoke_arn`, not this."
  value       = aws_lambda_function.this.arn
}

output "manual_invoke_arn" {
  description = "ARN to invoke for manual actions (`status`, `verify`, `reset`, `heal`): the function's `manual` alias, the only one `manual_invoke_principals` may invoke."
  value       = aws_lambda_alias.manual.arn
}

output "rotation_alias_arn" {
  description = "ARN of the function's `rotation` alias: the secret's rotation function, invoked by Secrets Manager alone."
  value       = aws_lambda_alias.rotation.arn
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

output "application_policies" {
  description = "By user, the IAM policy (JSON) an application role needs to read its credentials with the client library: `secretsmanager:GetSecretValue` on that user's secret and its replicas for the `AWSCURRENT` and `AWSPENDING` stages only (the client names the stage), and, when the secret has a customer managed key, `kms:Decrypt` through Secrets Manager for that secret only. Attach it to the roles of the user's `application_role_arns`."
  value       = local.application_policies
}
