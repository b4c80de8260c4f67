"""Policy checkpoints in S3: `<prefix>models/<id>.vw`, the decisions learnt since the previous checkpoint
as `<prefix>logs/<id>.jsonl` (the OPE log format), and `<prefix>latest.json` pointing at the newest."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from smartpay_routing.domain.errors import CheckpointError
from smartpay_routing.service_layer.ports import CheckpointStore


class S3CheckpointStore(CheckpointStore):
    def __init__(self, s3: Any, bucket: str, prefix: str = "policy/"):
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix

    def latest(self) -> tuple[str, bytes, dict] | None:
        try:
            pointer = json.loads(self._s3.get_object(Bucket=self._bucket, Key=self._prefix + "latest.json")
                                 ["Body"].read())
            model = self._s3.get_object(Bucket=self._bucket, Key=pointer["model_key"])["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise CheckpointError(f"cannot read checkpoint from s3://{self._bucket}/{self._prefix}: {e}") from e
        except BotoCoreError as e:
            raise CheckpointError(f"cannot read checkpoint from s3://{self._bucket}/{self._prefix}: {e}") from e
        return pointer["checkpoint_id"], model, pointer

    def get(self, checkpoint_id: str) -> tuple[bytes, dict]:
        """An older checkpoint's model by id (its metadata is known only while it is the latest)."""
        latest = self.latest()
        if latest is not None and latest[0] == checkpoint_id:
            return latest[1], latest[2]
        key = f"{self._prefix}models/{checkpoint_id}.vw"
        try:
            return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read(), {}
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise CheckpointError(f"no checkpoint {checkpoint_id} at s3://{self._bucket}/{key}") from e
            raise CheckpointError(f"cannot read s3://{self._bucket}/{key}: {e}") from e
        except BotoCoreError as e:
            raise CheckpointError(f"cannot read s3://{self._bucket}/{key}: {e}") from e

    def put_artifact(self, key: str, body: bytes) -> str:
        """Another object beside the checkpoints (a packaged SageMaker model); returns its s3:// URI."""
        try:
            self._s3.put_object(Bucket=self._bucket, Key=self._prefix + key, Body=body)
        except (ClientError, BotoCoreError) as e:
            raise CheckpointError(f"cannot write s3://{self._bucket}/{self._prefix}{key}: {e}") from e
        return f"s3://{self._bucket}/{self._prefix}{key}"

    def save(self, checkpoint_id: str, model: bytes, metadata: dict, decision_log: list[dict]) -> None:
        model_key = f"{self._prefix}models/{checkpoint_id}.vw"
        pointer = {**metadata, "checkpoint_id": checkpoint_id, "model_key": model_key}
        try:
            self._s3.put_object(Bucket=self._bucket, Key=model_key, Body=model)
            if decision_log:
                body = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in decision_log)
                log_key = f"{self._prefix}logs/{checkpoint_id}.jsonl"
                self._s3.put_object(Bucket=self._bucket, Key=log_key, Body=body.encode())
                pointer["log_key"] = log_key
            # The pointer last: a reader never sees a checkpoint id whose model is not there yet.
            self._s3.put_object(Bucket=self._bucket, Key=self._prefix + "latest.json",
                                Body=json.dumps(pointer).encode(), ContentType="application/json")
        except (ClientError, BotoCoreError) as e:
            raise CheckpointError(f"cannot write checkpoint {checkpoint_id} to s3://{self._bucket}: {e}") from e
