# The pool's contract with the services: custom:merchant_id, the admin group, a public client; and
# the merchant is set by an operator only (no sign-up, not user-writable), optional TOTP.

mock_provider "aws" {
  mock_resource "aws_cognito_user_pool" {
    defaults = { id = "us-east-1_mock0001", endpoint = "cognito-idp.us-east-1.amazonaws.com/us-east-1_mock0001" }
  }
}

run "pool_client_and_group" {
  command = apply

  assert {
    condition = one([
      for attribute in aws_cognito_user_pool.this.schema : attribute.attribute_data_type
      if attribute.name == "merchant_id"
    ]) == "String"
    error_message = "The pool needs a custom String attribute merchant_id."
  }

  assert {
    condition     = output.merchant_claim == "custom:merchant_id"
    error_message = "ID tokens carry it as custom:merchant_id."
  }

  assert {
    condition     = aws_cognito_user_group.this["admin"].name == "admin"
    error_message = "The admin group must exist."
  }

  assert {
    condition     = toset(aws_cognito_user_pool_client.this.explicit_auth_flows) == toset(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    error_message = "The client signs in with USER_PASSWORD_AUTH and refreshes."
  }

  assert {
    condition     = aws_cognito_user_pool_client.this.generate_secret == false
    error_message = "The client is public (no secret)."
  }

  assert {
    condition     = output.issuer_url == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_mock0001"
    error_message = "The issuer is https://<pool endpoint>."
  }

  assert {
    condition     = aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only == true
    error_message = "No self sign-up: only AdminCreateUser creates users."
  }

  assert {
    condition     = !contains(aws_cognito_user_pool_client.this.write_attributes, "custom:merchant_id") && length(aws_cognito_user_pool_client.this.write_attributes) > 0
    error_message = "write_attributes is an explicit list without custom:merchant_id."
  }

  assert {
    condition     = contains(aws_cognito_user_pool_client.this.read_attributes, "custom:merchant_id")
    error_message = "The client reads custom:merchant_id (the ID token carries it)."
  }

  assert {
    condition     = aws_cognito_user_pool.this.mfa_configuration == "OPTIONAL" && aws_cognito_user_pool.this.software_token_mfa_configuration[0].enabled
    error_message = "Optional TOTP MFA."
  }
}

run "mfa_can_be_compulsory" {
  command = plan

  variables {
    mfa_configuration = "ON"
  }

  assert {
    condition     = aws_cognito_user_pool.this.mfa_configuration == "ON"
    error_message = "mfa_configuration = ON makes TOTP compulsory."
  }
}

run "mfa_cannot_be_switched_off" {
  command = plan

  variables {
    mfa_configuration = "OFF"
  }

  expect_failures = [var.mfa_configuration]
}
