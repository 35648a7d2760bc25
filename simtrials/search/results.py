"""``Hits``: the ranked results of a search, a pandas DataFrame that reads at a glance."""

from __future__ import annotations

import html

import pandas as pd

from ..textfmt import short as _short

__all__ = ["Hits", "HIT_COLUMNS", "RECORD_COLUMNS", "REGISTRY_URL"]

#: Where a trial's registry page lives (its NCT ID appended).
REGISTRY_URL = "https://clinicaltrials.gov/study/"

#: The columns a hit copies from the trial's record.
RECORD_COLUMNS = (
    "phases",
    "overall_status",
    "study_type",
    "start_date",
    "conditions",
    "interventions",
)
#: The columns of a :class:`Hits` table, in order (see ``TrialIndex.similar``).
HIT_COLUMNS = (
    "rank",
    "nct_id",
    "title",
    "score",
    "condition_match",
    "intervention_match",
    # score_condition, score_intervention, score_text, score_<field> ..., score_lexical here
    "shared_conditions",
    "shared_interventions",
    *RECORD_COLUMNS,
)


class Hits(pd.DataFrame):
    """Ranked similar trials, best first: a DataFrame with a compact display.

    All columns keep their full values (lists stay lists); only the printed and Jupyter views
    are shortened: long titles and lists are cut, scores shown with 3 decimals, and the
    record columns (conditions, interventions) left out. ``hits.to_frame()`` or
    ``pd.DataFrame(hits)`` gives a plain DataFrame.
    """

    _metadata = ["query"]

    @property
    def _constructor(self):
        return Hits

    def to_frame(self) -> pd.DataFrame:
        """The hits as a plain pandas DataFrame."""
        return pd.DataFrame(self)

    def landscape(self, trials: pd.DataFrame | None = None, *, embedder=None, **options):
        """What these trials tell a designer (:func:`simtrials.landscape.summarize`): pass
        the index's records (``index.trials``) for every field; without them only the hits'
        own columns are read and the other figures say "not available"."""
        from ..landscape import of_hits

        return of_hits(self, trials, embedder=embedder, **options)

    def _compact(self, *, scores: bool = True) -> pd.DataFrame:
        df = pd.DataFrame(self)
        if "nct_id" not in df.columns:
            return df
        hidden = {"conditions", "interventions", "study_type"}
        if not scores:
            hidden |= {c for c in df.columns if c.startswith("score_")}
        keep = [c for c in df.columns if c not in hidden]
        view = df[keep].copy()
        for col in view.columns:
            if col == "title":
                view[col] = view[col].map(lambda v: _short(v, 60 if scores else 50))
            elif col.startswith("score"):
                view[col] = view[col].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
            elif col in ("shared_conditions", "shared_interventions", "phases"):
                view[col] = view[col].map(lambda v: _short(v, 30 if scores else 28))
            elif col in ("condition_match", "intervention_match"):
                view[col] = view[col].map(lambda v: _short(v, 40 if scores else 36))
            elif col == "start_date":
                view[col] = view[col].dt.strftime("%Y-%m").fillna("")
        return view.set_index("rank") if "rank" in view.columns else view

    def __repr__(self) -> str:
        if "nct_id" not in self.columns:
            return super().__repr__()
        head = f"{len(self)} similar trials" + (
            f" to {self.query}" if getattr(self, "query", None) else ""
        )
        n_scores = sum(c.startswith("score_") for c in self.columns)
        tail = (
            f"\n(+ {n_scores} score_* columns; hits.to_frame() shows every column)"
            if n_scores
            else ""
        )
        with pd.option_context(
            "display.width", 200, "display.max_columns", 30, "display.max_colwidth", 60
        ):
            return head + "\n" + repr(self._compact(scores=False)) + tail

    def _repr_html_(self) -> str:
        if "nct_id" not in self.columns:
            return super()._repr_html_()
        head = (
            f"<p><b>{len(self)} similar trials</b>"
            + (f" to {self.query}" if getattr(self, "query", None) else "")
            + "</p>"
        )
        view = self._compact()
        if "nct_id" in view.columns:  # each NCT ID links to its registry page
            view["nct_id"] = [
                f'<a href="{REGISTRY_URL}{n}" target="_blank">{html.escape(str(n))}</a>'
                for n in view["nct_id"]
            ]
            escaped = view.drop(columns="nct_id").map(
                lambda v: html.escape(v) if isinstance(v, str) else v
            )
            escaped.insert(0, "nct_id", view["nct_id"])
            return head + escaped.to_html(escape=False)
        return head + view.to_html(escape=True)
