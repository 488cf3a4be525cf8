output "secret_arns" {
  description = "ARN of each user's secret: app, reporting, migrations."
  value       = module.password_rotation.secret_arns
}

output "manual_invoke_arn" {
  description = "What the DBA backend invokes for manual actions, with {\"user\": ...} to pick a user."
  value       = module.password_rotation.manual_invoke_arn
}
