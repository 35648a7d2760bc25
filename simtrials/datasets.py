"""The bundled real data: ClinicalTrials.gov trials and judged relevance pairs.

Like scikit-learn's ``load_*`` functions, these return ready-to-use pandas objects. The data
are real records built from ``../shared/data`` by ``scripts/build_data.py``; ``data/SOURCES.md``
gives the provenance of every file.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .embed import Embedder

__all__ = [
    "load_trials",
    "load_relevance",
    "seed_embedder",
    "data_dir",
    "sample_path",
    "list_samples",
]

_PACKAGED = Path(__file__).resolve().parent / "_data"  # wheel / non-editable install
_REPO = Path(__file__).resolve().parents[1] / "data"  # source checkout / editable install


def data_dir() -> Path:
    """The folder holding the bundled data (``trials.parquet``, ``eval/``, ``samples/``)."""
    for d in (_PACKAGED, _REPO):
        if (d / "trials.parquet").is_file():
            return d
    raise FileNotFoundError(
        "the bundled data is missing: expected trials.parquet in "
        f"{_PACKAGED} or {_REPO}; run `python scripts/build_data.py` in a source checkout"
    )


@functools.lru_cache(maxsize=1)
def _trials() -> pd.DataFrame:
    from .io import read_ctgov

    return read_ctgov(data_dir() / "trials.parquet")


def load_trials(corpus: str = "small") -> pd.DataFrame:
    """A bundled corpus of real ClinicalTrials.gov trials as a normalized DataFrame.

    Parameters
    ----------
    corpus
        ``"small"`` (default): 8,769 distinct trials (stroke, urology, oncology,
        hypertension, Alzheimer's …) from 28 public files, exactly the trials the bundled
        relevance judgements were made over (``data/trials.parquet``). ``"full"``: about
        26,000 distinct trials from every public file in ``../shared/data/raw``, the classic
        XML bulk download and legacy website exports included (``data/trials-full.parquet``;
        read from disk at each call, about 2 s).

    Returns
    -------
    pandas.DataFrame
        One row per trial in the schema of :mod:`simtrials.schema`, sorted by NCT ID; a fresh
        copy each call (changing it does not change later calls).

    Raises
    ------
    ValueError
        For another ``corpus``.
    FileNotFoundError
        When the full corpus is not bundled (run ``make data`` in a source checkout).
    """
    if corpus == "small":
        return _trials().copy()
    if corpus != "full":
        raise ValueError(f"corpus must be 'small' or 'full', got {corpus!r}")
    path = data_dir() / "trials-full.parquet"
    if not path.is_file():
        raise FileNotFoundError(
            f"the full corpus is not bundled: expected {path}; run `make data` "
            "(scripts/build_data.py) in a source checkout"
        )
    from .io import read_ctgov

    return read_ctgov(path)


def seed_embedder(embedder: Embedder) -> int:
    """Put the shipped vectors of the bundled trials' texts into ``embedder``'s cache.

    The bundled corpus's vectors (its whole texts, conditions and interventions) ship in
    ``data/vectors/``, written by the default model (int8 with a scale per vector, cosine
    >= 0.9999 with the model's own). Seeded, ``TrialIndex.build(load_trials(), embedder=...)``
    encodes nothing it covers: seconds instead of minutes on a CPU, as ``make demo`` runs it.
    Nothing is added for an embedder whose model, backend or pooling gives other vectors (its
    fingerprint differs), nor over a vector it already has. Loads the model (to check it).

    Returns
    -------
    int
        How many vectors were added (0 when none fit this embedder).

    >>> embedder = st.Embedder()
    >>> st.datasets.seed_embedder(embedder)  # doctest: +SKIP
    24494
    >>> index = st.TrialIndex.build(st.datasets.load_trials(), embedder=embedder)  # doctest: +SKIP
    """
    from .embed_vectors import seed_cache, vectors_path

    added, _what = seed_cache(embedder, vectors_path(data_dir() / "vectors", embedder.fingerprint))
    return added


def load_relevance(split: str = "dev", pools: str = "all") -> pd.DataFrame:
    """Graded relevance judgements of real trial pairs.

    Parameters
    ----------
    split
        Only ``"dev"`` is bundled (the held-out split is kept aside on purpose).
    pools
        Which judged pairs: ``"rerank"``, the pooled top hits of several methods over the
        source files (the re-rank protocol's pools, ``relevance-dev.tsv``); ``"retrieval"``,
        the pairs added by grading every system's top 10 over the whole bundled corpus
        (``relevance-dev-retrieval.tsv``, and ``relevance-dev-added.tsv``: the top 10s of
        later versions of the engine, graded the same way, see ``scripts/grading/``);
        ``"all"`` (default), both: the judgements the retrieval protocol reads.

    Returns
    -------
    pandas.DataFrame
        Columns ``query, candidate, grade, reason, pool``: ``grade`` 2 = highly related (same
        or close condition AND same kind of intervention), 1 = partially related, 0 = not
        related; ``pool`` names the pooling round a pair came from (``"rerank"`` for the
        first one).
    """
    if split != "dev":
        raise ValueError(f"unknown split {split!r}; only 'dev' is bundled")
    if pools not in ("all", "rerank", "retrieval"):
        raise ValueError(f"pools must be 'all', 'rerank' or 'retrieval', got {pools!r}")
    files = {
        "rerank": ["relevance-dev.tsv"],
        "retrieval": ["relevance-dev-retrieval.tsv", "relevance-dev-added.tsv"],
    }
    wanted = ["rerank", "retrieval"] if pools == "all" else [pools]
    frames = [
        _read_pairs(data_dir() / "eval" / name, pool)
        for pool in wanted
        for name in files[pool]
        if (data_dir() / "eval" / name).is_file() or pool == "rerank"
    ]
    df = pd.concat(frames, ignore_index=True)
    dup = df.duplicated(["query", "candidate"], keep=False)
    if dup.any():
        pair = df.loc[dup, ["query", "candidate"]].iloc[0].tolist()
        raise ValueError(
            f"the pair {pair[0]} -> {pair[1]} is judged twice in {data_dir() / 'eval'}"
        )
    return df


def _read_pairs(path: Path, default_pool: str) -> pd.DataFrame:
    text = {"query": "string", "candidate": "string", "reason": "string", "pool": "string"}
    df = pd.read_csv(path, sep="\t", dtype=text)
    df["grade"] = df["grade"].astype("int64")
    if "pool" not in df.columns:
        df["pool"] = pd.array([default_pool] * len(df), dtype="string")
    return df[["query", "candidate", "grade", "reason", "pool"]]


def sample_path(name: str) -> Path:
    """Path of one small real sample file in ``data/samples`` (see :func:`list_samples`)."""
    path = data_dir() / "samples" / name
    if not path.is_file():
        raise FileNotFoundError(f"no sample named {name!r}; available: {', '.join(list_samples())}")
    return path


def list_samples() -> list[str]:
    """Names of the bundled sample files, one per input format."""
    return sorted(p.name for p in (data_dir() / "samples").iterdir() if p.is_file())
