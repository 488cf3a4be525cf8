output "secret_arn" {
  description = "ARN of the application's MySQL credentials."
  value       = module.password_rotation.secret_arns["app"]
}

output "manual_invoke_arn" {
  description = "What the DBA backend invokes for manual actions (the function's manual alias)."
  value       = module.password_rotation.manual_invoke_arn
}

output "instance_endpoints" {
  description = "Endpoints of the MySQL instances, by name suffix."
  value       = { for key, instance in aws_db_instance.this : key => instance.endpoint }
}
