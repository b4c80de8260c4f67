# The pool's contract with the services: custom:merchant_id, the admin group, a public client.

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
}
