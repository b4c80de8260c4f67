"""The offer checkpoint in S3: what `smartpay rewards offers train --publish` writes and the API's cold start
reads (bootstrap.offer_model, REWARDS_OFFER_MODEL_S3_URI).

The object holds the checkpoint's bytes exactly (their sha256 names the version, `offers-vw-<12 hex>`, which
the API logs with every decision); its metadata `policy-version` says the same. Beside it, `<key>.report.json`
keeps the training run's report (the join, the OPE figures, the verdict) for whoever asks later why this
model serves."""

from __future__ import annotations

import json
import re
from typing import Any

from smartpay_rewards.service_layer.ports import OfferModelStore

S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$")
REPORT_SUFFIX = ".report.json"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    m = S3_URI.match(uri)
    if not m:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return m.group(1), m.group(2)


class S3OfferModelStore(OfferModelStore):
    def __init__(self, s3: Any):
        self.s3 = s3

    def get(self, uri: str) -> bytes:
        """The checkpoint's bytes (a missing object raises the client's NoSuchKey)."""
        bucket, key = parse_s3_uri(uri)
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def put(self, uri: str, model: bytes, version: str, report: dict) -> None:
        """The report first, then the checkpoint: a reader never finds a checkpoint without its report."""
        if not model:
            raise ValueError("refusing to publish an empty checkpoint")
        bucket, key = parse_s3_uri(uri)
        self.s3.put_object(Bucket=bucket, Key=key + REPORT_SUFFIX, ContentType="application/json",
                           Body=json.dumps(report, indent=2, sort_keys=True).encode())
        self.s3.put_object(Bucket=bucket, Key=key, Body=model, ContentType="application/octet-stream",
                           Metadata={"policy-version": version})
