output "secret_arn" {
  description = "ARN of the application's MySQL credentials."
  value       = module.password_rotation.secret_arns["app"]
}

output "manual_invoke_arn" {
  description = "What the DBA backend invokes for manual actions (the function's manual alias)."
  value       = module.password_rotation.manual_invoke_arn
}

output "security_group_id" {
  description = "The function's security group: admit it on the servers' MySQL port."
  value       = module.password_rotation.security_group_id
}
