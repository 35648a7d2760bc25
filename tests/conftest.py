"""Shared fixtures: the real bundled corpus, one model per session, small real subsets.

Everything here is built from real ClinicalTrials.gov records in ``data/``. The model is
loaded once per test session and the embedding cache is shared, so later indexes over the
same trials do not re-encode anything.
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import simtrials as st  # noqa: E402

CELL_THERAPY = re.compile(
    r"stem cell|mesenchymal|\bMSCs?\b|cord blood|umbilical cord|bone marrow[- ]derived|BMSC|"
    r"mononuclear cell|cell therapy|progenitor|HPC",
    re.I,
)
STROKE = re.compile(r"\bstroke", re.I)


def _text(row: pd.Series, cols: list[str]) -> str:
    parts = []
    for c in cols:
        v = row[c]
        if isinstance(v, list):
            parts.extend(v)
        elif not pd.isna(v):
            parts.append(str(v))
    return " ".join(parts)


def is_cell_therapy(row: pd.Series) -> bool:
    """A trial whose intervention (or title) is a cell therapy: stem cells, MSCs, cord blood …"""
    return bool(
        CELL_THERAPY.search(_text(row, ["interventions", "intervention_other_names", "title"]))
    )


def is_stroke(row: pd.Series) -> bool:
    """A stroke trial: its primary (first registered) condition is a stroke."""
    return bool(row["conditions"]) and bool(STROKE.search(row["conditions"][0]))


def mentions_stroke(row: pd.Series) -> bool:
    """A trial with a stroke among its registered conditions (or their MeSH terms)."""
    return bool(STROKE.search(_text(row, ["conditions", "condition_mesh"])))


@pytest.fixture(scope="session")
def corpus() -> pd.DataFrame:
    return st.datasets.load_trials()


@pytest.fixture(scope="session")
def embedder() -> st.Embedder:
    """The packaged default model, loaded once for the whole session."""
    return st.Embedder()


@pytest.fixture(scope="session")
def subset(corpus) -> pd.DataFrame:
    """About 300 real trials: every stroke trial, every cell-therapy trial, and 60 others."""
    cell = corpus.apply(is_cell_therapy, axis=1)
    stroke = corpus.apply(mentions_stroke, axis=1)
    chosen = corpus[cell | stroke]
    others = corpus[~(cell | stroke)].sample(60, random_state=7)
    return pd.concat([chosen, others]).sort_values("nct_id").reset_index(drop=True)


@pytest.fixture(scope="session")
def index(subset, embedder) -> st.TrialIndex:
    """A TrialIndex over the subset with the default settings (built once; tests must not change it)."""
    return st.TrialIndex.build(subset, embedder=embedder, show_progress=False)
