terraform {
  required_version = ">= 1.9.0" # validations that read another variable (aws_endpoint_url)

  # hashicorp/aws 5.x: the line this machine kind ships in its filesystem mirror (5.100.0,
  # scripts/install-terraform.sh) and the one the committed .terraform.lock.hcl pins. Online, `terraform
  # init -upgrade` moves the lock to a newer 5.x.
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
