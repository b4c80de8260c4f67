# Deletion protection that works on every provider: while `deletion_protection` is on, this record depends
# on the table and cannot be destroyed (prevent_destroy), and it is replaced whenever the table would be
# (replace_triggered_by its id, unknown on a replacement). So Terraform refuses any plan that destroys or
# replaces the table: `terraform destroy`, removing the module, a change of a key attribute, and also
# turning the variable off. To really delete the table: `terraform state rm` this record first
# (docs/terraform.md, "Deletion protection"). This guards against Terraform; DynamoDB's own flag
# (`deletion_protection_enabled` in main.tf, from the same variable) refuses DeleteTable whoever asks.

resource "terraform_data" "deletion_guard" {
  count = var.deletion_protection ? 1 : 0

  input = aws_dynamodb_table.this.arn

  lifecycle {
    prevent_destroy      = true
    replace_triggered_by = [aws_dynamodb_table.this.id]
  }
}
