output "secret_arn" {
  description = "ARN of the application's MySQL credentials."
  value       = module.password_rotation.secret_arn
}

output "function_name" {
  description = "Rotation function the DBA backend invokes for manual actions."
  value       = module.password_rotation.function_name
}

output "instance_endpoints" {
  description = "Endpoints of the MySQL instances, by name suffix."
  value       = { for key, instance in aws_db_instance.this : key => instance.endpoint }
}
