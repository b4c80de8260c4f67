"""Endpoint secrets encrypted with KMS (the platform key), bound to their endpoint by the encryption
context: a ciphertext copied to another endpoint's item does not decrypt. Decrypted secrets are cached
in the function's memory for a few minutes (a delivery is one Decrypt per secret at most)."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

CACHE_SECONDS = 300.0


class KmsSecretBox:
    def __init__(self, client: Any, key_id: str):
        self.client, self.key_id = client, key_id
        self._cache: dict[tuple[str, tuple], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def seal(self, plain: str, context: dict[str, str]) -> str:
        found = self.client.encrypt(KeyId=self.key_id, Plaintext=plain.encode(), EncryptionContext=context)
        return base64.b64encode(found["CiphertextBlob"]).decode()

    def open(self, ciphertext: str, context: dict[str, str]) -> str:
        key = (ciphertext, tuple(sorted(context.items())))
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
            if cached and now - cached[0] < CACHE_SECONDS:
                return cached[1]
        found = self.client.decrypt(CiphertextBlob=base64.b64decode(ciphertext), EncryptionContext=context)
        plain = found["Plaintext"].decode()
        with self._lock:
            self._cache[key] = (now, plain)
        return plain
