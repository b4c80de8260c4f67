"""Model registry: versioned artifacts in S3 (models/<version>/...) with a `latest` pointer, and a local
cache that is checked against the metadata's checksums before use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from smartpay_fraud.adapters.model_bundle import METADATA_FILE, ModelBundle
from smartpay_fraud.domain.errors import ModelNotAvailable

LATEST = "latest"


class ModelRegistry:
    def __init__(self, s3: Any | None, bucket: str, cache_dir: Path, prefix: str = "models"):
        self._s3 = s3 if bucket else None
        self._bucket = bucket
        self._cache = Path(cache_dir)
        self._prefix = prefix

    def _key(self, version: str, name: str) -> str:
        return f"{self._prefix}/{version}/{name}"

    def _where(self) -> str:
        return f"s3://{self._bucket}/{self._prefix}" if self._s3 else f"local cache {self._cache}"

    def save_local(self, bundle: ModelBundle) -> Path:
        directory = bundle.save(self._cache / bundle.version)
        (self._cache / f"{LATEST}.json").write_text(json.dumps({"version": bundle.version}) + "\n")
        return directory

    def publish(self, bundle: ModelBundle, make_latest: bool = True) -> str:
        if self._s3 is None:
            raise ModelNotAvailable("no registry bucket configured (FRAUD_MODEL_BUCKET): cannot publish")
        directory = self.save_local(bundle)
        try:
            for path in sorted(directory.iterdir()):
                self._s3.upload_file(str(path), self._bucket, self._key(bundle.version, path.name))
            if make_latest:
                self._s3.put_object(Bucket=self._bucket, Key=f"{self._prefix}/{LATEST}.json",
                                    Body=json.dumps({"version": bundle.version}).encode(),
                                    ContentType="application/json")
        except (ClientError, BotoCoreError) as e:
            raise ModelNotAvailable(f"publishing {bundle.version} to s3://{self._bucket} failed: {e}") from e
        return f"s3://{self._bucket}/{self._prefix}/{bundle.version}/"

    def resolve(self, version: str) -> str:
        if version != LATEST:
            return version
        try:
            if self._s3 is None:
                raw = (self._cache / f"{LATEST}.json").read_text()
            else:
                raw = self._s3.get_object(Bucket=self._bucket, Key=f"{self._prefix}/{LATEST}.json")["Body"].read()
            return json.loads(raw)["version"]
        except (OSError, ClientError, BotoCoreError, KeyError, ValueError) as e:
            raise ModelNotAvailable(
                f"no model registered in {self._where()} (no '{LATEST}' pointer: {type(e).__name__}). "
                "Train and register one: `smartpay fraud train --quick --publish`, or set FRAUD_MODEL_VERSION."
            ) from e

    def versions(self) -> list[str]:
        if self._s3 is None:
            return sorted(p.name for p in self._cache.iterdir() if (p / METADATA_FILE).exists()) \
                if self._cache.exists() else []
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=self._prefix + "/",
                                                                   Delimiter="/")
        return sorted(p["Prefix"].split("/")[-2] for page in pages for p in page.get("CommonPrefixes", []))

    def fetch(self, version: str) -> Path:
        """A verified local copy of `version` (downloaded into the cache when missing or corrupt)."""
        version = self.resolve(version)
        directory = self._cache / version
        try:
            ModelBundle.load(directory)
            return directory
        except ModelNotAvailable:
            if self._s3 is None:
                raise ModelNotAvailable(f"model {version} is not in the {self._where()}") from None
        tmp = self._cache / f".{version}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            meta = self._s3.get_object(Bucket=self._bucket, Key=self._key(version, METADATA_FILE))["Body"].read()
            (tmp / METADATA_FILE).write_bytes(meta)
            for name in json.loads(meta).get("artifacts", {}):
                self._s3.download_file(self._bucket, self._key(version, name), str(tmp / name))
        except (ClientError, BotoCoreError) as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ModelNotAvailable(f"model {version} not found in {self._where()}: {e}") from e
        ModelBundle.load(tmp)  # checksums verified before the copy becomes visible
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)
        return directory

    def load(self, version: str) -> ModelBundle:
        return ModelBundle.load(self.fetch(version))

    def metadata(self, version: str) -> dict:
        return json.loads((self.fetch(version) / METADATA_FILE).read_text())
