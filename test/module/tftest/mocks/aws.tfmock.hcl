# What the mocked AWS provider answers in the plan runs of renders.tftest.hcl. Resources of which the
# module creates several (secrets, aliases) get their distinct ARNs from override_resource blocks there.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111122223333"
    arn        = "arn:aws:sts::111122223333:assumed-role/terraform/ci"
    user_id    = "AROAEXAMPLE:ci"
  }
}

mock_data "aws_iam_session_context" {
  defaults = {
    issuer_arn   = "arn:aws:iam::111122223333:role/terraform"
    issuer_name  = "terraform"
    session_name = "ci"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf"
    id  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/mysql-AbCdEf"
  }
}

# What Lambda reports for the released zip: the source_code_hash of common.tfvars.
mock_resource "aws_lambda_function" {
  defaults = {
    arn         = "arn:aws:lambda:eu-west-1:111122223333:function:app-rotation"
    version     = "1"
    code_sha256 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  }
}

mock_resource "aws_security_group" {
  defaults = {
    id = "sg-0123456789abcdef0"
  }
}
