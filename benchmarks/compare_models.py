"""Compare sentence-transformers models as the engine's model, on the judged dev pairs.

Re-rank protocol only (``load_relevance(pools="rerank")``: 42 queries, 505 judged pairs). For
each model that loads offline, on the same run and the same records:

- ``simtrials``: ``TrialIndex.build`` over only the trials the judgements name (queries and
  candidates, ~490 trials), evaluated with ``st.evaluate(mode="rerank")``. Re-ranking reads only
  the judged candidates, so the figures equal a full index's EXCEPT for the TF-IDF part of the
  score, whose idf depends on the corpus: compare models with each other on this subset (the
  baseline is the first model, built on the same subset in the same run), not with
  ``eval_default.json``;
- ``text-only``: the same index with ``weights={"text": 1}`` (no TF-IDF, no condition part);
- ``one-vector``: ``DenseConcatBaseline``, one vector of the whole text per trial;

with 95% bootstrap CIs over queries and the paired difference (``model - first model``, per
query, from the same resamples). Speed: seconds per trial of ``TrialIndex.build`` on the subset
with a cold embedding cache (model load included), and of plain
``SentenceTransformer(model).encode(whole texts)`` on a fixed sample of the subset
(``--speed-sample``; the whole subset with 0), both on this machine's CPU in the same run.

A model that is not available (a path that does not exist, a name not in the local Hugging
Face cache: no network here) is skipped with a message. Writes ``--out``
(``benchmarks/results/compare_models.json``) after each model and prints a Markdown table.

    python benchmarks/compare_models.py
    python benchmarks/compare_models.py --models default /tmp/models/all-mpnet-base-v2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine_info, machine_line  # noqa: E402

import simtrials as st  # noqa: E402
from simtrials.baselines import DenseConcatBaseline  # noqa: E402
from simtrials.evaluate import bootstrap_ci  # noqa: E402
from simtrials.represent import whole_text  # noqa: E402

METRICS = ["ndcg@5", "ndcg@10", "p@1_g2"]
SYSTEMS = ("simtrials", "text-only", "one-vector")
DEFAULT_MODELS = ["default", "/tmp/models/all-mpnet-base-v2"]
SEED = 0


class TextOnly:
    """The index's text part alone (``weights={"text": 1}``) as an evaluable system."""

    def __init__(self, index: st.TrialIndex) -> None:
        self.index = index

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self.index

    def similar(self, query: Any, k: int | None = None, *, candidates: Any = None) -> Any:
        return self.index.similar(query, k=k, candidates=candidates, weights={"text": 1})


# ---------------------------------------------------------------------- models


def model_path(spec: str) -> str | None:
    """``default`` -> the packaged model's folder; a path -> itself; a name -> None (hub cache)."""
    if spec == "default":
        return st.embed.default_model_path()
    return spec if os.path.sep in spec or Path(spec).exists() else None


def weights_sha256(spec: str) -> dict[str, str]:
    """sha256 of the weights files in the model's folder (none for a hub-cache name)."""
    path = model_path(spec)
    if path is None:
        return {}
    out = {}
    for name in ("model.safetensors", "pytorch_model.bin"):
        f = Path(path) / name
        if f.is_file():
            h = hashlib.sha256()
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[name] = h.hexdigest()
    return out


def available(spec: str) -> str | None:
    """Why the model cannot be used, or None when it loads offline."""
    path = model_path(spec)
    if path is not None and not Path(path).exists():
        return f"{path} does not exist"
    try:
        _ = st.Embedder(None if spec == "default" else spec).dimension
    except Exception as exc:  # noqa: BLE001 - any load failure means "skip"
        return f"does not load offline: {exc}"
    return None


# ---------------------------------------------------------------------- measuring


def subset_trials(qrels: pd.DataFrame) -> pd.DataFrame:
    """The bundled trials the judgements name (queries and candidates)."""
    ids = set(qrels["query"]) | set(qrels["candidate"])
    trials = st.datasets.load_trials()
    return trials[trials["nct_id"].isin(ids)].sort_values("nct_id").reset_index(drop=True)


def summary(per_query: pd.DataFrame, n_boot: int) -> dict[str, dict[str, float]]:
    out = {}
    for m in METRICS:
        vals = per_query[m].to_numpy(dtype=float)
        low, high = bootstrap_ci(vals, n_boot=n_boot, seed=SEED)
        out[m] = {"value": float(vals.mean()), "ci_low": float(low), "ci_high": float(high)}
    return out


def paired(a: pd.DataFrame, b: pd.DataFrame, n_boot: int) -> dict[str, dict[str, float]]:
    """``a - b`` per query (same queries, same order), mean and bootstrap CI."""
    b = b.reindex(a.index)
    out = {}
    for m in METRICS:
        d = a[m].to_numpy(dtype=float) - b[m].to_numpy(dtype=float)
        low, high = bootstrap_ci(d, n_boot=n_boot, seed=SEED)
        out[m] = {
            "diff": float(d.mean()),
            "diff_low": float(low),
            "diff_high": float(high),
            "excludes_zero": bool(low > 0 or high < 0),
            "queries_better": int((d > 1e-12).sum()),
            "queries_worse": int((d < -1e-12).sum()),
        }
    return out


def measure(
    spec: str, trials: pd.DataFrame, qrels: pd.DataFrame, cache_dir: Path, args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    from sentence_transformers import SentenceTransformer

    model = None if spec == "default" else spec
    slug = hashlib.sha256(spec.encode()).hexdigest()[:12]
    folder = cache_dir / f"compare-{slug}"
    shutil.rmtree(folder, ignore_errors=True)  # cold cache: the build encodes every text
    n = len(trials)

    t0 = time.perf_counter()
    index = st.TrialIndex.build(trials, model=model, cache_dir=folder, show_progress=False)
    build_s = time.perf_counter() - t0
    print(f"  TrialIndex.build: {build_s:.1f} s ({build_s / n:.3f} s/trial)", flush=True)

    t0 = time.perf_counter()
    one_vector = DenseConcatBaseline.build(trials, embedder=st.Embedder(model, cache_dir=folder))
    dense_s = time.perf_counter() - t0
    print(f"  DenseConcatBaseline.build (same cache): {dense_s:.1f} s", flush=True)

    systems = {"simtrials": index, "text-only": TextOnly(index), "one-vector": one_vector}
    per_query = {}
    figures = {}
    for name, system in systems.items():
        pq = st.evaluate(system, qrels, mode="rerank", metrics=METRICS, per_query=True)
        per_query[name] = pq
        figures[name] = summary(pq, args.n_boot)
        # the library's own summary, as a cross-check of the bootstrap above
        lib = st.evaluate(system, qrels, mode="rerank", metrics=METRICS, n_boot=args.n_boot)
        assert np.allclose(lib["value"], [figures[name][m]["value"] for m in METRICS])

    sample = trials if args.speed_sample <= 0 else trials.iloc[: args.speed_sample]
    texts = [whole_text(r) for r in sample.to_dict("records")]
    t0 = time.perf_counter()
    st_model = SentenceTransformer(model_path(spec) or spec, device="cpu")
    load_s = time.perf_counter() - t0
    st_model.encode(texts[:2])  # warm-up
    t0 = time.perf_counter()
    st_model.encode(texts, batch_size=32, normalize_embeddings=True)
    encode_s = time.perf_counter() - t0
    print(
        f"  vanilla encode: {encode_s:.1f} s for {len(texts)} whole texts "
        f"({encode_s / len(texts):.3f} s/trial; load {load_s:.1f} s)",
        flush=True,
    )

    result = {
        "model": spec,
        "path": model_path(spec),
        "embedder_name": index.embedder.name,
        "dimension": index.embedder.dimension,
        "max_seq_length": index.embedder.max_tokens,
        "fingerprint": index.embedder.fingerprint,
        "sha256": weights_sha256(spec),
        "figures": figures,
        "speed": {
            "build_s": round(build_s, 2),
            "build_s_per_trial": round(build_s / n, 4),
            "build_trials": n,
            "build_note": "cold embedding cache, model load included",
            "vanilla_load_s": round(load_s, 2),
            "vanilla_encode_s": round(encode_s, 2),
            "vanilla_encode_s_per_trial": round(encode_s / len(texts), 4),
            "vanilla_trials": len(texts),
            "vanilla_note": "SentenceTransformer.encode(whole texts, batch_size=32), after warm-up",
        },
    }
    return result, per_query


# ---------------------------------------------------------------------- output


def _fmt(f: dict[str, float]) -> str:
    return f"{f['value']:.3f} [{f['ci_low']:.3f}, {f['ci_high']:.3f}]"


def markdown(results: list[dict[str, Any]]) -> str:
    header = [
        "model",
        "nDCG@5 [95% CI]",
        "nDCG@10",
        "P@1 g2",
        "text-only nDCG@5",
        "one-vector nDCG@5",
        "s/trial build",
        "s/trial vanilla encode",
    ]
    rows = []
    for r in results:
        f, sp = r["figures"], r["speed"]
        rows.append(
            [
                Path(r["model"]).name if r["path"] else r["model"],
                _fmt(f["simtrials"]["ndcg@5"]),
                _fmt(f["simtrials"]["ndcg@10"]),
                _fmt(f["simtrials"]["p@1_g2"]),
                _fmt(f["text-only"]["ndcg@5"]),
                _fmt(f["one-vector"]["ndcg@5"]),
                f"{sp['build_s_per_trial']:.3f}",
                f"{sp['vanilla_encode_s_per_trial']:.3f}",
            ]
        )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    for r in results[1:]:
        for system in SYSTEMS:
            d = r["vs_first"][system]["ndcg@5"]
            lines.append(
                f"\n{r['model']} - {results[0]['model']}, {system}, nDCG@5: {d['diff']:+.3f} "
                f"[{d['diff_low']:+.3f}, {d['diff_high']:+.3f}] "
                f"({d['queries_better']} queries better, {d['queries_worse']} worse)"
            )
    return "\n".join(lines)


def write(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--models",
        nargs="+",
        default=DEFAULT_MODELS,
        help="'default' (packaged all-MiniLM-L6-v2), local paths or cached names; "
        "the first is the baseline of the paired differences",
    )
    p.add_argument("--out", type=Path, default=RESULTS / "compare_models.json")
    p.add_argument("--cache-dir", type=Path, default=Path("/tmp/simtrials-model-cache"))
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument(
        "--speed-sample",
        type=int,
        default=64,
        help="trials of the subset timed for the vanilla encode (0: all)",
    )
    args = p.parse_args(argv)

    info = machine_info("cpu")
    print(machine_line(info), flush=True)
    qrels = st.datasets.load_relevance(pools="rerank")
    trials = subset_trials(qrels)
    print(
        f"{qrels['query'].nunique()} queries, {len(qrels)} judged pairs, "
        f"{len(trials)} trials in the subset index",
        flush=True,
    )
    payload: dict[str, Any] = {
        "benchmark": "compare_models",
        "machine": info,
        "protocol": {
            "mode": "rerank",
            "qrels": "load_relevance(pools='rerank')",
            "queries": int(qrels["query"].nunique()),
            "pairs": len(qrels),
            "index_trials": len(trials),
            "index_note": "subset index of the judged trials: the TF-IDF idf differs from a "
            "full index's, so compare models with each other here, not with eval_default.json",
            "metrics": METRICS,
            "n_boot": args.n_boot,
            "seed": SEED,
            "level": 0.95,
            "systems": {
                "simtrials": "TrialIndex.similar(q, candidates=pool), default scoring",
                "text-only": "TrialIndex.similar(q, candidates=pool, weights={'text': 1})",
                "one-vector": "DenseConcatBaseline (one vector of the whole text per trial)",
            },
        },
        "models": [],
        "skipped": {},
    }
    results: list[dict[str, Any]] = []
    first_pq: dict[str, pd.DataFrame] | None = None
    for spec in args.models:
        why = available(spec)
        if why is not None:
            print(f"skipping {spec}: {why}", flush=True)
            payload["skipped"][spec] = why
            continue
        print(f"model {spec}", flush=True)
        result, pq = measure(spec, trials, qrels, args.cache_dir, args)
        if first_pq is None:
            first_pq = pq
            result["vs_first"] = None
        else:
            result["vs_first"] = {s: paired(pq[s], first_pq[s], args.n_boot) for s in SYSTEMS}
            result["vs_first_baseline"] = results[0]["model"]
        results.append(result)
        payload["models"] = results
        write(args.out, payload)
    if not results:
        print("no model available")
        return 1
    print()
    print(markdown(results))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
