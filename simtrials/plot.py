"""Pictures of an index and its results, as plain matplotlib functions that return the Axes.

- :func:`neighbours_map`: every indexed trial on a 2-D PCA map, coloured by therapeutic area,
  with a query and its nearest trials highlighted and labelled.
- :func:`field_scores`: the per-field and lexical scores of each hit, as grouped bars.
- :func:`similarity_heatmap`: the fused similarity of every pair among a few trials.
- :func:`metrics`: an evaluation table (metric, value, CI) as bars with error bars.

matplotlib is an optional extra (``pip install 'simtrials[plot]'``); it is imported when a
function is called, so ``import simtrials`` never needs it. Each function draws on ``ax`` when
given one, else on a new figure, and returns the Axes so the caller can adjust it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .trial_index import TrialIndex

__all__ = [
    "neighbours_map",
    "field_scores",
    "similarity_heatmap",
    "metrics",
    "therapeutic_area",
    "similarity_matrix",
    "score_columns",
    "AREAS",
]

_INSTALL_HINT = "simtrials.plot needs matplotlib: pip install 'simtrials[plot]'"

#: Therapeutic areas, in the order they are tried: a trial takes the first whose pattern
#: matches one of its conditions (registered names and MeSH terms), else ``"other"``.
#: Oncology comes first (prostate cancer is oncology, not urology), stroke before neurology
#: and cardiovascular (a stroke trial is "stroke").
AREAS: dict[str, str] = {
    "oncology": r"cancer|tumou?r|carcinom|neoplas|lymphom|leuka?emi|melanom|sarcom|myelom|"
    r"glioma|glioblastom|metasta|oncolog|myelodysplas|malignan",
    "stroke": r"stroke|cerebrovascular|cerebral (?:infarct|ischemi|hemorrhag)|intracerebral|"
    r"subarachnoid|brain (?:infarct|ischemi)|transient ischemic",
    "neurology": r"alzheimer|dementia|cognitive|parkinson|epilep|sclerosis|neuro|brain|"
    r"migraine|huntington|spinal cord|palsy|aphasia|tauopath|lewy|memory|nerv",
    "cardiovascular": r"hypertensi|heart|cardi|coronary|myocard|atrial|arter|vascular|"
    r"thromb|embol|blood pressure|angina|aortic|venous",
    "urology": r"urin|bladder|prostat|erectile|impotence|kidney stone|nephrolith|urolith|"
    r"incontinen|urolog|renal colic|hypogonad|sexual dysfunction|peyronie|urethr",
    "metabolic": r"diabet|obes|metabolic|insulin|glyc|lipid|cholesterol|overweight|"
    r"weight|t2dm|fatty liver",
    "mental health": r"depress|anxiety|schizo|bipolar|psychi|autis|adhd|substance|"
    r"alcohol|smok|opioid|insomnia|stress|mental",
    "respiratory": r"asthma|copd|pulmonar|lung|respirat|bronch|sleep apnea|cystic fibrosis",
    "infectious": r"hiv|covid|sars|infect|hepatitis|tubercul|sepsis|influenza|malaria|viral",
    "musculoskeletal": r"arthrit|osteo|back pain|disc|disk|fractur|spine|spinal|tendon|"
    r"muscul|joint",
}
_AREA_RES = {name: re.compile(pattern, re.I) for name, pattern in AREAS.items()}
OTHER = "other"


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return plt


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    plt = _pyplot()
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def therapeutic_area(conditions: Iterable[str]) -> str:
    """The therapeutic area of a trial from its conditions (see :data:`AREAS`), or ``"other"``.

    >>> therapeutic_area(["Acute Ischemic Stroke"])
    'stroke'
    >>> therapeutic_area(["Prostate Cancer", "Erectile Dysfunction"])
    'oncology'
    """
    items = [c for c in conditions if isinstance(c, str) and c]
    for name, pattern in _AREA_RES.items():
        if any(pattern.search(c) for c in items):
            return name
    return OTHER


def _areas(trials: pd.DataFrame) -> list[str]:
    mesh = trials["condition_mesh"] if "condition_mesh" in trials else [[]] * len(trials)
    return [therapeutic_area([*c, *m]) for c, m in zip(trials["conditions"], mesh)]


# ---------------------------------------------------------------------- neighbours map


def neighbours_map(
    index: TrialIndex,
    query: Any,
    k: int = 10,
    ax: Axes | None = None,
    *,
    where: dict | None = None,
    label_neighbours: bool = True,
) -> Axes:
    """Every indexed trial on a 2-D PCA map, with ``query`` and its ``k`` best hits highlighted.

    Each trial is the weighted mean of its field vectors (:meth:`TrialIndex.trial_vectors`),
    projected on the first two principal components of all of them (scikit-learn ``PCA``).
    Trials are coloured by therapeutic area (:func:`therapeutic_area` of their conditions);
    the query is a star and its hits are ringed points labelled with their NCT IDs. The hits
    are the fused ranking of :meth:`TrialIndex.similar` (or :meth:`~TrialIndex.search` for a
    free text), so a hit need not be the nearest point on the map: two dimensions keep only
    part of the distances, and the score also reads the conditions and the words.

    Parameters
    ----------
    index
        The index to draw.
    query
        An indexed NCT ID, a trial record or study dict (drawn at its own vector), or a
        free text.
    k
        How many hits to highlight.
    ax
        Axes to draw on (default: a new figure).
    where
        Filters for the hits, as in :meth:`TrialIndex.similar`.
    label_neighbours
        Write each hit's NCT ID next to it.

    Returns
    -------
    matplotlib.axes.Axes
        Scatter collections are labelled: one per area (``"stroke (79)"``), ``"hits"`` and
        ``"query"``.
    """
    _pyplot()
    from sklearn.decomposition import PCA

    if len(index) < 3:
        raise ValueError(f"a map needs at least 3 indexed trials, the index has {len(index)}")
    free_text = isinstance(query, str) and query.strip() not in index and not _is_nct(query)
    hits = (
        index.search(query, k=k, where=where)
        if free_text
        else index.similar(query, k=k, where=where)
    )
    trials = index.trials
    vectors = index.trial_vectors()
    pca = PCA(n_components=2, svd_solver="full")
    xy = pca.fit_transform(vectors)
    row = {n: i for i, n in enumerate(trials["nct_id"])}
    if isinstance(query, str) and not free_text:
        qvec = vectors[row[query.strip()]]
    else:
        qvec = _query_vector(index, query, free_text)
    qxy = pca.transform(qvec[None, :])[0]

    ax = _axes(ax, (10, 7))
    areas = np.array(_areas(trials))
    names = [a for a in [*AREAS, OTHER] if (areas == a).any()]
    colours = _area_colours()
    for name in names:
        pts = xy[areas == name]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=12,
            alpha=0.45 if name != OTHER else 0.3,
            color=colours[name],
            linewidths=0,
            label=f"{name} ({len(pts)})",
            zorder=1,
        )
    hit_rows = [row[n] for n in hits["nct_id"]]
    hxy = xy[hit_rows] if hit_rows else np.zeros((0, 2))
    for x, y in hxy:
        ax.plot([qxy[0], x], [qxy[1], y], color="0.4", lw=0.6, alpha=0.6, zorder=2)
    hit_colours = [colours[a] for a in areas[hit_rows]] if hit_rows else []
    ax.scatter(
        hxy[:, 0],
        hxy[:, 1],
        s=60,
        c=hit_colours or None,
        edgecolors="black",
        linewidths=1.2,
        label="hits",
        zorder=3,
    )
    ax.scatter(
        [qxy[0]],
        [qxy[1]],
        s=260,
        marker="*",
        color="gold",
        edgecolors="black",
        linewidths=1.2,
        label="query",
        zorder=4,
    )
    right = True
    if label_neighbours and len(hxy):
        right = _label_column(ax, hxy, list(hits["nct_id"]), qxy)
    label = _query_label(query, hits, free_text)
    ax.annotate(  # on the side away from the column of hit labels
        label,
        qxy,
        xytext=(-10, 10) if right else (10, 10),
        textcoords="offset points",
        ha="right" if right else "left",
        fontsize=10,
        fontweight="bold",
        gid="query-label",
        zorder=6,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
    )
    var = pca.explained_variance_ratio_ * 100
    ax.set_xlabel(f"PC1 ({var[0]:.0f}% of variance)")
    ax.set_ylabel(f"PC2 ({var[1]:.0f}% of variance)")
    ax.set_title(f"{label} and its {len(hits)} most similar trials among {len(index):,}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=8)
    return ax


def _label_column(ax: Axes, points: np.ndarray, labels: list[str], query: np.ndarray) -> bool:
    """Label points in a column beside their cluster, evenly spaced, with leader lines.

    Hits crowd around the query, so labels written next to each point overlap; a column
    ordered by height keeps every label readable and the leader lines from crossing much.
    Returns whether the column is on the right of the cluster.
    """
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    n = len(points)
    step = 0.045 * height
    centre = float(np.mean(points[:, 1]))
    span = step * (n - 1)
    top = min(max(centre + span / 2, y0 + span + 0.03 * height), y1 - 0.03 * height)
    slots = top - step * np.arange(n)
    cluster = np.vstack([points, query[None, :]])
    right = float(np.mean(cluster[:, 0])) < x0 + 0.62 * width
    if right:
        x_text = min(float(cluster[:, 0].max()) + 0.08 * width, x1 - 0.16 * width)
    else:
        x_text = max(float(cluster[:, 0].min()) - 0.08 * width, x0 + 0.16 * width)
    order = np.argsort(-points[:, 1], kind="stable")  # highest point gets the highest slot
    slot_of = np.empty(n, dtype=int)
    slot_of[order] = np.arange(n)
    for i, ((x, y), text) in enumerate(zip(points, labels)):
        ax.annotate(
            text,
            (x, y),
            xytext=(x_text, slots[slot_of[i]]),
            textcoords="data",
            ha="left" if right else "right",
            va="center",
            fontsize=7.5,
            gid="hit-label",
            zorder=5,
            bbox={
                "boxstyle": "round,pad=0.15",
                "fc": "white",
                "ec": "0.7",
                "lw": 0.5,
                "alpha": 0.9,
            },
            arrowprops={"arrowstyle": "-", "color": "0.35", "lw": 0.6, "shrinkA": 0, "shrinkB": 3},
        )
    return right


def _is_nct(text: str) -> bool:
    return bool(re.match(r"^NCT\d{8}$", text.strip()))


def _query_label(query: Any, hits: pd.DataFrame, free_text: bool) -> str:
    if isinstance(query, str):
        text = query.strip()
        return text if not free_text else (text if len(text) <= 40 else text[:39] + "…")
    return str(getattr(hits, "query", None) or "query")


def _query_vector(index: TrialIndex, query: Any, free_text: bool) -> np.ndarray:
    """A query that is not indexed as one unit vector, made as :meth:`TrialIndex.trial_vectors`."""
    if free_text:
        return index.embedder.encode([query.strip()])[0]
    from . import schema
    from .io.ctgov_json import is_study
    from .represent import field_texts

    record = query
    if isinstance(record, pd.DataFrame):
        record = record.iloc[0]
    if isinstance(record, pd.Series):
        record = record.to_dict()
    if is_study(record):
        from .io import read_ctgov

        study = record
        ident = (study.get("protocolSection") or {}).get("identificationModule") or {}
        if not ident.get("nctId"):
            study = {**study, "protocolSection": dict(study["protocolSection"])}
            study["protocolSection"]["identificationModule"] = {**ident, "nctId": "NCT00000000"}
        table = read_ctgov(study)
    else:
        rec = {c: v for c, v in record.items() if c in schema.COLUMN_NAMES}
        nct = rec.get("nct_id")
        if not isinstance(nct, str) or not _is_nct(nct):
            rec["nct_id"] = "NCT00000000"
        table = schema.validate(pd.DataFrame([rec]), source="query")
    fields = index.fields
    texts = field_texts(table, fields)
    total = np.zeros(index.embedder.dimension, dtype=np.float32)
    for f, w in fields.items():
        if texts[f][0]:
            total += w * index.embedder.encode([texts[f][0]])[0]
    return total / max(float(np.linalg.norm(total)), 1e-12)


def _area_colours() -> dict[str, Any]:
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    colours = {name: cmap(i % 10) for i, name in enumerate(AREAS)}
    colours[OTHER] = (0.6, 0.6, 0.6, 1.0)
    return colours


# ---------------------------------------------------------------------- field scores


def score_columns(hits: pd.DataFrame) -> list[str]:
    """The ``score_<field>`` columns of a hits table, then ``score_lexical``."""
    cols = [c for c in hits.columns if c.startswith("score_") and c != "score_lexical"]
    if "score_lexical" in hits.columns:
        cols.append("score_lexical")
    return cols


def field_scores(
    hits: pd.DataFrame, ax: Axes | None = None, *, fused: bool = True, max_hits: int = 20
) -> Axes:
    """The per-field and lexical scores of each hit, as grouped bars (one group per hit).

    Parameters
    ----------
    hits
        A result of :meth:`TrialIndex.similar` or :meth:`~TrialIndex.search` (any DataFrame
        with ``nct_id`` and ``score_*`` columns).
    ax
        Axes to draw on (default: a new figure).
    fused
        Also mark each hit's fused ``score`` with a black dot.
    max_hits
        Draw at most this many hits (the first ones).

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per score column, labelled with the column's name; x tick labels
        are the hits' NCT IDs. A field one of the two trials lacks (NaN) is a bar of height 0.
    """
    plt = _pyplot()
    if "nct_id" not in hits.columns:
        raise ValueError("hits needs an 'nct_id' column (a result of TrialIndex.similar/search)")
    cols = score_columns(hits)
    if not cols:
        raise ValueError("hits has no score_<field> or score_lexical columns to draw")
    shown = hits.head(max_hits)
    n = len(shown)
    ax = _axes(ax, (max(6.0, 0.75 * n + 2), 4.5))
    x = np.arange(n)
    width = 0.8 / len(cols)
    cmap = plt.get_cmap("Set2")
    for i, col in enumerate(cols):
        values = pd.to_numeric(shown[col], errors="coerce").to_numpy(dtype=float)
        ax.bar(
            x - 0.4 + width * (i + 0.5),
            np.nan_to_num(values, nan=0.0),
            width,
            label=col.removeprefix("score_"),
            color=cmap(i % 8),
            edgecolor="white",
            linewidth=0.5,
        )
    if fused and "score" in shown.columns:
        ax.plot(x, shown["score"].to_numpy(dtype=float), "o", color="black", label="fused score")
    ax.set_xticks(x, list(shown["nct_id"]), rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 1.22)  # room for the legend above the bars
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("similarity")
    query = getattr(hits, "query", None)
    ax.set_title("Per-field scores of each hit" + (f" (query {query})" if query else ""))
    ax.legend(fontsize=8, ncols=min(len(cols) + int(fused), 6), loc="upper center")
    ax.grid(axis="y", alpha=0.3)
    return ax


# ---------------------------------------------------------------------- heatmap


def similarity_matrix(index: TrialIndex, ids: Sequence[str]) -> pd.DataFrame:
    """Fused similarity of every ordered pair among ``ids`` (row = query, column = candidate).

    Computed with ``index.similar(a, candidates=ids)`` for each ``a``; the diagonal is NaN
    (a trial is never its own hit).
    """
    ids = list(ids)
    if len(ids) < 2:
        raise ValueError(f"a similarity heatmap needs at least 2 trials, got {len(ids)}")
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"ids must be distinct; repeated: {', '.join(dup)}")
    out = pd.DataFrame(np.nan, index=pd.Index(ids, name="query"), columns=ids, dtype=float)
    for a in ids:
        hits = index.similar(a, k=None, candidates=ids)
        out.loc[a, hits["nct_id"].tolist()] = hits["score"].to_numpy(dtype=float)
    return out


def similarity_heatmap(
    index: TrialIndex,
    ids: Sequence[str],
    ax: Axes | None = None,
    *,
    annotate: bool | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Axes:
    """A heatmap of the fused similarity between every pair of ``ids``.

    Parameters
    ----------
    index
        The index holding the trials.
    ids
        NCT IDs of indexed trials (at least 2), e.g. a query and its top hits.
    ax
        Axes to draw on (default: a new figure).
    annotate
        Write the score in each cell (default: when there are at most 15 trials).
    vmin, vmax
        Ends of the colour scale (default: the lowest and highest score shown, so that
        differences among close trials stay visible; pass 0 and 1 for an absolute scale).

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap is ``ax.images[0]`` (its array is the ``len(ids) x len(ids)`` matrix of
        :func:`similarity_matrix`, NaN on the diagonal); both axes are labelled with the NCT
        IDs, rows being the query of each comparison.
    """
    plt = _pyplot()
    matrix = similarity_matrix(index, ids)
    n = len(matrix)
    ax = _axes(ax, (max(5.0, 0.55 * n + 2.5), max(4.0, 0.5 * n + 1.5)))
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")
    values = np.ma.masked_invalid(matrix.to_numpy())
    low, high = float(values.min()), float(values.max())
    image = ax.imshow(
        values,
        cmap=cmap,
        vmin=low if vmin is None else vmin,
        vmax=max(high, low + 1e-6) if vmax is None else vmax,
    )
    ax.set_xticks(np.arange(n), matrix.columns.tolist(), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(np.arange(n), matrix.index.tolist(), fontsize=8)
    ax.set_xlabel("candidate")
    ax.set_ylabel("query")
    if annotate is None:
        annotate = n <= 15
    if annotate:
        for i in range(n):
            for j in range(n):
                v = matrix.iat[i, j]
                if v == v:
                    ax.text(
                        j,
                        i,
                        f"{v:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if image.norm(v) < 0.6 else "black",
                    )
    ax.figure.colorbar(image, ax=ax, label="fused similarity", shrink=0.8)
    ax.set_title("Pairwise similarity")
    return ax


# ---------------------------------------------------------------------- metrics


def _long_metrics(table: pd.DataFrame) -> pd.DataFrame:
    """``st.compare``'s wide table (system x (metric, stat)) -> one row per system and metric."""
    cols = table.columns
    if isinstance(cols, pd.MultiIndex) and "stat" in (cols.names or []):
        long = table.stack(level="metric", future_stack=True)
        long = long.reset_index()
        long.columns.name = None
        if "system" not in long.columns:
            long = long.rename(columns={long.columns[0]: "system"})
        return long
    return table


def metrics(
    eval_table: pd.DataFrame, ax: Axes | None = None, *, metric_order: Sequence[str] | None = None
) -> Axes:
    """Bars of an evaluation table, with confidence intervals as error bars.

    Parameters
    ----------
    eval_table
        A long DataFrame with columns ``metric, value, ci_low, ci_high`` and, to compare
        several systems, ``system``; without ``system`` (as ``st.evaluate`` returns) it is one
        system. The wide table of ``st.compare`` (index ``system``, columns ``(metric,
        stat)``) is accepted too. Missing CI bounds draw no error bar.
    ax
        Axes to draw on (default: a new figure).
    metric_order
        Which metrics to draw, in this order (default: all, in the order they first appear).

    Returns
    -------
    matplotlib.axes.Axes
        One group per metric (x tick labels), one ``BarContainer`` per system (legend label),
        whose ``errorbar`` holds its CI bars.
    """
    plt = _pyplot()
    level = eval_table.attrs.get("level", 0.95)
    eval_table = _long_metrics(eval_table)
    missing = [c for c in ("metric", "value") if c not in eval_table.columns]
    if missing:
        raise ValueError(
            f"eval_table lacks the column(s) {', '.join(missing)}; expected metric, value, "
            "ci_low, ci_high (and system to compare several)"
        )
    table = eval_table.copy()
    if "system" not in table.columns:
        table["system"] = "simtrials"
    for col in ("ci_low", "ci_high"):
        if col not in table.columns:
            table[col] = np.nan
    names = list(dict.fromkeys(table["metric"].astype(str)))
    if metric_order is not None:
        unknown = [m for m in metric_order if m not in names]
        if unknown:
            raise ValueError(
                f"metric(s) not in the table: {', '.join(unknown)}; it has {', '.join(names)}"
            )
        names = list(metric_order)
    systems = list(dict.fromkeys(table["system"].astype(str)))
    ax = _axes(ax, (max(6.0, 1.1 * len(names) * max(1, len(systems)) ** 0.5 + 2), 4.5))
    x = np.arange(len(names))
    width = 0.8 / len(systems)
    cmap = plt.get_cmap("tab10")
    for i, system in enumerate(systems):
        rows = table[table["system"].astype(str) == system].drop_duplicates("metric")
        rows = rows.set_index(rows["metric"].astype(str)).reindex(names)
        value = rows["value"].to_numpy(dtype=float)
        low = value - rows["ci_low"].to_numpy(dtype=float)
        high = rows["ci_high"].to_numpy(dtype=float) - value
        yerr = np.vstack([np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=0.0)])
        ax.bar(
            x - 0.4 + width * (i + 0.5),
            np.nan_to_num(value, nan=0.0),
            width,
            yerr=np.clip(yerr, 0.0, None),
            capsize=3,
            label=system,
            color=cmap(i % 10),
            error_kw={"elinewidth": 1, "ecolor": "0.2"},
        )
    ax.set_xticks(x, names)
    top = np.nanmax(table[["value", "ci_high"]].to_numpy(dtype=float))
    ax.set_ylim(0, 1.05 if top <= 1.0 else top * 1.1)
    ax.set_ylabel(f"value (error bars: {level:.0%} CI)")
    ax.grid(axis="y", alpha=0.3)
    if len(systems) > 1 or "system" in eval_table.columns:
        ax.legend(fontsize=8, loc="lower right")
    return ax
