"""Shared helpers of the speed and memory benchmarks.

- The machine (CPU model, cores, memory, library versions, device), printed and saved with
  every result.
- Real corpora: the bundled trials, a seeded hold-out (trials kept out of the indexes so that
  they can be added or used as fresh queries).
- Derived corpora larger than the real one: every real trial plus clones of it. Clone ``c`` of
  real trial ``i`` gets the NCT ID ``NCT9`` + ``c`` (3 digits) + ``i`` (4 digits), ``" [cp c]"``
  after its title and after each intervention name (a tag too short to change how
  :func:`simtrials.vocab.expand_common` reads a name), and the same after each of its condition
  items with a probability chosen so that the clones keep the real corpus's number of distinct
  condition items per trial (conditions recur across trials; a clone must neither invent a
  new condition per item nor share all of them). Every clone thus has its own whole text and
  intervention names.
- Derived vectors: a clone's vector for a text is its source's real vector plus Gaussian noise
  (``NOISE`` per dimension: cosine about 0.90 to the source, between the real corpus's median
  nearest-neighbour cosine, 0.73, and its 95th percentile, 0.95), renormalized. They are put
  in the :class:`~simtrials.Embedder`'s in-memory cache under the exact texts the index will
  ask for, so an index of 500,000 trials builds through the public ``TrialIndex.build`` with no
  model forward pass. The real vectors come from the project's local embedding cache
  (``.cache/simtrials``, which ``make eval`` also fills); a cold cache is filled once by
  encoding the corpus (about 10 minutes on 2 CPU cores).
- Timing, tables, results files (``benchmarks/results/<name>.json``, written atomically).

Private engine state is touched here only, so that a change of the engine's internals breaks
one file, not every benchmark: the Embedder's in-memory cache and key function
(``Embedder._cache``, ``embed._text_key``: :meth:`DerivedCorpus.prime`). The index's stores
are read through the public, read-only ``TrialIndex.store`` (:func:`field_memory`,
:func:`ann_search`).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without `pip install -e .` (the GPU machine)
    sys.path.insert(0, str(REPO))

import simtrials as st  # noqa: E402
from simtrials import embed as embed_mod  # noqa: E402
from simtrials.represent import SET_FIELDS, condition_set, field_texts  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
CACHE_DIR = REPO / ".cache" / "simtrials"
SEED = 20240607
NOISE = 0.025
HOLDOUT = 60  # real trials kept out of the derived indexes: fresh adds and fresh query texts
_COPY = re.compile(r"^(.*) \[cp \d+\]$", re.S)


# ---------------------------------------------------------------------- machine


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """The machine and library versions, for the results files and the printed header."""
    import faiss
    import sentence_transformers
    import torch

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    try:
        import psutil

        ram = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover
        ram = None
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "torch_threads": torch.get_num_threads(),
        "ram_gib": ram,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "faiss": faiss.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "numpy": np.__version__,
        "simtrials": st.__version__,
        "device": device,
        "git": git_info(),
    }
    if str(device).startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return info


def machine_line(info: dict[str, Any]) -> str:
    gpu = f", GPU {info['gpu']}" if "gpu" in info else ""
    return (
        f"machine: {info['cpu']}, {info['cores_usable']} usable cores of {info['cores']}, "
        f"{info['ram_gib']} GiB RAM, load {info['load_avg_1m']}{gpu}; device {info['device']}; "
        f"torch {info['torch']} ({info['torch_threads']} threads), faiss {info['faiss']}, "
        f"sentence-transformers {info['sentence_transformers']}, Python {info['python']}"
    )


def git_info() -> dict[str, Any]:
    """The commit measured, and whether the library code had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--", "simtrials"],
                cwd=REPO,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        return {"commit": head, "engine_dirty": dirty}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "engine_dirty": None}


# ---------------------------------------------------------------------- results and tables


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` atomically and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    payload = {"benchmark": name, "created": _now(), **payload}
    tmp.write_text(json.dumps(payload, indent=1, default=_json_default) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot write {type(o).__name__} to JSON")


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A Markdown table (also readable as plain text)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}" if seconds < 0.1 else f"{seconds * 1e3:.0f}"


def ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def pct(times: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(times, dtype=np.float64), q))


_LIMITS: Any = None


def set_threads(n: int) -> str:
    """Use ``n`` threads in BLAS, OpenMP (FAISS) and torch, for the engine and baselines alike.

    ``0`` leaves the libraries' defaults. One thread is how a server answers single queries
    (concurrent queries on their own threads), and on a loaded machine it avoids the waits of
    threads contending for cores.
    """
    global _LIMITS
    if n <= 0:
        return "library defaults"
    import faiss
    import torch
    from threadpoolctl import threadpool_limits

    _LIMITS = threadpool_limits(n)  # kept alive: the limit holds for the process
    faiss.omp_set_num_threads(n)
    torch.set_num_threads(n)
    return f"{n} thread{'s' if n > 1 else ''}"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def profile_top(fn: Callable[[], Any], n: int = 25) -> tuple[Any, str]:
    """Run ``fn`` under cProfile; return its result and the top ``n`` functions by cumulative time."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    out = prof.runcall(fn)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("cumulative").print_stats(n)
    text = buf.getvalue()
    start = text.find("   ncalls")
    return out, text[start:] if start >= 0 else text


def rss_gib() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**30
    except ImportError:  # pragma: no cover
        return float("nan")


# ---------------------------------------------------------------------- real and cloned trials


def real_trials() -> pd.DataFrame:
    return st.datasets.load_trials()


def split_holdout(
    trials: pd.DataFrame, n_holdout: int = HOLDOUT, seed: int = SEED
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(base, held out): ``n_holdout`` trials drawn at random, the rest in corpus order."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(trials), dtype=bool)
    out[rng.choice(len(trials), size=n_holdout, replace=False)] = True
    return trials[~out].reset_index(drop=True), trials[out].reset_index(drop=True)


def item_tag_probability(base: pd.DataFrame) -> float:
    """P(a clone's condition item is new) that keeps the real distinct-items-per-trial rate."""
    lists = [condition_set(r) for r in base.to_dict("records")]
    total = sum(len(x) for x in lists)
    distinct = len({" ".join(it.lower().split()) for x in lists for it in x})
    return min(1.0, distinct / total) if total else 0.0


def clone_trials(base: pd.DataFrame, n: int, *, seed: int = SEED) -> pd.DataFrame:
    """``n`` trials: ``base`` (real, as is) first, then clones of it (see the module docstring)."""
    if n <= len(base):
        return base.iloc[:n].reset_index(drop=True)
    if len(base) > 10_000:
        raise ValueError(
            "clone_trials numbers clones NCT9<copy:3><trial:4>: base must be <= 10,000"
        )
    p = item_tag_probability(base)
    parts = [base]
    need = n - len(base)
    copy = 0
    while need > 0:
        copy += 1
        m = min(need, len(base))
        parts.append(_clone_copy(base.iloc[:m], copy, p, seed))
        need -= m
    return pd.concat(parts, ignore_index=True)


def fresh_copies(trials: pd.DataFrame, copy: int = 999, *, seed: int = SEED) -> pd.DataFrame:
    """Real trials made new: NCT9<copy><row>, the copy tag on the title and every item."""
    return _clone_copy(trials.reset_index(drop=True), copy, 1.0, seed)


def _clone_copy(src: pd.DataFrame, copy: int, p: float, seed: int) -> pd.DataFrame:
    if copy > 999:
        raise ValueError("at most 999 copies of the base corpus")
    tag = f" [cp {copy}]"
    out = src.copy()
    out["nct_id"] = pd.array(
        [f"NCT9{copy:03d}{i:04d}" for i in range(len(src))], dtype=src["nct_id"].dtype
    )
    title = out["title"].astype("string")
    out["title"] = (title + tag).where(title.notna(), title)
    off = out["official_title"].astype("string")
    out["official_title"] = (off + tag).where(title.isna() & off.notna(), off)

    def tag_items(items: list, flip: np.ndarray) -> list:
        return [f"{x}{tag}" if f else x for x, f in zip(items, flip)]

    for j, col in enumerate(("conditions", "condition_mesh")):
        rng = np.random.default_rng([seed, copy, j])  # one stream per column: prefix-stable
        out[col] = [tag_items(items, rng.random(len(items)) < p) for items in out[col]]
    out["interventions"] = [[f"{x}{tag}" for x in items] for items in out["interventions"]]
    return out


# ---------------------------------------------------------------------- derived corpora


class DerivedCorpus:
    """Real trials plus clones, with real and derived vectors primed in one shared Embedder.

    ``index(n, factory)`` builds (and keeps) a :class:`~simtrials.TrialIndex` of the first ``n``
    trials through the public ``TrialIndex.build``; the build encodes nothing.
    """

    FIELDS = ("all",)  # the text fields of the default index
    SETS = ("conditions", "interventions")  # its set fields: one vector per item

    def __init__(self, *, noise: float = NOISE, seed: int = SEED, verbose: bool = True) -> None:
        self.noise = noise
        self.seed = seed
        self.verbose = verbose
        self.base, self.holdout = split_holdout(real_trials(), HOLDOUT, seed)
        self.embedder = st.Embedder(cache_dir=CACHE_DIR)
        self.dim = self.embedder.dimension  # loads the model and the disk cache
        self._primed_n = 0
        self._indexes: dict[tuple[int, str], st.TrialIndex] = {}
        self.build_seconds: dict[tuple[int, str], float] = {}
        self.unprimed: dict[tuple[int, str], int] = {}
        self._real: dict[str, np.ndarray] = {}
        self._item_vec: dict[str, np.ndarray] = {}
        self._load_real()

    def log(self, msg: str) -> None:
        if self.verbose:
            print(f"  [corpus] {msg}", flush=True)

    def _key(self, text: str) -> bytes:
        return embed_mod._text_key(self.embedder.pooling + "\x00" + text)

    def _load_real(self) -> None:
        """Real vectors of every base text (from the disk cache; encoded once if missing)."""
        texts = field_texts(self.base, self.FIELDS)
        records = self.base.to_dict("records")
        flat = sorted({it for f in self.SETS for r in records for it in SET_FIELDS[f](r)})
        wanted = [t for f in self.FIELDS for t in texts[f] if t] + flat
        missing = len({t for t in wanted if self._key(t) not in self.embedder._cache})
        if missing:
            self.log(f"encoding {missing} real texts missing from {CACHE_DIR} (once)")
        t = time.perf_counter()
        for f in self.FIELDS:
            self._real[f] = self.embedder.encode(texts[f], show_progress=missing > 1000)
        vecs = self.embedder.encode(flat)
        self._item_vec = {_norm(it): v for it, v in zip(flat, vecs)}
        self.embedder.cache_dir = None  # derived vectors stay in memory
        if missing:
            self.log(f"encoded in {time.perf_counter() - t:.0f} s")

    def table(self, n: int) -> pd.DataFrame:
        return clone_trials(self.base, n, seed=self.seed)

    def prime(self, table: pd.DataFrame) -> int:
        """Put derived vectors for every text of ``table``'s clones in the Embedder's cache."""
        nb = len(self.base)
        start = max(nb, self._primed_n)
        if len(table) <= start:
            return 0
        part = table.iloc[start:]
        t = time.perf_counter()
        texts = field_texts(part, self.FIELDS)
        ids = part["nct_id"].to_numpy()
        copies = np.array([int(x[4:7]) for x in ids])
        src = np.array([int(x[7:11]) for x in ids])
        cache = self.embedder._cache
        added = 0
        for f in self.FIELDS:
            vecs = np.empty((len(part), self.dim), dtype=np.float32)
            for c in np.unique(copies):
                sel = copies == c
                noise = self._rng(int(c), f).normal(0.0, self.noise, (nb, self.dim))
                vecs[sel] = self._real[f][src[sel]] + noise[src[sel]].astype(np.float32)
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            for text, v in zip(texts[f], vecs):
                if text:
                    cache[self._key(text)] = v
                    added += 1
        records = part.to_dict("records")
        for items, c in ((SET_FIELDS[f](r), c) for f in self.SETS for r, c in zip(records, copies)):
            for it in items:
                k = self._key(it)
                if k in cache:
                    continue
                m = _COPY.match(it)
                origin = self._item_vec[_norm(m.group(1) if m else it)]
                v = origin + self._rng(int(c), it).normal(0.0, self.noise, self.dim)
                cache[k] = (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)
                added += 1
        self._primed_n = len(table)
        self.log(
            f"primed {added:,} derived vectors for {len(part):,} clones "
            f"in {time.perf_counter() - t:.0f} s"
        )
        return added

    def _rng(self, copy: int, salt: str) -> np.random.Generator:
        """Noise generator of one copy number and one field or item: the same in every run."""
        return np.random.default_rng([self.seed, copy, _stable(salt)])

    def index(self, n: int, factory: str = "auto") -> st.TrialIndex:
        """The index of the first ``n`` trials (built once per ``(n, factory)``)."""
        from simtrials.index.vectors import choose_factory

        factory = choose_factory(n, factory)  # "auto" -> what the engine picks at this size
        key = (n, factory)
        if key not in self._indexes:
            table = self.table(n)
            self.prime(table)
            before = self.embedder.cache_size()
            gc.collect()
            self.log(f"building {n:,} trials, index={factory!r} …")
            t = time.perf_counter()
            idx = st.TrialIndex.build(
                table, embedder=self.embedder, index=factory, show_progress=False
            )
            self.build_seconds[key] = time.perf_counter() - t
            self.unprimed[key] = self.embedder.cache_size() - before
            self.log(
                f"built {n:,} trials ({idx.index_type}) in {self.build_seconds[key]:.0f} s, "
                f"{self.unprimed[key]} texts encoded by the model, RSS {rss_gib():.1f} GiB"
            )
            self._indexes[key] = idx
        return self._indexes[key]

    def forget_index(self, n: int, factory: str) -> None:
        """Drop one kept index."""
        from simtrials.index.vectors import choose_factory

        self._indexes.pop((n, choose_factory(n, factory)), None)
        gc.collect()

    def forget(self, n: int | None = None) -> None:
        """Drop the kept indexes (of size ``n``, or all)."""
        for key in [k for k in self._indexes if n is None or k[0] == n]:
            del self._indexes[key]
        gc.collect()


def _norm(item: str) -> str:
    return " ".join(item.lower().split())


def _stable(text: str) -> int:
    import zlib

    return zlib.crc32(text.encode("utf-8"))


_CORPUS: DerivedCorpus | None = None


def corpus() -> DerivedCorpus:
    """The process's derived corpus (shared by the benchmarks when run_all runs them together)."""
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = DerivedCorpus()
    return _CORPUS


# ---------------------------------------------------------------------- engine internals (TrialIndex.store, read only)


def field_memory(index: st.TrialIndex) -> dict[str, dict[str, int]]:
    """Bytes held per field: FAISS (``FieldVectors.memory_bytes``), id arrays, set membership, lexical."""
    return index.store.memory()


def ann_search(index: st.TrialIndex, field: str, queries: np.ndarray, k: int) -> np.ndarray:
    """Top-``k`` row numbers (in ``index.trials`` order) from the field's own FAISS index."""
    return index.store.nearest_rows(field, queries, k)
