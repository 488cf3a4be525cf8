# The required inputs every plan run starts from; runs override what they test.
name                     = "app-rotation"
s3_bucket                = "dba-function-releases"
s3_key                   = "mysql-password-rotation/1.0.0/function.zip"
vpc_id                   = "vpc-0123456789abcdef0"
subnet_ids               = ["subnet-0123456789abcdef0", "subnet-0fedcba987654321f"]
api_endpoint_cidr_blocks = ["10.0.0.0/24"]
database_cidr_blocks     = ["10.0.16.0/20", "10.0.32.0/20"]
users = {
  app = { username = "app", secret_name = "app/mysql" }
}
default_provision_passwords = { app = "Provision-Password-1" }
source_code_hash            = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
secret_admin_role_arns      = ["arn:aws:iam::111122223333:role/terraform", "arn:aws:iam::111122223333:role/shop-admin"]
db_tag                      = { key = "application", value = "shop" }
