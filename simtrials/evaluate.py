"""Evaluate related-trial search against graded relevance judgements (qrels).

A *system* is anything with ``similar(nct_id, k=..., candidates=[...])`` that returns a
DataFrame with the columns ``nct_id`` and ``score``: :class:`~simtrials.TrialIndex` and the
baselines of :mod:`simtrials.baselines` qualify.

The work runs in two separate steps, so that no system can see the labels:

1. :func:`collect_run` asks the system to rank, for each query, either only its judged
   candidates (``mode="rerank"``, the primary protocol of ``data/eval``) or the whole corpus
   (``mode="retrieve"``). It is given the *pool* (query -> candidate NCT IDs, sorted by NCT
   ID), never the grades, and never the order the judgements were written in.
2. :func:`score_run` scores the ranked lists against the grades with ``ranx``:

   ========== ===========================================================================
   metric     meaning (ranx name)
   ========== ===========================================================================
   ndcg@k     nDCG with graded gains 2^grade - 1 (``ndcg_burges@k``)
   p@1_g2     share of queries whose first hit has grade 2 (``precision@1-l2``); a
              query without any grade-2 candidate scores 0, so the ceiling is the share
              of queries that have one
   p@1        share of queries whose first hit has grade >= 1 (``precision@1``)
   p@k        share of the top k with grade >= 1, k > 1 (``precision@k``)
   p@k_g2     share of the top k with grade 2, k > 1 (``precision@k-l2``)
   map        mean average precision, grade >= 1 (``map``)
   mrr        mean reciprocal rank of the first hit of grade >= 1 (``mrr``)
   recall@k   share of the grade >= 1 candidates in the top k (``recall@k``)
   judged@k   retrieve mode only: share of the top k that were judged (any grade); the
              other metrics count an unjudged hit as not relevant
   ========== ===========================================================================

   In retrieve mode ``map`` and ``mrr`` are cut at the largest ``k``.

Means come with bootstrap confidence intervals over queries (the queries are resampled with
replacement, ``n_boot`` times, with a fixed seed); :func:`compare` uses the same resamples
for every system, so the difference of two systems is a paired comparison.

Examples
--------
>>> import simtrials as st
>>> qrels = st.datasets.load_relevance()
>>> index = st.TrialIndex.build(st.datasets.load_trials())
>>> st.evaluate(index, qrels)                       # metric, value, ci_low, ci_high
>>> st.evaluate(index, qrels, per_query=True)       # one row per query
>>> from simtrials.baselines import TfidfBaseline
>>> st.compare({"tfidf": TfidfBaseline.build(index.trials), "simtrials": index}, qrels,
...            reference="simtrials")
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

__all__ = [
    "MODES",
    "POOLS",
    "System",
    "evaluate",
    "compare",
    "collect_run",
    "score_run",
    "judged_pool",
    "check_qrels",
    "metric_names",
    "bootstrap_ci",
]

MODES = ("rerank", "retrieve")
#: The bundled judgements each protocol reads (``datasets.load_relevance(pools=...)``): the
#: re-rank pools other methods chose, or every judged pair for retrieval over the whole corpus.
POOLS = {"rerank": "rerank", "retrieve": "all"}
DEFAULT_K = (1, 3, 5, 10)
QRELS_COLUMNS = ("query", "candidate", "grade")

#: A ranked list per query: query -> {nct_id: score}, best first (dict order is the rank).
Run = dict[str, dict[str, float]]


@runtime_checkable
class System(Protocol):
    """What :func:`evaluate` needs: rank trials by their similarity to a query trial."""

    def similar(
        self, query: Any, k: int | None = ..., *, candidates: Sequence[str] | None = ...
    ) -> pd.DataFrame:
        """The trials most like ``query``, best first: a DataFrame with ``nct_id`` and ``score``."""
        ...


# ---------------------------------------------------------------------- input checks


def check_qrels(qrels: pd.DataFrame | Mapping[str, Mapping[str, int]]) -> pd.DataFrame:
    """Validate relevance judgements and return them as a ``query, candidate, grade`` frame.

    Parameters
    ----------
    qrels
        A DataFrame with the columns ``query``, ``candidate`` and ``grade`` (other columns,
        such as ``reason``, are ignored), as :func:`simtrials.datasets.load_relevance`
        returns; or a mapping ``{query: {candidate: grade}}``.

    Returns
    -------
    pandas.DataFrame
        Columns ``query`` and ``candidate`` (str) and ``grade`` (int64), one row per pair.

    Raises
    ------
    ValueError
        Missing columns, no rows, missing IDs, grades that are not whole numbers >= 0, or a
        pair judged twice with different grades.
    """
    if isinstance(qrels, Mapping):
        rows = []
        for q, cands in qrels.items():
            if not isinstance(cands, Mapping):
                raise ValueError(
                    f"qrels[{q!r}] must map candidate NCT IDs to grades, got {type(cands).__name__}"
                )
            rows.extend((q, c, g) for c, g in cands.items())
        qrels = pd.DataFrame(rows, columns=list(QRELS_COLUMNS))
    if not isinstance(qrels, pd.DataFrame):
        raise ValueError(
            "qrels must be a DataFrame with columns query, candidate, grade "
            f"(as st.datasets.load_relevance() returns), got {type(qrels).__name__}"
        )
    missing = [c for c in QRELS_COLUMNS if c not in qrels.columns]
    if missing:
        raise ValueError(
            f"qrels lacks the column(s) {', '.join(missing)}; expected columns "
            f"{', '.join(QRELS_COLUMNS)}, found {', '.join(map(str, qrels.columns))}"
        )
    if len(qrels) == 0:
        raise ValueError("qrels has no rows: nothing to evaluate")
    out = qrels[list(QRELS_COLUMNS)].copy()
    for col in ("query", "candidate"):
        if out[col].isna().any():
            pos = int(np.flatnonzero(out[col].isna().to_numpy())[0])
            raise ValueError(f"qrels row {pos}: {col} is missing")
        out[col] = out[col].astype(str).str.strip()
    grade = pd.to_numeric(out["grade"], errors="coerce")
    bad = grade.isna() | (grade < 0) | (grade != np.floor(grade))
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"qrels row {pos} ({out['query'].iloc[pos]}, {out['candidate'].iloc[pos]}): grade "
            f"must be a whole number >= 0, got {qrels['grade'].iloc[pos]!r}"
        )
    out["grade"] = grade.astype("int64")
    dup = out.duplicated(["query", "candidate"], keep=False)
    if dup.any():
        clash = out[dup].groupby(["query", "candidate"])["grade"].nunique()
        clash = clash[clash > 1]
        if len(clash):
            q, c = clash.index[0]
            raise ValueError(f"qrels judge the pair ({q}, {c}) twice with different grades")
        out = out.drop_duplicates(["query", "candidate"])
    self_pairs = out["query"] == out["candidate"]
    if self_pairs.any():
        raise ValueError(f"qrels pair a query with itself: {out['query'][self_pairs].iloc[0]}")
    return out.reset_index(drop=True)


def judged_pool(qrels: pd.DataFrame | Mapping[str, Mapping[str, int]]) -> dict[str, list[str]]:
    """Query -> its judged candidates, both sorted by NCT ID; the grades are left out.

    This is all a system is shown in re-rank mode: sorting removes any hint the order of the
    judgements (often sorted by grade) could give.
    """
    q = check_qrels(qrels)
    return {
        query: sorted(group["candidate"].tolist())
        for query, group in sorted(q.groupby("query", sort=True), key=lambda kv: kv[0])
    }


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    return mode


def _check_k(k: int | Iterable[int]) -> tuple[int, ...]:
    ks = list(k) if isinstance(k, Iterable) and not isinstance(k, str) else [k]
    if not ks:
        raise ValueError("k must name at least one cut-off, e.g. k=(1, 3, 5, 10)")
    for v in ks:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"each k must be a whole number >= 1, got {type(v).__name__} {v!r}")
        if v <= 0:
            raise ValueError(f"each k must be >= 1, got {v}")
    return tuple(sorted({int(v) for v in ks}))


def metric_names(mode: str = "rerank", k: int | Iterable[int] = DEFAULT_K) -> list[str]:
    """The metrics :func:`evaluate` reports for a mode and cut-offs, in report order."""
    ks = _check_k(k)
    names = [f"ndcg@{v}" for v in ks] + ["p@1_g2", "p@1", "map", "mrr"]
    names += [f"recall@{v}" for v in ks]
    names += [f"p@{v}" for v in ks if v > 1] + [f"p@{v}_g2" for v in ks if v > 1]
    if _check_mode(mode) == "retrieve":
        names += [f"judged@{v}" for v in ks]
    return names


def _ranx_name(metric: str, depth: int | None) -> str:
    if metric.startswith("ndcg@"):
        return "ndcg_burges@" + metric.split("@")[1]
    if metric.startswith("p@") and metric.endswith("_g2"):
        return f"precision@{metric[2:-3]}-l2"
    if metric.startswith("p@"):
        return "precision@" + metric[2:]
    if metric in ("map", "mrr"):
        return metric if depth is None else f"{metric}@{depth}"
    return metric  # recall@k


# ---------------------------------------------------------------------- step 1: the run


def _system_name(system: Any) -> str:
    return type(system).__name__


def _has(system: Any, nct_id: str) -> bool | None:
    """Whether the system holds ``nct_id`` (``None`` when it cannot tell)."""
    try:
        return nct_id in system
    except TypeError:
        return None


def collect_run(
    system: System,
    pool: Mapping[str, Sequence[str]],
    *,
    mode: str = "rerank",
    depth: int = 10,
    on_missing: str = "error",
) -> Run:
    """Ask a system for its ranking of each query; it sees the pool, never the grades.

    Parameters
    ----------
    system
        Anything with ``similar(nct_id, k=..., candidates=...)`` returning a DataFrame with
        ``nct_id`` and ``score``.
    pool
        Query -> candidate NCT IDs (from :func:`judged_pool`).
    mode
        ``"rerank"``: ``similar(q, k=None, candidates=pool[q])``, the candidates in NCT ID
        order; ``"retrieve"``: ``similar(q, k=depth)`` over the whole corpus.
    depth
        How many hits to ask for in retrieve mode.
    on_missing
        A query (or, in re-rank mode, one of its candidates) the system does not hold:
        ``"error"`` (default) raises a ValueError naming them all; ``"skip"`` leaves those
        queries out with one warning.

    Returns
    -------
    dict
        Query -> ``{nct_id: score}`` in the system's rank order (best first). Ties in score
        are broken by NCT ID, so the ranking never depends on the order of the pool.

    Raises
    ------
    ValueError
        Unknown mode or ``on_missing``; missing trials (with ``on_missing="error"``); a
        system that returns no ``nct_id``/``score`` columns, returns a trial twice, or in
        re-rank mode returns a trial that is not a candidate.
    """
    _check_mode(mode)
    if on_missing not in ("error", "skip"):
        raise ValueError(f"on_missing must be 'error' or 'skip', got {on_missing!r}")
    if not callable(getattr(system, "similar", None)):
        raise ValueError(
            f"{_system_name(system)} has no similar() method; a system needs "
            "similar(nct_id, k=..., candidates=[...]) returning a DataFrame with nct_id and score"
        )
    depth = _check_k(depth)[0]
    missing: dict[str, list[str]] = {}
    for q, cands in pool.items():
        ids = [q] + (list(cands) if mode == "rerank" else [])
        absent = [i for i in ids if _has(system, i) is False]
        if absent:
            missing[q] = absent
    if missing and on_missing == "error":
        detail = "; ".join(f"{q}: {', '.join(a[:3])}" for q, a in list(missing.items())[:5])
        raise ValueError(
            f"{_system_name(system)} lacks trials of {len(missing)} of {len(pool)} queries "
            f"({detail}{' …' if len(missing) > 5 else ''}); index them, or pass "
            "on_missing='skip' to leave those queries out"
        )
    run: Run = {}
    for q, cands in pool.items():
        if q in missing:
            continue
        try:
            if mode == "rerank":
                hits = system.similar(q, k=None, candidates=list(cands))
            else:
                hits = system.similar(q, k=depth)
        except LookupError as exc:  # a system that cannot say what it holds
            if on_missing == "skip":
                missing[q] = [str(exc)]
                continue
            raise ValueError(
                f"{_system_name(system)} cannot rank query {q}: {exc}; pass on_missing='skip' "
                "to leave such queries out"
            ) from exc
        run[q] = _ranked(system, q, hits, cands if mode == "rerank" else None, depth, mode)
    if missing:
        warnings.warn(
            f"{_system_name(system)}: left out {len(missing)} of {len(pool)} queries whose "
            f"trials it does not hold: {', '.join(list(missing)[:10])}",
            stacklevel=2,
        )
    if not run:
        raise ValueError(f"{_system_name(system)} holds none of the {len(pool)} queries")
    return run


def _ranked(
    system: Any, query: str, hits: Any, cands: Sequence[str] | None, depth: int, mode: str
) -> dict[str, float]:
    if not isinstance(hits, pd.DataFrame) or not {"nct_id", "score"} <= set(hits.columns):
        raise ValueError(
            f"{_system_name(system)}.similar({query!r}) must return a DataFrame with columns "
            f"nct_id and score, got {type(hits).__name__}"
        )
    ids = hits["nct_id"].astype(str).to_numpy()
    scores = pd.to_numeric(hits["score"], errors="coerce").to_numpy(dtype=np.float64)
    if len(set(ids)) != len(ids):
        raise ValueError(f"{_system_name(system)}.similar({query!r}) returned a trial twice")
    if np.isnan(scores).any():
        raise ValueError(f"{_system_name(system)}.similar({query!r}) returned a missing score")
    if cands is not None:
        extra = sorted(set(ids) - set(cands))
        if extra:
            raise ValueError(
                f"{_system_name(system)}.similar({query!r}, candidates=...) returned "
                f"{len(extra)} trial(s) that are not candidates: {', '.join(extra[:5])}"
            )
        if len(ids) < len(cands):
            warnings.warn(
                f"{_system_name(system)} ranked {len(ids)} of the {len(cands)} candidates of "
                f"{query}; the others count as not retrieved",
                stacklevel=3,
            )
    order = np.lexsort((ids, -scores))
    if mode == "retrieve":
        order = order[:depth]
    return {str(ids[i]): float(scores[i]) for i in order}


# ---------------------------------------------------------------------- step 2: scores


def score_run(
    run: Mapping[str, Mapping[str, float]],
    qrels: pd.DataFrame | Mapping[str, Mapping[str, int]],
    *,
    mode: str = "rerank",
    k: int | Iterable[int] = DEFAULT_K,
) -> pd.DataFrame:
    """Per-query metrics of a run (from :func:`collect_run`) against the grades, with ranx.

    Parameters
    ----------
    run
        Query -> ``{nct_id: score}`` in rank order (best first).
    qrels
        The judgements (see :func:`check_qrels`). Only the queries of ``run`` are scored.
    mode, k
        As in :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        Index ``query`` (sorted), one column per metric (see :func:`metric_names`).
    """
    from ranx import Qrels
    from ranx import Run as RanxRun
    from ranx import evaluate as ranx_evaluate

    mode = _check_mode(mode)
    ks = _check_k(k)
    q = check_qrels(qrels)
    judged: dict[str, dict[str, int]] = {}
    for query, cand, grade in q.itertuples(index=False):
        judged.setdefault(query, {})[cand] = int(grade)
    queries = sorted(run)
    unjudged = [x for x in queries if x not in judged]
    if unjudged:
        raise ValueError(f"the run has queries without judgements: {', '.join(unjudged[:5])}")
    names = metric_names(mode, ks)
    depth = max(ks) if mode == "retrieve" else None
    ranx_metrics = {m: _ranx_name(m, depth) for m in names if not m.startswith("judged@")}
    # ranx sorts each list by score: give it strictly decreasing scores in the run's own
    # order, so its ranking is exactly the run's (ties already broken by NCT ID).
    ranked = {x: {d: float(len(run[x]) - i) for i, d in enumerate(run[x])} for x in queries}
    out = pd.DataFrame(index=pd.Index(queries, name="query"))
    ranx_run = RanxRun.from_dict(ranked)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba type-safety chatter inside ranx
        ranx_evaluate(
            Qrels.from_dict({x: judged[x] for x in queries}),
            ranx_run,
            list(ranx_metrics.values()),
            save_results_in_run=True,
        )
    for name, rname in ranx_metrics.items():
        per_query = ranx_run.scores[rname]  # read by query ID, whatever ranx's internal order
        out[name] = [float(per_query[x]) for x in queries]
    for v in ks:
        if f"judged@{v}" in names:
            out[f"judged@{v}"] = [
                sum(d in judged[x] for d in list(run[x])[:v]) / v for x in queries
            ]
    return out[names]


def bootstrap_ci(
    values: np.ndarray | pd.DataFrame | pd.Series,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap confidence interval of the mean over queries (rows).

    Parameters
    ----------
    values
        ``(n_queries,)`` or ``(n_queries, n_metrics)`` per-query values.
    n_boot
        Number of resamples of the queries (with replacement).
    seed
        Seed of the resamples: the same seed and number of queries give the same resamples,
        so CIs of different systems over the same queries are paired.
    level
        Coverage of the interval (0.95: the 2.5th and 97.5th percentiles).

    Returns
    -------
    (low, high)
        Arrays of shape ``(n_metrics,)`` (scalars' arrays for 1-D input).
    """
    arr = np.asarray(values, dtype=np.float64)
    low, high = _bootstrap(
        arr if arr.ndim == 2 else arr[:, None], _resamples(len(arr), n_boot, seed), level
    )
    return (low, high) if arr.ndim == 2 else (low[0], high[0])


def _resamples(n: int, n_boot: int, seed: int) -> np.ndarray:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a whole number >= 1, got {n_boot!r}")
    if n < 1:
        raise ValueError("cannot bootstrap over zero queries")
    return np.random.default_rng(seed).integers(0, n, size=(int(n_boot), n))


def _bootstrap(arr: np.ndarray, idx: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    means = arr[idx].mean(axis=1)  # (n_boot, n_metrics)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha], axis=0)
    return low, high


# ---------------------------------------------------------------------- public API


def _select(names: list[str], metrics: Sequence[str] | None) -> list[str]:
    if metrics is None:
        return names
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in names]
    if unknown:
        raise ValueError(
            f"unknown metric(s) {', '.join(unknown)} for these settings; available: {', '.join(names)}"
        )
    return metrics


def evaluate(
    system: System,
    qrels: pd.DataFrame | Mapping[str, Mapping[str, int]],
    *,
    mode: str = "rerank",
    k: int | Iterable[int] = DEFAULT_K,
    per_query: bool = False,
    metrics: Sequence[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    on_missing: str = "error",
) -> pd.DataFrame:
    """Evaluate a system on graded relevance judgements.

    Parameters
    ----------
    system
        Anything with ``similar(nct_id, k=..., candidates=[...])`` returning a DataFrame with
        ``nct_id`` and ``score`` (a :class:`~simtrials.TrialIndex`, a baseline of
        :mod:`simtrials.baselines`).
    qrels
        Judgements: a DataFrame ``query, candidate, grade`` (as
        :func:`simtrials.datasets.load_relevance` returns) or ``{query: {candidate: grade}}``.
    mode
        ``"rerank"`` (default; the protocol of the bundled judgements): the system ranks only
        each query's judged candidates. ``"retrieve"``: the system ranks the whole corpus and
        its top ``max(k)`` are scored (unjudged hits count as not relevant; ``judged@k`` says
        how many were judged).
    k
        Cut-offs for ``ndcg@k``, ``recall@k`` (and ``judged@k``); whole numbers >= 1.
    per_query
        Return one row per query instead of the means.
    metrics
        Report only these metrics (names from :func:`metric_names`).
    n_boot, seed, level
        Bootstrap over queries: resamples, seed, and interval coverage (0.95).
    on_missing
        A query or candidate the system does not hold: ``"error"`` (default) raises a
        ValueError naming them; ``"skip"`` leaves the query out with a warning.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, value, ci_low, ci_high`` (one row per metric); with
        ``per_query=True``, index ``query`` and one column per metric. ``.attrs`` hold the
        mode, cut-offs, number of queries and bootstrap settings.

    Raises
    ------
    ValueError
        Unknown mode or metric, ``k`` not a whole number >= 1, qrels with missing columns
        or bad grades, trials the system lacks (``on_missing="error"``), or a system whose
        ``similar`` breaks the contract.
    """
    mode = _check_mode(mode)
    ks = _check_k(k)
    names = _select(metric_names(mode, ks), metrics)
    pool = judged_pool(qrels)  # the only thing the system is shown
    run = collect_run(system, pool, mode=mode, depth=max(ks), on_missing=on_missing)
    table = score_run(run, qrels, mode=mode, k=ks)[names]
    attrs = {
        "mode": mode,
        "k": list(ks),
        "n_queries": len(table),
        "n_boot": n_boot,
        "seed": seed,
        "level": level,
    }
    if per_query:
        table.attrs.update(attrs)
        return table
    low, high = _bootstrap(table.to_numpy(), _resamples(len(table), n_boot, seed), level)
    out = pd.DataFrame(
        {"metric": names, "value": table.mean().to_numpy(), "ci_low": low, "ci_high": high}
    )
    out.attrs.update(attrs)
    return out


def compare(
    systems: Mapping[str, System],
    qrels: pd.DataFrame | Mapping[str, Mapping[str, int]],
    *,
    reference: str | None = None,
    mode: str = "rerank",
    k: int | Iterable[int] = DEFAULT_K,
    metrics: Sequence[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    on_missing: str = "error",
    per_query: bool = False,
) -> pd.DataFrame:
    """Evaluate several systems on the same queries and compare each with a reference.

    Every system is shown exactly the same pool (in re-rank mode, the same candidate lists in
    the same order). Each metric's mean gets a bootstrap CI, and its paired difference with
    the reference (``system - reference``, per query) a CI from the same query resamples.

    Parameters
    ----------
    systems
        Name -> system (see :func:`evaluate`), e.g. ``{"tfidf": ..., "simtrials": index}``.
    qrels
        Judgements, as in :func:`evaluate`.
    reference
        The name of the system the others are compared with; default: the first one.
    mode, k, metrics, n_boot, seed, level
        As in :func:`evaluate`.
    on_missing
        As in :func:`evaluate`; with ``"skip"``, only the queries every system could rank are
        compared.
    per_query
        Return the per-query values instead: a DataFrame with index ``(system, query)``.

    Returns
    -------
    pandas.DataFrame
        One row per system (index ``system``), columns a MultiIndex ``(metric, stat)`` with
        the stats ``value, ci_low, ci_high, diff, diff_low, diff_high, excludes_zero``
        (``diff = system - reference``; ``excludes_zero``: the CI of ``diff`` excludes 0).
        ``table.xs("value", axis=1, level="stat")`` gives the plain means. ``.attrs`` hold
        the reference, mode, cut-offs, number of queries and bootstrap settings.

    Raises
    ------
    ValueError
        No systems, an unknown reference, or anything :func:`evaluate` raises.
    """
    if not isinstance(systems, Mapping) or not systems:
        raise ValueError("systems must be a non-empty mapping name -> system")
    names_sys = list(systems)
    reference = names_sys[0] if reference is None else reference
    if reference not in systems:
        raise ValueError(
            f"reference {reference!r} is not one of the systems: {', '.join(names_sys)}"
        )
    mode = _check_mode(mode)
    ks = _check_k(k)
    names = _select(metric_names(mode, ks), metrics)
    pool = judged_pool(qrels)
    runs = {
        s: collect_run(sys_, pool, mode=mode, depth=max(ks), on_missing=on_missing)
        for s, sys_ in systems.items()
    }
    common = sorted(set.intersection(*(set(r) for r in runs.values())))
    dropped = sorted(set().union(*(set(r) for r in runs.values())) - set(common))
    if dropped:
        warnings.warn(
            f"compared on the {len(common)} queries every system could rank; left out "
            f"{len(dropped)}: {', '.join(dropped[:10])}",
            stacklevel=2,
        )
    if not common:
        raise ValueError("no query could be ranked by every system")
    tables = {
        s: score_run({q: r[q] for q in common}, qrels, mode=mode, k=ks)[names]
        for s, r in runs.items()
    }
    attrs = {
        "reference": reference,
        "mode": mode,
        "k": list(ks),
        "n_queries": len(common),
        "n_boot": n_boot,
        "seed": seed,
        "level": level,
    }
    if per_query:
        long = pd.concat(tables, names=["system", "query"])
        long.attrs.update(attrs)
        return long
    idx = _resamples(len(common), n_boot, seed)
    ref = tables[reference].to_numpy()
    rows = {}
    for s, t in tables.items():
        vals = t.to_numpy()
        low, high = _bootstrap(vals, idx, level)
        diff = vals - ref
        dlow, dhigh = _bootstrap(diff, idx, level)
        mean, dmean = vals.mean(axis=0), diff.mean(axis=0)
        row = {}
        for j, m in enumerate(names):
            row[(m, "value")] = mean[j]
            row[(m, "ci_low")] = low[j]
            row[(m, "ci_high")] = high[j]
            row[(m, "diff")] = dmean[j]
            row[(m, "diff_low")] = dlow[j]
            row[(m, "diff_high")] = dhigh[j]
            row[(m, "excludes_zero")] = bool(dlow[j] > 0 or dhigh[j] < 0)
        rows[s] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.columns = pd.MultiIndex.from_tuples(out.columns, names=["metric", "stat"])
    out.index.name = "system"
    out.attrs.update(attrs)
    return out
