"""The landscape as readable text: one short paragraph per figure, each with its "n of k"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .stopped import NOT_GIVEN, STOPPED_STATUSES

if TYPE_CHECKING:  # pragma: no cover
    from .result import Landscape

__all__ = ["render"]


def _num(x: float | None, digits: int = 0) -> str:
    return "?" if x is None or pd.isna(x) else f"{x:,.{digits}f}"


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _of(land: Landscape, field: str, n: int | None = None) -> str:
    """``"(n of k)"``, or ``"not available (0 of k)"`` when the table lacks the field."""
    n = land.n_of(field) if n is None else n
    if not land.available(field) or not n:
        return f"not available (0 of {land.k})"
    return f"({n} of {land.k})"


def _top(table: pd.DataFrame, name: str, limit: int = 5) -> str:
    parts = [f"{v} {n} ({_pct(s)})" for v, n, s in table[[name, "n", "share"]].head(limit).values]
    more = len(table) - limit
    return ", ".join(parts) + (f", … {more} more" if more > 0 else "")


def _counted(land: Landscape, title: str, field: str, table: pd.DataFrame, name: str) -> str:
    if table.empty or not land.n_of(field):
        return f"{title}: {_of(land, field)}"
    return f"{title} {_of(land, field)}: {_top(table, name)}"


def _status(land: Landscape) -> list[str]:
    lines = [_counted(land, "Status", "overall_status", land.status, "overall_status")]
    if not land.available("overall_status"):
        return lines
    n_status = land.n_of("overall_status")
    stopped = land.stopped
    by = stopped["overall_status"].value_counts()
    detail = ", ".join(f"{by.get(s, 0)} {s.lower()}" for s in STOPPED_STATUSES)
    share = f" ({_pct(len(stopped) / n_status)})" if n_status else ""
    lines.append(f"  Stopped early: {len(stopped)} of {n_status}{share}: {detail}")
    if len(stopped):
        reasons = land.stop_reasons
        given = int(reasons.loc[reasons["kind"] != NOT_GIVEN, "n"].sum())
        if not given:
            lines.append(f"  Why: no reason given (0 of {len(stopped)} stopped)")
        else:
            kinds = [f"{k} {n}" for k, n in reasons[["kind", "n"]].values if n and k != NOT_GIVEN]
            missing = len(stopped) - given
            tail = f"; reason not given {missing}" if missing else ""
            lines.append(
                f"  Why ({given} of {len(stopped)} give a reason): {', '.join(kinds)}{tail}"
            )
    return lines


def _spread(row: pd.Series, unit: str = "") -> str:
    return (
        f"median {_num(row['median'])}{unit}, IQR {_num(row['q1'])}–{_num(row['q3'])}"
        f" (range {_num(row['min'])}–{_num(row['max'])})"
    )


def _enrollment(land: Landscape) -> list[str]:
    if not land.n_of("enrollment"):
        return [f"Enrollment: {_of(land, 'enrollment')}"]
    table = land.enrollment
    lines = [f"Enrollment {_of(land, 'enrollment')}:"]
    for _, row in table[table["phase"] == "all"].iterrows():
        kind = row["enrollment_type"].lower()
        body = _spread(row) if row["n"] else "none"
        lines.append(f"  {kind} ({row['n']} of {land.k}): {body}")
    by_phase = table[(table["phase"] != "all") & (table["n"] > 0)]
    for phase, part in by_phase.groupby("phase", sort=False):
        cells = [
            f"{t.lower()} median {_num(m)} (n={n})"
            for t, m, n in part[["enrollment_type", "median", "n"]].values
        ]
        lines.append(f"  {phase}: " + "; ".join(cells))
    return lines


def _duration(land: Landscape) -> list[str]:
    lines = []
    for _, row in land.duration.iterrows():
        end = "primary_completion_date" if "primary" in row["measure"] else "completion_date"
        title = f"Duration, {row['measure']}"
        if not land.n_of(end) or not land.n_of("start_date"):
            missing = end if not land.n_of(end) else "start_date"
            lines.append(f"{title}: not available (0 of {land.k}; no {missing})")
            continue
        body = _spread(row, " months") if row["n"] else "no trial has both dates"
        neg = (
            f"; {row['negative']} with the end before the start left out" if row["negative"] else ""
        )
        lines.append(f"{title} ({row['n']} of {land.k}): {body}{neg}")
    return lines


def _timeline(land: Landscape) -> str:
    years = land.start_years
    head = f"Start years {_of(land, 'start_date')}"
    if years.empty:
        return f"Start years: {_of(land, 'start_date')}"
    peak = years.loc[years["n"].idxmax()]
    expanded = years.loc[years.index.repeat(years["n"])]["year"]
    return (
        f"{head}: {years['year'].iloc[0]}–{years['year'].iloc[-1]}, median {int(expanded.median())},"
        f" most in {peak['year']} ({peak['n']})"
    )


def _designs(land: Landscape) -> list[str]:
    lines = ["Design:"]
    for field, part in land.designs.groupby("field", sort=False):
        lines.append("  " + _counted(land, field, field, part, "value"))
    return lines


def _outcomes(land: Landscape) -> list[str]:
    if not land.n_of("primary_outcomes"):
        return [f"Primary outcomes: {_of(land, 'primary_outcomes')}"]
    lines = [f"Most common primary outcomes {_of(land, 'primary_outcomes')} name one:"]
    for i, row in enumerate(land.outcomes.itertuples(), 1):
        wordings = f", {row.variants} wordings" if row.variants > 1 else ""
        trials = "trial" if row.n == 1 else "trials"
        text = row.measure if len(row.measure) <= 90 else row.measure[:89] + "…"
        lines.append(f"  {i}. {text} — {row.n} {trials} ({_pct(row.share)}){wordings}")
    return lines


def _places(land: Landscape) -> list[str]:
    lines = [_counted(land, "Countries", "countries", land.countries, "country")]
    per = land.sites.set_index("measure")
    multi = per.loc["countries per trial"]
    if multi["n"]:
        lines[0] += f"; {int(multi['max'])} at most in one trial"
    sites = per.loc["sites per trial"]
    if land.available("location_count") and sites["n"]:
        lines.append(f"Sites per trial ({int(sites['n'])} of {land.k}): {_spread(sites)}")
    else:
        lines.append(f"Sites per trial: {_of(land, 'location_count', 0)}")
    return lines


def render(land: Landscape) -> str:
    """The text of :meth:`Landscape.summary`."""
    about = f" related to {land.query}" if land.query else ""
    lines = [
        f"Landscape of {land.k} trials{about}",
        f"(n of {land.k}: how many of the {land.k} trials give the field; "
        "missing values are counted, never guessed)",
        "",
        *_status(land),
        *_enrollment(land),
        *_duration(land),
        _timeline(land),
        _counted(land, "Phases", "phases", land.phases, "phase"),
        *_designs(land),
        *_outcomes(land),
        _counted(land, "Sponsor classes", "sponsor_class", land.sponsor_classes, "sponsor_class"),
        _counted(land, "Lead sponsors", "sponsor", land.sponsors, "sponsor"),
        *_places(land),
        _counted(land, "Results posted", "has_results", land.results, "has_results"),
    ]
    return "\n".join(lines)
