# One version is one artifact: the first zip (an Image: its image_uri) released under an alias name is recorded here (in the
# state, keyed by the alias name) and never updated (ignore_changes), so an apply that would put other code
# behind the same alias fails at plan (the precondition on aws_lambda_function), before anything changes.
# A VERSION bump is a new key: the new alias records its own zip, the old record goes with the old alias.
# Off (`immutable_release = false`) on the local target, where a developer re-applies edited code.

resource "terraform_data" "release" {
  for_each = var.immutable_release ? { (var.alias_name) = local.code_id } : {}

  input = each.value

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  released_code_id = try(terraform_data.release[var.alias_name].output, local.code_id)
}
