#!/usr/bin/env python
"""GPU build throughput: simtrials' encode pipeline vs vanilla ``SentenceTransformer.encode``.

Encodes exactly the texts a default ``TrialIndex`` encodes for each trial (the ``all`` and
``interventions`` texts, and the items of the set-valued ``conditions`` field) for the 8,769
bundled real trials, repeated ``--copies`` times to get a registry-sized workload: every copy's
``all`` and ``interventions`` texts get a distinct suffix (" [copy N]") so that they are encoded
again, while conditions repeat as they do across the real registry. The output says so.

- vanilla: ``SentenceTransformer.encode`` of one text per trial per field (conditions joined),
  batch 512, as a user would write it.
- simtrials: ``simtrials.Embedder`` (distinct strings encoded once, length-sorted batches,
  tokenization of the next batch overlapped with the forward pass, fp16 weights on CUDA).

Runs with only pandas, pyarrow, torch and sentence-transformers installed (no FAISS needed):
``python benchmarks/gpu_encode.py --model PATH --device cuda --copies 8 --out results.json``.
The summary line extrapolates the measured trials/s to the 560,000 trials of the registry.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

REGISTRY = 560_000


def workload(copies: int, limit: int | None = None):
    """Per-field texts of the bundled trials, ``copies`` times (see the module docstring)."""
    from simtrials import datasets
    from simtrials.represent import condition_set, field_texts

    trials = datasets.load_trials()
    if limit:
        trials = trials.iloc[:limit]
    base = field_texts(trials, ["all", "interventions"])
    conds = [condition_set(r) for r in trials.to_dict("records")]
    out = {"all": [], "interventions": [], "conditions": []}
    for c in range(copies):
        tag = f" [copy {c}]" if c else ""
        out["all"] += [t + tag if t else t for t in base["all"]]
        out["interventions"] += [t + tag if t else t for t in base["interventions"]]
        out["conditions"] += conds
    return len(trials) * copies, out


def sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def run_vanilla(model: str, device: str, texts: dict, batch: int, half: bool = False) -> float:
    import torch
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model, device=device, model_kwargs={"dtype": torch.float32})
    if half:
        st = st.half()
    st.encode(["warm up"] * batch, batch_size=batch)
    sync(device)
    t0 = time.perf_counter()
    for field in ("all", "interventions"):
        st.encode([t or " " for t in texts[field]], batch_size=batch, normalize_embeddings=True)
    st.encode(
        ["; ".join(c) or " " for c in texts["conditions"]],
        batch_size=batch,
        normalize_embeddings=True,
    )
    sync(device)
    return time.perf_counter() - t0


def run_simtrials(model: str, device: str, texts: dict, batch: int, precision: str) -> float:
    from simtrials.embed import Embedder

    emb = Embedder(model, device=device, batch_size=batch, precision=precision)
    emb._load()
    emb._encode_windows(["warm up"] * batch, show_progress=False)
    sync(device)
    t0 = time.perf_counter()
    emb.encode(texts["all"])
    emb.encode(texts["interventions"])
    items = list(dict.fromkeys(it for c in texts["conditions"] for it in c))
    emb.encode(items)
    sync(device)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--model", default=None, help="model path (default: the packaged all-MiniLM-L6-v2)"
    )
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--precision", default="float16", choices=["float16", "float32"])
    ap.add_argument("--out", default=None)
    ap.add_argument(
        "--limit", type=int, default=None, help="use only the first N trials (a smoke test)"
    )
    args = ap.parse_args(argv)
    if args.model is None:
        from simtrials.embed import default_model_path

        args.model = default_model_path()
    import torch

    machine = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0)
        if args.device.startswith("cuda")
        else platform.processor(),
        "cpu_cores": os.cpu_count(),
    }
    n, texts = workload(args.copies, args.limit)
    print(f"machine: {machine}", file=sys.stderr)
    print(
        f"workload: {n} trials = {n // args.copies} real trials x {args.copies} (copies' texts suffixed, see docstring)"
    )
    t_van = run_vanilla(args.model, args.device, texts, args.batch)
    t_van16 = (
        run_vanilla(args.model, args.device, texts, args.batch, half=True)
        if args.device.startswith("cuda")
        else None
    )
    t_sim = run_simtrials(args.model, args.device, texts, args.batch, args.precision)
    rows = [
        ("vanilla SentenceTransformer.encode (fp32)", t_van, n / t_van),
        *([("vanilla SentenceTransformer.encode (fp16)", t_van16, n / t_van16)] if t_van16 else []),
        (f"simtrials Embedder ({args.precision}, pipelined, dedup)", t_sim, n / t_sim),
    ]
    print(f"{'method':55s} {'seconds':>9s} {'trials/s':>10s} {'560k trials (min)':>18s}")
    for name, t, rate in rows:
        print(f"{name:55s} {t:9.2f} {rate:10.0f} {REGISTRY / rate / 60:18.2f}")
    result = {
        "machine": machine,
        "trials": n,
        "copies": args.copies,
        "batch": args.batch,
        "vanilla_seconds": t_van,
        "vanilla_fp16_seconds": t_van16,
        "simtrials_seconds": t_sim,
        "vanilla_trials_per_s": n / t_van,
        "simtrials_trials_per_s": n / t_sim,
        "registry_minutes_simtrials": REGISTRY / (n / t_sim) / 60,
        "speedup": t_van / t_sim,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
    print(
        f"summary: simtrials {n / t_sim:.0f} trials/s vs vanilla {n / t_van:.0f} trials/s "
        f"= {t_van / t_sim:.2f}x; all default fields of 560k trials in {REGISTRY / (n / t_sim) / 60:.2f} min "
        f"on {machine['device']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
