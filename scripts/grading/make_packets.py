"""Write grading packets for (query, candidate) pairs: the two records and nothing else.

    python scripts/grading/make_packets.py PAIRS.tsv OUT_DIR [--parts N]

``PAIRS.tsv`` has columns ``query, candidate`` (any other column is ignored and never
written to a packet). The pairs are shuffled with a fixed seed, numbered, and split into
``N`` packet files ``OUT_DIR/packet-<i>.md`` (each preceded by ``PROMPT.md``) plus
``OUT_DIR/key.tsv`` (pair_id -> query, candidate) for :mod:`collect`. ``--check N`` mixes
in N pairs graded before, unannounced (their old grade is kept in the key, never in a
packet), so that :mod:`collect` can report how often the new grading agrees. A grader sees the
prompt and the two records of each pair: never a score, a rank or a system name.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import simtrials as st

HERE = Path(__file__).resolve().parent


def describe(rec: pd.Series) -> str:
    """The fields the original grading showed: title, conditions, interventions, phases, summary."""
    types = list(rec["intervention_types"])
    items = [
        f"{types[i] if i < len(types) else 'OTHER'}: {name}"
        for i, name in enumerate(rec["interventions"])
    ]
    summary = "" if pd.isna(rec["brief_summary"]) else str(rec["brief_summary"])[:900]
    return "\n".join(
        [
            f"- Title: {rec['title']}",
            f"- Conditions: {'; '.join(rec['conditions']) or '(none listed)'}",
            f"- Interventions: {'; '.join(items) or '(none listed)'}",
            f"- Phases: {', '.join(rec['phases']) or '(not given)'}",
            f"- Summary: {summary or '(none)'}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--parts", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument(
        "--check", type=int, default=0, help="mix in this many already-judged pairs, unannounced"
    )
    args = parser.parse_args()
    pairs = pd.read_csv(args.pairs, sep="\t")[["query", "candidate"]].drop_duplicates()
    pairs["check_grade"] = pd.NA
    if args.check:
        judged = st.datasets.load_relevance().sample(args.check, random_state=args.seed)
        judged = judged.rename(columns={"grade": "check_grade"})[pairs.columns]
        pairs = pd.concat([pairs, judged], ignore_index=True)
    pairs = pairs.sample(frac=1.0, random_state=args.seed).reset_index(drop=True)
    pairs.insert(0, "pair_id", [f"P{i:04d}" for i in range(len(pairs))])
    trials = st.datasets.load_trials().set_index("nct_id")
    prompt = (HERE / "PROMPT.md").read_text(encoding="utf-8")
    args.out.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(args.out / "key.tsv", sep="\t", index=False)
    for part in range(args.parts):
        chunk = pairs.iloc[part :: args.parts]
        blocks = [prompt, f"\n# Pairs ({len(chunk)})\n"]
        for row in chunk.itertuples(index=False):
            blocks.append(
                f"\n## {row.pair_id}\n\n### QUERY\n{describe(trials.loc[row.query])}\n\n"
                f"### CANDIDATE\n{describe(trials.loc[row.candidate])}\n"
            )
        (args.out / f"packet-{part + 1}.md").write_text("".join(blocks), encoding="utf-8")
    print(f"{len(pairs)} pairs in {args.parts} packets under {args.out}")


if __name__ == "__main__":
    main()
