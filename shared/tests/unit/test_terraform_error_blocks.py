"""A failed Terraform run says why in the exception's message (a CI's short summary shows only that line)."""

from smartpay_shared.local.terraform import error_blocks

OUTPUT = """module.worker.aws_lambda_function.this: Still creating... [4m50s elapsed]
╷
│ Error: creating Lambda Function (smartpay-payment-worker): operation error Lambda: CreateFunction, StatusCode: 409
│ ResourceConflictException: Function already exist: smartpay-payment-worker
│
│   with module.service.module.worker.aws_lambda_function.this,
│   on ../../modules/lambda_service/main.tf line 40, in resource "aws_lambda_function" "this":
╵
╷
│ Error: waiting for SQS Queue (smartpay-payment) create: timeout
╵
Releasing state lock. This may take a few moments...
"""


def test_each_error_block_is_kept_up_to_its_first_blank_line():
    why = error_blocks(OUTPUT.splitlines(True))
    assert why == ("Error: creating Lambda Function (smartpay-payment-worker): operation error Lambda: CreateFunction,"
                   " StatusCode: 409 ResourceConflictException: Function already exist: smartpay-payment-worker"
                   " | Error: waiting for SQS Queue (smartpay-payment) create: timeout")


def test_output_without_an_error_gives_nothing_and_a_long_one_is_cut():
    assert error_blocks(["Apply complete! Resources: 3 added, 0 changed, 0 destroyed.\n"]) == ""
    assert len(error_blocks([f"Error: {'x' * 5000}\n"])) == 2000
