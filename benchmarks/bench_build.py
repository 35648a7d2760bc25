"""Build throughput: ``TrialIndex.build`` against plain ``SentenceTransformer.encode``.

Both encode with the same model (the packaged all-MiniLM-L6-v2), on the same device, with the
same batch size, in the same process:

- **vanilla**: what a user would encode without simtrials: for each default field, one text per
  trial (no dedupe): the ``all`` and ``interventions`` texts of
  :func:`simtrials.represent.field_texts` (exactly the texts the index encodes) and, for
  ``conditions``, the trial's condition items (:func:`simtrials.represent.condition_set`)
  joined by ``"; "``. Empty texts are left out. One ``encode`` call per field; only the
  encode calls are timed (texts are prepared beforehand).
- **simtrials**: ``TrialIndex.build`` end to end (texts, encode, FAISS, TF-IDF), with a fresh
  :class:`~simtrials.Embedder` (empty cache, no disk cache), model loaded and warmed up first.
- **simtrials, warm cache**: the same build again with the now-filled Embedder: the build's
  cost beyond encoding.

- **backends** (``--backends torch,onnx,onnx-int8``): for each Embedder backend, the same
  vanilla texts encoded by it (no dedupe, no cache: the model alone), their cosine with the
  vanilla float32 vectors, and a cold build with it (the exported ONNX model is cached under
  ``$SIMTRIALS_CACHE``, exported once, outside the timing).

The ratio is vanilla seconds / simtrials seconds (> 1: simtrials is faster). Target: >= 3x
on CPU. Up to 8,769 trials are a seeded sample of the real corpus; more are the real corpus
plus clones (see ``common.py``), whose texts are all new except recurring condition items.

    python benchmarks/bench_build.py --quick                     # 1,000 real trials, CPU
    python benchmarks/bench_build.py                             # all 8,769 real trials
    python benchmarks/bench_build.py --n 500 --backends torch,onnx,onnx-int8
    python benchmarks/bench_build.py --device cuda --fp16 --batch-size 512 --n 560000
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from typing import Any

import common
import numpy as np
import pandas as pd

import simtrials as st
from simtrials.embed import default_model_path
from simtrials.represent import condition_set, field_texts

NAME = "bench_build"
TARGET_CPU = 3.0  # simtrials >= 3x the vanilla encode
TARGET_GPU_SECONDS = 120.0  # 560k trials, all fields, one H100
TEXT_FIELDS = ("all", "interventions")


def build_table(n: int, seed: int = common.SEED) -> pd.DataFrame:
    real = common.real_trials()
    if n <= len(real):
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(len(real), size=n, replace=False))
        return real.iloc[rows].reset_index(drop=True)
    return common.clone_trials(real, n, seed=seed)


def _texts_chunk(chunk: pd.DataFrame) -> dict[str, list[str]]:
    out = field_texts(chunk, TEXT_FIELDS)
    out["conditions"] = ["; ".join(condition_set(r)) for r in chunk.to_dict("records")]
    return out


def vanilla_texts(table: pd.DataFrame, processes: int = 1) -> dict[str, list[str]]:
    """Field -> the non-empty texts a user would encode (one per trial and field)."""
    if processes > 1 and len(table) > 20_000:
        from concurrent.futures import ProcessPoolExecutor

        step = -(-len(table) // (processes * 4))
        chunks = [table.iloc[i : i + step] for i in range(0, len(table), step)]
        with ProcessPoolExecutor(processes) as pool:
            parts = list(pool.map(_texts_chunk, chunks))
        texts = {f: [t for p in parts for t in p[f]] for f in parts[0]}
    else:
        texts = _texts_chunk(table)
    return {f: [t for t in ts if t] for f, ts in texts.items()}


WARMUP = [" ".join(["warm-up"] * n) for n in (4, 16, 64, 128, 256, 400)] * 22


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def run_vanilla(
    model: Any, texts: dict[str, list[str]], batch_size: int, device: str
) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of encoding every field's texts."""
    _sync(device)
    t, c = time.perf_counter(), time.process_time()
    for f in ("all", "conditions", "interventions"):
        model.encode(
            texts[f],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    _sync(device)
    return time.perf_counter() - t, time.process_time() - c


def fresh_embedder(device: str, batch_size: int, fp16: bool, backend: str = "torch") -> st.Embedder:
    emb = st.Embedder(
        device=None if backend != "torch" else device,
        batch_size=batch_size,
        precision="float16" if fp16 else "float32",
        backend=backend,
    )
    emb.dimension  # noqa: B018 - loads the model outside the timing
    emb.encode(WARMUP)
    return emb


def run_simtrials(
    table: pd.DataFrame, emb: st.Embedder, device: str, progress: bool = False
) -> tuple[float, float, st.TrialIndex]:
    """(wall seconds, CPU seconds of this process, the index) of one build."""
    _sync(device)
    t, c = time.perf_counter(), time.process_time()
    idx = st.TrialIndex.build(table, embedder=emb, show_progress=progress)
    _sync(device)
    return time.perf_counter() - t, time.process_time() - c, idx


def run_backends(
    backends: list[str],
    table: pd.DataFrame,
    texts: dict[str, list[str]],
    vanilla_s: float,
    args: argparse.Namespace,
) -> tuple[list[list[str]], dict[str, Any]]:
    """Per backend: the vanilla texts through the model alone, cosine with float32, a cold build."""
    flat = [t for f in ("all", "conditions", "interventions") for t in texts[f]]
    ref = fresh_embedder("cpu", args.batch_size, False)._encode_windows(flat, show_progress=False)
    rows, out = [], {}
    for b in backends:
        emb = fresh_embedder("cpu", args.batch_size, False, backend=b)
        t, c = time.perf_counter(), time.process_time()
        vecs = emb._encode_windows(flat, show_progress=False)
        enc_s, enc_cpu = time.perf_counter() - t, time.process_time() - c
        cos = (vecs * ref).sum(axis=1)
        gc.collect()
        build_s, build_cpu, _ = run_simtrials(table, emb, "cpu")
        out[b] = {
            "fingerprint": emb.fingerprint,
            "encode_vanilla_texts_wall_cpu": [enc_s, enc_cpu],
            "encode_vs_vanilla": common.ratio(vanilla_s, enc_s),
            "build_wall_cpu": [build_s, build_cpu],
            "build_vs_vanilla": common.ratio(vanilla_s, build_s),
            "cosine_vs_float32": {"min": float(cos.min()), "mean": float(cos.mean())},
        }
        rows.append(
            [
                b,
                f"{enc_s:.1f}",
                f"{out[b]['encode_vs_vanilla']:.2f}x",
                f"{build_s:.1f}",
                f"{out[b]['build_vs_vanilla']:.2f}x",
                f"{cos.min():.4f} / {cos.mean():.5f}",
            ]
        )
        print(f"  backend {b}: {rows[-1][1:]}", flush=True)
    return rows, out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 real trials")
    parser.add_argument("--n", type=int, help="trials (default 1,000 quick, 8,769 full)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--fp16", action="store_true", help="half-precision model (CUDA only)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each (best kept)")
    parser.add_argument("--no-vanilla", action="store_true", help="skip the vanilla encode")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile a warm-cache build (beyond encode)"
    )
    parser.add_argument("--no-warm", action="store_true", help="skip the warm-cache rebuild")
    parser.add_argument("--progress", action="store_true", help="progress bars of the build")
    parser.add_argument(
        "--backends",
        default="",
        help="comma-separated Embedder backends to compare on the CPU (torch,onnx,onnx-int8)",
    )
    parser.add_argument("--name", default=NAME, help="results file name (without .json)")
    args = parser.parse_args(argv)
    device = args.device
    fp16 = bool(args.fp16 and device.startswith("cuda"))
    n = args.n or (1_000 if args.quick else len(common.real_trials()))

    t = time.perf_counter()
    table = build_table(n)
    kind = "real" if n <= len(common.real_trials()) else "real + clones"
    texts: dict[str, list[str]] = {}
    if not args.no_vanilla:  # before CUDA starts: the text workers are forked
        texts = vanilla_texts(table, processes=min(16, os.cpu_count() or 1))
    n_texts = {f: len(v) for f, v in texts.items()}
    info = common.machine_info(device)
    print(common.machine_line(info), flush=True)
    print(
        f"{n:,} trials ({kind}); vanilla texts {n_texts}; prepared in "
        f"{time.perf_counter() - t:.0f} s; batch {args.batch_size}, "
        f"{'fp16' if fp16 else 'fp32'}",
        flush=True,
    )

    from sentence_transformers import SentenceTransformer

    vanilla = None
    if not args.no_vanilla:
        vanilla = SentenceTransformer(default_model_path(), device=device)
        if fp16:
            vanilla = vanilla.half()
        vanilla.encode(WARMUP, batch_size=args.batch_size, show_progress_bar=False)

    v_times: list[tuple[float, float]] = []
    s_times: list[tuple[float, float]] = []
    encoded = 0
    idx = emb = None
    for rep in range(args.repeat):  # alternating, so that a change of load hits both
        if vanilla is not None:
            v_times.append(run_vanilla(vanilla, texts, args.batch_size, device))
            print(
                f"  vanilla encode   run {rep + 1}: {v_times[-1][0]:8.1f} s "
                f"(CPU {v_times[-1][1]:.1f} s)",
                flush=True,
            )
        idx = emb = None
        gc.collect()
        emb = fresh_embedder(device, args.batch_size, fp16)
        before = emb.cache_size()
        wall, cpu, idx = run_simtrials(table, emb, device, args.progress)
        s_times.append((wall, cpu))
        encoded = emb.cache_size() - before
        print(
            f"  simtrials build  run {rep + 1}: {wall:8.1f} s (CPU {cpu:.1f} s, {idx.index_type})",
            flush=True,
        )
    warm = warm_cpu = float("nan")
    if not args.no_warm:
        idx = None
        gc.collect()
        warm, warm_cpu, _ = run_simtrials(table, emb, device)
        print(f"  simtrials build, warm cache: {warm:.1f} s (CPU {warm_cpu:.1f} s)", flush=True)

    best_s = min(s_times)
    best_v = min(v_times) if v_times else (float("nan"), float("nan"))
    speedup = common.ratio(best_v[0], best_s[0])
    speedup_cpu = common.ratio(best_v[1], best_s[1])
    header = [
        "system",
        "texts encoded",
        "wall s",
        "CPU s",
        "trials/s",
        "vs vanilla (wall)",
        "vs vanilla (CPU)",
    ]
    rows = []
    if v_times:
        rows.append(
            [
                "vanilla SentenceTransformer.encode",
                f"{sum(n_texts.values()):,}",
                f"{best_v[0]:.1f}",
                f"{best_v[1]:.1f}",
                f"{n / best_v[0]:,.0f}",
                "1.00x",
                "1.00x",
            ]
        )
    rows.append(
        [
            "simtrials TrialIndex.build",
            f"{encoded:,}",
            f"{best_s[0]:.1f}",
            f"{best_s[1]:.1f}",
            f"{n / best_s[0]:,.0f}",
            f"{speedup:.2f}x",
            f"{speedup_cpu:.2f}x",
        ]
    )
    if not args.no_warm:
        rows.append(
            [
                "simtrials build again, warm cache",
                "0",
                f"{warm:.1f}",
                f"{warm_cpu:.1f}",
                f"{n / warm:,.0f}",
                "(no encode)",
                "(no encode)",
            ]
        )
    title = (
        f"Build throughput, {n:,} {kind} trials, {device}{' fp16' if fp16 else ''}, "
        f"batch {args.batch_size} (best of {args.repeat}; x > 1: simtrials faster)"
    )
    text = title + "\n" + common.table(rows, header)
    if device.startswith("cuda"):
        est = best_s[0] * 560_000 / n
        versus = f"{speedup:.2f}x vanilla encode" if v_times else "vanilla not run"
        summary = (
            f"build {versus} on {info.get('gpu', device)} "
            f"({'fp16' if fp16 else 'fp32'}, batch {args.batch_size}): {n:,} trials in "
            f"{best_s[0]:.1f} s, {est:.0f} s per 560k trials = "
            f"{common.ratio(est, TARGET_GPU_SECONDS):.2f}x the target "
            f"({TARGET_GPU_SECONDS:.0f} s on one H100)"
        )
    else:
        summary = (
            f"build {speedup:.2f}x vanilla encode wall ({speedup_cpu:.2f}x CPU time), "
            f"{n:,} trials on CPU (target >= {TARGET_CPU:.0f}x: "
            f"{common.ratio(speedup, TARGET_CPU):.2f} of it); the build without encode is "
            f"{common.ratio(warm, best_s[0]):.3f} of the build"
        )
    backend_results: dict[str, Any] = {}
    backends = [b for b in args.backends.split(",") if b]
    if backends and v_times and not device.startswith("cuda"):
        brows, backend_results = run_backends(backends, table, texts, best_v[0], args)
        text += (
            "\n\nBackends: the vanilla texts through each Embedder backend (the model alone), "
            "and a cold build with it (x > 1: faster than vanilla torch encode)\n"
            + common.table(
                brows,
                ["backend", "encode s", "vs vanilla", "build s", "vs vanilla", "cos min / mean"],
            )
        )
        summary += "; " + ", ".join(
            f"{b}: encode {r['encode_vs_vanilla']:.2f}x, build {r['build_vs_vanilla']:.2f}x, "
            f"cos min {r['cosine_vs_float32']['min']:.4f}"
            for b, r in backend_results.items()
        )
    print("\n" + text, flush=True)

    profile = None
    if args.profile:  # the build beyond encoding: single-threaded Python, readable in cProfile
        idx = None
        gc.collect()
        _, profile = common.profile_top(
            lambda: st.TrialIndex.build(table, embedder=emb, show_progress=False)
        )
        print(
            "\ncProfile of a warm-cache TrialIndex.build (the cost beyond encoding), top by "
            "cumulative time:\n" + profile
        )

    common.write_results(
        args.name,
        {
            "machine": info,
            "params": {
                "n": n,
                "kind": kind,
                "device": device,
                "fp16": fp16,
                "batch_size": args.batch_size,
                "repeat": args.repeat,
                "quick": args.quick,
            },
            "vanilla_texts": n_texts,
            "simtrials_texts_encoded": encoded,
            "seconds_wall_cpu": {
                "vanilla": v_times,
                "simtrials": s_times,
                "simtrials_warm_cache": [warm, warm_cpu],
            },
            "trials_per_s": {
                "vanilla": n / best_v[0] if v_times else None,
                "simtrials": n / best_s[0],
            },
            "speedup_vs_vanilla": speedup,
            "backends": backend_results,
            "speedup_vs_vanilla_cpu_time": speedup_cpu,
            "table": text,
            "summary": summary,
            "profile": profile,
        },
    )
    print(f"SUMMARY {summary}", flush=True)
    return {"name": NAME, "table": text, "summary": summary, "speedup": speedup}


if __name__ == "__main__":
    main(sys.argv[1:])
