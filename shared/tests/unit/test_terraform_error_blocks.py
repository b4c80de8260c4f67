"""A failed Terraform run says why in the exception's message (a CI's short summary shows only that line)."""

from smartpay_shared.local.terraform import error_blocks

# As `terraform ... -no-color` prints it (every run in smartpay_shared.local.terraform): no box, blank lines inside
# a block, the source snippet between the summary and the detail.
PLAIN = """There are some problems with the CLI configuration:

Warning: Unable to open CLI configuration file

The CLI configuration file at "/root/.terraformrc" does not exist.

module.worker.aws_lambda_function.this: Still creating... [4m50s elapsed]

Error: creating Lambda Function (smartpay-payment-worker): operation error Lambda: CreateFunction, StatusCode: 409

  with module.service.module.worker.aws_lambda_function.this,
  on ../../modules/lambda_service/main.tf line 40, in resource "aws_lambda_function" "this":
  40: resource "aws_lambda_function" "this" {

ResourceConflictException: Function already exist: smartpay-payment-worker

Error: Invalid expression

  on main.tf line 8, in output "y":
   8: output "y" { value = var.x + }

Expected the start of an expression, but found an invalid expression token.
"""

# With colour (a run by hand): the same blocks drawn in a box.
BOXED = """╷
│ Error: waiting for SQS Queue (smartpay-payment) create: timeout
│
│   with module.service.module.queue.aws_sqs_queue.this,
│   on ../../modules/service_queue/main.tf line 3, in resource "aws_sqs_queue" "this":
│    3: resource "aws_sqs_queue" "this" {
│
│ the queue did not answer
╵
"""


def test_plain_blocks_keep_their_detail_and_drop_the_snippet_and_warnings():
    assert error_blocks(PLAIN.splitlines(True)) == (
        "Error: creating Lambda Function (smartpay-payment-worker): operation error Lambda: CreateFunction,"
        " StatusCode: 409 ResourceConflictException: Function already exist: smartpay-payment-worker"
        " | Error: Invalid expression Expected the start of an expression, but found an invalid expression token.")


def test_boxed_blocks_read_the_same():
    assert error_blocks(BOXED.splitlines(True)) == (
        "Error: waiting for SQS Queue (smartpay-payment) create: timeout the queue did not answer")


def test_output_without_an_error_gives_nothing_and_a_long_one_is_cut():
    assert error_blocks(["Apply complete! Resources: 3 added, 0 changed, 0 destroyed.\n"]) == ""
    assert len(error_blocks([f"Error: {'x' * 5000}\n"])) == 2000
