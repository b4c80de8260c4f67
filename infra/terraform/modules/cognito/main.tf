# The merchants' user pool: a custom merchant_id attribute (custom:merchant_id in ID tokens), the
# operator group and one public app client for user-password sign-in.
#
# Merchant identity is set by an operator only. The holder of a token cannot change it:
# - no self sign-up: AdminCreateUser is the only way in (`allow_admin_create_user_only`);
# - the app client lists the attributes it may read and write. custom:merchant_id is readable (the
#   ID token must carry it) and never writable, so UpdateUserAttributes with a user's own access
#   token cannot rewrite it. Only AdminUpdateUserAttributes (IAM-authorised) can;
# - groups (cognito:groups, the admin role) are not attributes at all: only the Admin* APIs change them.
#   That is why the API also requires the group merchant:<merchant_id> to confirm the claim
#   (smartpay_shared.api.merchant_id): the merchant groups are made and assigned by
#   `smartpay auth create-user`, not here, and count against the pool's 10,000-group quota.
# The lists and switches live in hardening.json, which tests/security/conftest.py reads too.

locals {
  hardening       = jsondecode(file("${path.module}/hardening.json"))
  merchant_claim  = "custom:${var.merchant_attribute_name}"
  read_attributes = sort(distinct(concat(local.hardening.read_attributes, [local.merchant_claim])))
  # Never the merchant attribute (the client's precondition also refuses it).
  write_attributes  = sort(distinct(local.hardening.write_attributes))
  mfa_configuration = coalesce(var.mfa_configuration, local.hardening.mfa_configuration)
}

resource "aws_cognito_user_pool" "this" {
  name = var.name
  tags = var.tags

  # Self sign-up (SignUp) is refused: users are created by an operator (`smartpay auth create-user`).
  admin_create_user_config {
    allow_admin_create_user_only = local.hardening.allow_admin_create_user_only
  }

  # Optional TOTP (authenticator app): a user who enrols gets a SOFTWARE_TOKEN_MFA challenge at
  # every sign-in; `mfa_configuration = "ON"` makes it compulsory. No SMS (it needs an SNS role).
  mfa_configuration = local.mfa_configuration

  software_token_mfa_configuration {
    enabled = local.hardening.software_token_mfa
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = false
    temporary_password_validity_days = 7
  }

  # Mutable so that an operator can re-assign a user (AdminUpdateUserAttributes). The holder cannot:
  # the client's write_attributes leave it out. Making it immutable would also stop operators, and
  # changing it on an existing pool replaces the pool (every user lost).
  schema {
    name                     = var.merchant_attribute_name
    attribute_data_type      = "String"
    mutable                  = local.hardening.merchant_attribute_mutable
    developer_only_attribute = false
    required                 = false

    string_attribute_constraints {
      min_length = 1
      max_length = 64
    }
  }
}

resource "aws_cognito_user_group" "this" {
  for_each = var.groups

  name         = each.key
  description  = each.value
  user_pool_id = aws_cognito_user_pool.this.id
}

resource "aws_cognito_user_pool_client" "this" {
  name            = var.client_name
  user_pool_id    = aws_cognito_user_pool.this.id
  generate_secret = false

  explicit_auth_flows           = local.hardening.explicit_auth_flows
  prevent_user_existence_errors = local.hardening.prevent_user_existence_errors

  # Explicit lists: an empty or missing list means Cognito's defaults, which let the user write
  # every writable attribute.
  read_attributes  = local.read_attributes
  write_attributes = local.write_attributes

  lifecycle {
    precondition {
      condition     = !contains(local.write_attributes, local.merchant_claim) && length(local.write_attributes) > 0
      error_message = "write_attributes must be a non-empty list without the merchant attribute: only the admin path sets the merchant."
    }
    precondition {
      condition     = contains(local.read_attributes, local.merchant_claim)
      error_message = "read_attributes must hold the merchant attribute: the ID token carries it to the API."
    }
  }
}
