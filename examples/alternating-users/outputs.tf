output "secret_arn" {
  description = "ARN of the application's MySQL credentials; the username alternates between app and app_clone."
  value       = module.password_rotation.secret_arns["app"]
}

output "manual_invoke_arn" {
  description = "What the DBA backend invokes for manual actions (the function's manual alias)."
  value       = module.password_rotation.manual_invoke_arn
}

output "role_arn" {
  description = "The function's role: the only one allowed to read the master secrets besides their owners."
  value       = module.password_rotation.role_arn
}
