# One state per root. Locally the orchestrator picks the file:
#   terraform init -backend-config=path=<state_dir>/<root>/terraform.tfstate
# (smartpay_shared.local.terraform); by hand it is terraform.tfstate here. For a shared remote state
# put `terraform { backend "s3" {} }` in a backend_override.tf and pass its settings at init.
terraform {
  backend "local" {}
}
