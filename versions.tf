terraform {
  # 1.9: validation blocks that refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.80: Lambda logging_config and the nodejs22.x runtime.
      version = ">= 5.80"
    }
    time = {
      source  = "hashicorp/time"
      version = ">= 0.9"
    }
  }
}
