terraform {
  required_version = ">= 1.9.0" # validations that read another variable (aws_endpoint_url)

  # Pinned to the provider of the offline mirror (scripts/install-terraform.sh): a looser constraint
  # would pick a newer provider from any other mirror, where the 3.x provider arguments are invalid.
  # Online, override the pin per root without editing this file, e.g. a versions_override.tf with
  #   terraform { required_providers { aws = { source = "hashicorp/aws", version = "~> 5.0" } } }
  # plus the one provider-argument rename noted in providers.tf (docs/terraform.md).
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 3.39.0"
    }
  }
}
