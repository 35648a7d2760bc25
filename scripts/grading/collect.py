"""Join graders' answers with the packet key into judged pairs with a ``pool`` label.

    python scripts/grading/collect.py OUT_DIR POOL_LABEL ANSWERS.tsv [ANSWERS.tsv ...] > pairs.tsv

Each answers file has lines ``pair_id<TAB>grade<TAB>reason``. Every pair of ``key.tsv`` must
be answered exactly once with a grade in {0, 1, 2}; anything else is an error. Pairs mixed in
as checks (``make_packets --check``) are compared with their earlier grade (printed to
stderr) and left out of the output.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def main() -> None:
    out, pool, *answers = sys.argv[1:]
    key = pd.read_csv(Path(out) / "key.tsv", sep="\t")
    rows = []
    for path in answers:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or not line.startswith("P"):
                continue
            pair_id, grade, reason = (line.split("\t") + ["", ""])[:3]
            rows.append({"pair_id": pair_id.strip(), "grade": int(grade), "reason": reason.strip()})
    got = pd.DataFrame(rows)
    if got["pair_id"].duplicated().any() or set(got["pair_id"]) != set(key["pair_id"]):
        missing = sorted(set(key["pair_id"]) - set(got["pair_id"]))
        raise SystemExit(f"answers do not cover the key exactly once (missing: {missing[:10]})")
    if not got["grade"].isin([0, 1, 2]).all():
        raise SystemExit("a grade is not 0, 1 or 2")
    merged = key.merge(got, on="pair_id").sort_values(["query", "candidate"])
    check = merged[merged["check_grade"].notna()]
    if len(check):
        same = int((check["grade"] == check["check_grade"].astype(int)).sum())
        near = int(((check["grade"] - check["check_grade"].astype(int)).abs() <= 1).sum())
        print(
            f"re-graded pairs: {same} of {len(check)} the same grade, {near} within one",
            file=sys.stderr,
        )
    merged = merged[merged["check_grade"].isna()]
    merged["pool"] = pool
    merged[["query", "candidate", "grade", "reason", "pool"]].to_csv(
        sys.stdout, sep="\t", index=False
    )


if __name__ == "__main__":
    main()
