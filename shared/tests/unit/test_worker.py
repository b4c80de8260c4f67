"""Which records the worker treats as failed, following Lambda's ReportBatchItemFailures rules."""

import pytest

from smartpay_shared.runtime.worker import failed_ids

IDS = ["a", "b", "c"]


@pytest.mark.parametrize("response, expected", [
    (None, set()),
    ({"batchItemFailures": []}, set()),
    ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
    ({"batchItemFailures": [{"itemIdentifier": ""}]}, set(IDS)),
    ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, set(IDS)),
    ({"batchItemFailures": "b"}, set(IDS)),
    ("not a dict", set(IDS)),
    ({}, set()),
])
def test_failed_ids(response, expected):
    assert failed_ids(response, IDS) == expected
