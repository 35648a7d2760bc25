#!/usr/bin/env python
"""`make demo`: read the bundled real corpus and summarize it."""

from __future__ import annotations

import simtrials as st


def main() -> None:
    trials = st.datasets.load_trials()
    print(f"simtrials {st.__version__}: {len(trials)} real ClinicalTrials.gov trials bundled\n")
    phases = trials["phases"].explode().fillna("(none)").value_counts()
    print("Trials by phase:\n" + phases.to_string() + "\n")
    print(
        "Trials by status:\n"
        + trials["overall_status"].fillna("(none)").value_counts().to_string()
        + "\n"
    )
    top = trials["conditions"].explode().dropna().str.lower().value_counts().head(15)
    print("Top conditions:\n" + top.to_string())


if __name__ == "__main__":
    main()
