"""Model registry: versioned artifacts in S3 (models/<version>/...) with two pointers - `latest` (moved by
every publish) and `current` (moved only by an operator's promote/rollback, with its history) - and a
local cache that is checked against the metadata's checksums before use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from smartpay_fraud.adapters.model_bundle import METADATA_FILE, ModelBundle
from smartpay_fraud.domain.errors import FraudError, ModelNotAvailable
from smartpay_fraud.domain.promotion import Pointer

LATEST = "latest"
CURRENT = "current"  # the promoted version; until the first promotion it falls back to `latest`


class PointerConflict(FraudError):
    """The `current` pointer changed between read and write (another operator): nothing was written."""


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
        """`current` -> the promoted version (or `latest` if nothing was ever promoted); `latest` -> the
        newest publish; anything else is a version name, used as it is."""
        if version == CURRENT:
            pointer, _ = self.pointer()
            if pointer.version:
                return pointer.version
            version = LATEST
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

    def pointer(self) -> tuple[Pointer, str | None]:
        """The `current` pointer and its ETag (None: not written yet)."""
        try:
            if self._s3 is None:
                path = self._cache / f"{CURRENT}.json"
                if not path.exists():
                    return Pointer(), None
                return Pointer.from_json(json.loads(path.read_text())), "local"
            obj = self._s3.get_object(Bucket=self._bucket, Key=f"{self._prefix}/{CURRENT}.json")
            return Pointer.from_json(json.loads(obj["Body"].read())), obj["ETag"]
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return Pointer(), None
            raise ModelNotAvailable(f"reading the current pointer in {self._where()} failed: {e}") from e
        except (OSError, BotoCoreError, ValueError) as e:
            raise ModelNotAvailable(f"reading the current pointer in {self._where()} failed: {e}") from e

    def write_pointer(self, pointer: Pointer, etag: str | None) -> None:
        """Write `current` only if it is still the one read (`etag`): a concurrent change is a conflict."""
        body = json.dumps(pointer.to_json(), indent=2).encode()
        if self._s3 is None:
            self._cache.mkdir(parents=True, exist_ok=True)
            (self._cache / f"{CURRENT}.json").write_bytes(body)
            return
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            self._s3.put_object(Bucket=self._bucket, Key=f"{self._prefix}/{CURRENT}.json", Body=body,
                                ContentType="application/json", **condition)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise PointerConflict("the current pointer changed meanwhile (another operator?): read it "
                                      "again and retry") from e
            raise ModelNotAvailable(f"writing the current pointer to {self._where()} failed: {e}") from e

    def describe(self, version: str) -> dict:
        """A version's metadata without downloading its artifacts (listing, promotion checks)."""
        try:
            if self._s3 is None:
                return json.loads((self._cache / version / METADATA_FILE).read_text())
            raw = self._s3.get_object(Bucket=self._bucket, Key=self._key(version, METADATA_FILE))["Body"].read()
            return json.loads(raw)
        except (OSError, ClientError, BotoCoreError, ValueError) as e:
            raise ModelNotAvailable(f"model {version} not found in {self._where()}: {e}") from e

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
