"""ONNX Runtime backends of :class:`~simtrials.Embedder`: ``"onnx"`` (float32) and ``"onnx-int8"``.

- The sentence-transformers model (the packaged all-MiniLM-L6-v2 by default) is exported to
  ONNX offline, from the weights already loaded (``torch.onnx.export``; no hub, no optimum),
  once: the file is kept under ``<cache>/onnx/<model tag>-<float32 fingerprint>/`` and reused
  by every later run (a re-install keeps it: the cache lives outside the package).
- ``"onnx-int8"`` quantizes the MatMul weights to int8, per output channel, with ONNX Runtime's
  dynamic quantization (activations are quantized on the fly).
- Encoding mirrors ``SentenceTransformer.encode``: texts sorted by length, padded per batch,
  truncated at ``max_seq_length``, the model's pooling (mean or CLS), then unit length.

Needs the optional packages ``onnxruntime`` and ``onnx`` (``pip install 'simtrials[onnx]'``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BACKENDS", "OnnxModel", "require", "default_cache_root", "export"]

BACKENDS = ("torch", "onnx", "onnx-int8")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def require() -> Any:
    """The ``onnxruntime`` module, or an ImportError saying what to install."""
    try:
        import onnx  # noqa: F401 - needed by the export and the quantizer
        import onnxruntime
    except ImportError as exc:
        raise ImportError(
            "Embedder(backend='onnx' or 'onnx-int8') needs the optional packages onnxruntime "
            f"and onnx ({exc.name!r} is missing): pip install 'simtrials[onnx]'"
        ) from exc
    return onnxruntime


def default_cache_root() -> Path:
    """``$SIMTRIALS_CACHE`` or ``~/.cache/simtrials``: where exported models are kept."""
    return Path(os.environ.get("SIMTRIALS_CACHE", "~/.cache/simtrials")).expanduser()


def _structure(st: Any) -> str:
    """The pooling mode of a Transformer -> Pooling [-> Normalize] model; ValueError otherwise."""
    mods = [type(m).__name__ for m in st]
    if len(mods) < 2 or mods[0] != "Transformer" or mods[1] != "Pooling" or len(mods) > 3:
        raise ValueError(
            f"the ONNX backends export Transformer -> Pooling [-> Normalize] models, got {mods}; "
            "use backend='torch' for this model"
        )
    if len(mods) == 3 and mods[2] != "Normalize":
        raise ValueError(f"the ONNX backends cannot export a {mods[2]} module; use backend='torch'")
    mode = str(getattr(st[1], "pooling_mode", "mean"))
    if mode not in ("mean", "cls"):
        raise ValueError(f"the ONNX backends support mean or cls pooling, got {mode!r}")
    return mode


def model_folder(st: Any, name: str, fingerprint: str, root: Path | None) -> Path:
    """Where the exported files of this model (its float32 ``fingerprint``) are kept."""
    tag = hashlib.sha256(name.encode()).hexdigest()[:12]
    return (root or default_cache_root()) / "onnx" / f"{tag}-{fingerprint}"


def export(st: Any, folder: Path, *, int8: bool) -> Path:
    """Export ``st``'s transformer to ``folder/model.onnx`` (and ``model-int8.onnx``) once.

    Each file is written under a temporary name and renamed, so a killed export leaves
    nothing half-written. Returns the path of the requested file.
    """
    require()
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / "model.onnx"
    if not fp32.is_file():
        _export_fp32(st, fp32)
    if not int8:
        return fp32
    q = folder / "model-int8.onnx"
    if not q.is_file():
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = folder / f"model-int8.{os.getpid()}.tmp.onnx"
        logging.disable(
            logging.WARNING
        )  # the quantizer's advice to pre-process, on the root logger
        try:
            quantize_dynamic(
                fp32,
                tmp,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            logging.disable(logging.NOTSET)
        os.replace(tmp, q)
    return q


def _export_fp32(st: Any, path: Path) -> None:
    import torch

    names = [n for n in _INPUTS if n in st.tokenizer.model_input_names]
    model = st[0].auto_model.to("cpu").eval()

    class _Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, args))).last_hidden_state

    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in (*names, "last_hidden_state")}
    tmp = path.with_name(f"model.{os.getpid()}.tmp.onnx")
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Wrapped(),
            dummy,
            str(tmp),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, path)


class OnnxModel:
    """One ONNX Runtime session of an exported model, with the model's tokenizer and pooling."""

    def __init__(self, path: Path, st: Any, *, threads: int | None = None) -> None:
        ort = require()
        self.pooling = _structure(st)
        self.tokenizer = st.tokenizer
        self.max_tokens = int(st.max_seq_length)
        self.dimension = int(st[1].embedding_dimension)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = int(threads)
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        """``(n, dimension)`` float32 unit vectors, batches cut from the texts sorted by length."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        bar = None
        if show_progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="Encoding (onnx)", unit="text")
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._batch([texts[i] for i in rows])
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="np",
        )
        feeds = {n: np.asarray(enc[n], dtype=np.int64) for n in self.inputs}
        hidden = self.session.run(None, feeds)[0]
        if self.pooling == "cls":
            vec = hidden[:, 0]
        else:
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            vec = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(vec, axis=1, keepdims=True)
        return (vec / np.maximum(norms, 1e-12)).astype(np.float32)
