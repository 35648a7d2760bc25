"""The bundled real data: ClinicalTrials.gov trials and judged relevance pairs.

Like scikit-learn's ``load_*`` functions, these return ready-to-use pandas objects. The data
are real records built from ``../shared/data`` by ``scripts/build_data.py``; ``data/SOURCES.md``
gives the provenance of every file.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

__all__ = ["load_trials", "load_relevance", "data_dir", "sample_path", "list_samples"]

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


def load_trials() -> pd.DataFrame:
    """The bundled corpus of real ClinicalTrials.gov trials as a normalized DataFrame.

    About 8,800 distinct trials (stroke, urology, oncology, hypertension, Alzheimer's …) from
    28 public files; one row per trial in the schema of :mod:`simtrials.schema`.

    Returns
    -------
    pandas.DataFrame
        A fresh copy each call (changing it does not change later calls).
    """
    return _trials().copy()


def load_relevance(split: str = "dev") -> pd.DataFrame:
    """Graded relevance judgements of real trial pairs.

    Parameters
    ----------
    split
        Only ``"dev"`` is bundled (the held-out split is kept aside on purpose).

    Returns
    -------
    pandas.DataFrame
        Columns ``query, candidate, grade, reason``: ``grade`` 2 = highly related (same or close
        condition AND same kind of intervention), 1 = partially related, 0 = not related.
    """
    if split != "dev":
        raise ValueError(f"unknown split {split!r}; only 'dev' is bundled")
    path = data_dir() / "eval" / "relevance-dev.tsv"
    df = pd.read_csv(
        path, sep="\t", dtype={"query": "string", "candidate": "string", "reason": "string"}
    )
    df["grade"] = df["grade"].astype("int64")
    return df


def sample_path(name: str) -> Path:
    """Path of one small real sample file in ``data/samples`` (see :func:`list_samples`)."""
    path = data_dir() / "samples" / name
    if not path.is_file():
        raise FileNotFoundError(f"no sample named {name!r}; available: {', '.join(list_samples())}")
    return path


def list_samples() -> list[str]:
    """Names of the bundled sample files, one per input format."""
    return sorted(p.name for p in (data_dir() / "samples").iterdir() if p.is_file())
