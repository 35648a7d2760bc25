"""The ``simtrials`` command, run as a subprocess (``python -m simtrials``) on real trials.

One index is built per module, into a temporary folder, from two real files in two formats:
a parquet of 66 bundled trials (the trials whose first condition is a stroke, and the judged
candidates of two stroke queries of the bundled relevance set) and the API v2 JSON sample
(10 asthma trials). Every other command reads it. ``fetch`` talks to a local stand-in of the
ClinicalTrials.gov API (tests/ctgov_server.py). Each command that answers a query loads the
model in its own process, so the cheap argument errors are checked in-process with
``cli.main``, and only a representative few as subprocesses.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import simtrials as st
from simtrials import cli, datasets

try:
    from ctgov_server import FakeCTGov, nct_id
except ImportError:  # tests/ imported as a package
    from tests.ctgov_server import FakeCTGov, nct_id

STROKE_CELL = "NCT03735277"  # Hemacord HPC cord blood in acute ischemic stroke
NEIGHBOUR = "NCT02460484"  # autologous cord blood in perinatal arterial ischemic stroke
EVAL_QUERIES = ["NCT03735277", "NCT00716079"]  # the judged stroke queries
SAMPLE = datasets.sample_path("ctgov_studies.json")
SAMPLE_STUDIES = json.loads(SAMPLE.read_text(encoding="utf-8"))
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def run(
    *args: str, cwd: Path | None = None, check: int | None = 0, env: dict | None = None
) -> subprocess.CompletedProcess:
    """``python -m simtrials ARGS``; asserts the exit status when ``check`` is not None."""
    proc = subprocess.run(
        [sys.executable, "-m", "simtrials", *map(str, args)],
        capture_output=True,
        text=True,
        env={**ENV, **(env or {})},
        cwd=cwd,
        timeout=600,
    )
    if check is not None:
        assert proc.returncode == check, (
            f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
    return proc


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The stderr of a failed command: exactly one line, ``simtrials: error: ...``."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr
    errors = [line for line in lines if line.startswith("simtrials: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@pytest.fixture(scope="module")
def judged() -> pd.DataFrame:
    qrels = datasets.load_relevance()
    return qrels[qrels["query"].isin(EVAL_QUERIES)].reset_index(drop=True)


@pytest.fixture(scope="module")
def work(tmp_path_factory, judged) -> dict:
    """Build one index with the CLI from a parquet and a JSON file of real trials."""
    folder = tmp_path_factory.mktemp("cli")
    corpus = datasets.load_trials()
    stroke = corpus["conditions"].map(lambda cs: bool(cs) and "stroke" in cs[0].lower())
    wanted = set(judged["query"]) | set(judged["candidate"])
    chosen = corpus[stroke | corpus["nct_id"].isin(wanted)]
    chosen.to_parquet(folder / "trials.parquet")
    out = folder / "index"
    proc = run("build", folder / "trials.parquet", SAMPLE, "--out", out, "--no-progress")
    expected = set(chosen["nct_id"]) | {nct_id(s) for s in SAMPLE_STUDIES}
    return {"dir": folder, "index": out, "ids": expected, "build": proc}


@pytest.fixture(scope="module")
def loaded(work, embedder) -> st.TrialIndex:
    """The CLI's index, loaded in this process with the session's model."""
    return st.TrialIndex.load(work["index"], embedder=embedder)


# ------------------------------------------------------------------------- build / info


def test_build_reports_on_stderr_and_leaves_stdout_empty(work):
    proc = work["build"]
    assert proc.stdout == ""
    assert f"read {len(work['ids'])} trials from 2 file(s)" in proc.stderr
    assert f"indexed {len(work['ids'])} trials" in proc.stderr
    assert (work["index"] / "manifest.json").is_file()


def test_info_describes_the_saved_index(work):
    info = json.loads(run("info", work["index"], "--format", "json").stdout)
    assert info["trials"] == len(work["ids"])
    assert info["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert info["dimension"] == 384
    assert info["fields"] == {"all": 1.0, "conditions": 1.0, "interventions": 0.0}
    assert info["index_type"] == "Flat" and info["exact"] is True
    assert info["format_version"] == 1
    assert info["size_bytes"] > 0
    text = run("info", work["index"], "--verify").stdout
    assert re.search(rf"^trials\s+{len(work['ids'])}$", text, re.M)
    assert re.search(r"^index type\s+Flat \(exact\)$", text, re.M)
    assert re.search(r"^checksums\s+verified$", text, re.M)


def test_info_calls_a_small_hnsw_index_exact_as_it_searches(work, embedder, tmp_path):
    small = st.TrialIndex.build(
        datasets.load_trials().iloc[:20], embedder=embedder, index="HNSW32", show_progress=False
    )
    small.save(tmp_path / "hnsw")
    info = json.loads(run("info", tmp_path / "hnsw", "--format", "json").stdout)
    assert info["index_type"] == "HNSW32" and info["exact"] is small.exact is True
    text = run("info", tmp_path / "hnsw").stdout
    assert re.search(r"^index type\s+HNSW32 \(exact\)$", text, re.M)


def test_built_index_holds_every_trial_of_both_files(loaded, work):
    assert set(loaded.trials["nct_id"]) == work["ids"]


# ------------------------------------------------------------------------- similar


def test_similar_prints_a_ranked_table(work):
    proc = run("similar", work["index"], STROKE_CELL, "-k", "5")
    lines = proc.stdout.splitlines()
    assert lines[0] == f"5 trials similar to {STROKE_CELL} (of {len(work['ids'])} indexed)"
    assert lines[1].split()[:7] == [
        "rank", "nct_id", "score", "condition", "intervention", "text", "why",
    ]  # fmt: skip
    assert len(lines) == 2 + 5
    assert lines[2].split()[:2] == ["1", NEIGHBOUR]


def test_similar_json_matches_the_python_api(work, loaded):
    proc = run("similar", work["index"], STROKE_CELL, "-k", "6", "--format", "json")
    hits = json.loads(proc.stdout)
    expected = loaded.similar(STROKE_CELL, k=6)
    assert [h["nct_id"] for h in hits] == expected["nct_id"].tolist()
    assert [h["rank"] for h in hits] == list(range(1, 7))
    assert [h["score"] for h in hits] == pytest.approx(expected["score"].tolist(), abs=1e-5)
    first = hits[0]
    assert first["nct_id"] == NEIGHBOUR
    assert set(first) == {str(c) for c in expected.columns}
    for key in ("conditions", "interventions", "phases", "shared_conditions"):
        assert isinstance(first[key], list)
    assert first["shared_conditions"] == ["Perinatal Arterial Ischemic Stroke"]
    assert first["start_date"] == "2015-04-01"  # ISO date
    assert all(
        h["start_date"] is None or re.match(r"^\d{4}-\d\d-\d\d$", h["start_date"]) for h in hits
    )


def test_similar_filters_with_where_and_writes_csv(work, loaded):
    proc = run(
        "similar",
        work["index"],
        STROKE_CELL,
        "-k",
        "4",
        "--where",
        "phases=PHASE2,PHASE3",
        "--where",
        "start_date>=2015-01-01",
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    expected = loaded.similar(
        STROKE_CELL,
        k=4,
        where={"phases": ["PHASE2", "PHASE3"], "start_date": (">=", "2015-01-01")},
    )
    assert [r["nct_id"] for r in rows] == expected["nct_id"].tolist()
    assert len(rows) == 4
    for r in rows:
        assert set(r["phases"].split("; ")) & {"PHASE2", "PHASE3"}
        assert r["start_date"] >= "2015-01-01"
    assert list(rows[0])[:4] == ["rank", "nct_id", "title", "score"]


def test_similar_to_a_draft_in_a_json_file(work):
    draft = {
        "title": "Intravenous umbilical cord blood cells for acute ischemic stroke",
        "conditions": ["Acute Ischemic Stroke"],
        "interventions": ["Umbilical cord blood mononuclear cells"],
    }
    path = work["dir"] / "draft.json"
    path.write_text(json.dumps(draft), encoding="utf-8")
    hits = json.loads(run("similar", work["index"], path, "-k", "3", "--format", "json").stdout)
    assert {STROKE_CELL, NEIGHBOUR} <= {h["nct_id"] for h in hits}
    assert all(h["shared_conditions"] for h in hits)


def test_similar_to_an_api_study_file_leaves_the_study_itself_out(work):
    study = SAMPLE_STUDIES[0]
    path = work["dir"] / "study.json"
    path.write_text(json.dumps([study]), encoding="utf-8")  # a list of one study is fine
    hits = json.loads(run("similar", work["index"], path, "-k", "5", "--format", "json").stdout)
    assert len(hits) == 5 and nct_id(study) not in {h["nct_id"] for h in hits}


# ------------------------------------------------------------------------- search / explain


def test_search_free_text_as_json(work, loaded):
    text = "umbilical cord blood cells after ischemic stroke"
    proc = run("search", work["index"], text, "-k", "3", "--format", "json")
    hits = json.loads(proc.stdout)
    assert [h["nct_id"] for h in hits] == loaded.search(text, k=3)["nct_id"].tolist()
    assert hits[0]["nct_id"] in {STROKE_CELL, NEIGHBOUR}
    assert proc.stderr.strip() == ""  # nothing but results, no progress bars


def test_explain_says_why_two_trials_are_related(work):
    text = run("explain", work["index"], STROKE_CELL, NEIGHBOUR).stdout
    assert text.startswith(f"{NEIGHBOUR} vs {STROKE_CELL}: score ")
    assert "shared conditions: Perinatal Arterial Ischemic Stroke" in text
    assert "shared interventions: Autologous Cord Blood Infusion" in text


def test_explain_a_free_text_query(work):
    data = json.loads(
        run("explain", work["index"], "cord blood for stroke", NEIGHBOUR, "--format", "json").stdout
    )
    assert data["query"] == "'cord blood for stroke'" and data["nct_id"] == NEIGHBOUR
    assert set(data["field_scores"]) == {"all", "conditions", "interventions"}
    assert 0 < data["score"] <= 1
    assert {"cord", "blood", "stroke"} <= set(data["shared_terms"])


# ------------------------------------------------------------------------- errors


@pytest.fixture(scope="module")
def broken(work) -> Path:
    path = work["dir"] / "broken.json"
    path.write_text('[{"protocolSection": ', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["similar", "{index}", "NCT99999999"], 1, "trial 'NCT99999999' is not in the index"),
        (["similar", "{index}", "stem cells"], 2, "neither an NCT ID nor a JSON file"),
        (["similar", "{index}", STROKE_CELL, "-k", "0"], 2, "argument -k"),
        (
            ["similar", "{index}", STROKE_CELL, "--where", "colour=red"],
            2,
            "unknown column 'colour'",
        ),
        (["build", "{dir}/broken.json", "--out", "{dir}/x"], 1, "broken.json"),
        (["info", "{dir}"], 1, "not a saved simtrials index"),
        ([], 2, "required: COMMAND"),
    ],
)
def test_errors_are_one_line_with_the_right_exit_status(work, broken, args, status, message):
    args = [a.format(index=work["index"], dir=work["dir"]) for a in args]
    proc = run(*args, check=status)
    assert message in one_error_line(proc)
    assert proc.stdout == ""


def in_process(args: list[str], capsys) -> tuple[int, str, str]:
    """``cli.main(args)`` in this process: (exit status, stdout, stderr)."""
    try:
        status = cli.main(args)
    except SystemExit as exc:  # argparse errors and --help
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["similar", "{dir}/nowhere", STROKE_CELL], 1, "not a saved simtrials index"),
        (["similar", "{index}", "{dir}/missing.json"], 1, "does not exist"),
        (["similar", "{index}", "{dir}/broken.json"], 1, "cannot read the query file"),
        (["similar", "{index}", STROKE_CELL, "--where", "start_date>=soon"], 2, "expected a date"),
        (["similar", "{index}", STROKE_CELL, "--where", "phases"], 2, "expected COLUMN=VALUE"),
        (["similar", "{index}", STROKE_CELL, "--format", "xml"], 2, "invalid choice: 'xml'"),
        (["search", "{index}", "  "], 2, "the search text is empty"),
        (["explain", "{index}", STROKE_CELL, "nct-1"], 2, "is not an NCT ID"),
        (["build", "{dir}/absent.json", "--out", "{dir}/x"], 1, "no such file"),
        (["build", "{dir}/broken.json"], 2, "required: --out"),
        (
            ["build", "{dir}/t.parquet", "--out", "{dir}/x", "--fields", "colour=1"],
            2,
            "unknown field 'colour'",
        ),
        (["build", "{dir}/t.parquet", "--out", "{dir}/x", "--lexical-weight", "2"], 2, "in [0, 1]"),
        (["eval", "{index}", "--baselines", "tfidf,magic"], 2, "unknown baseline 'magic'"),
        (["eval", "{index}", "--qrels", "{dir}/absent.tsv"], 1, "no such qrels file"),
        (["fetch", "--out", "{dir}/x.json"], 2, "give at least one of --cond"),
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    ],
)
def test_argument_errors(work, broken, capsys, args, status, message):
    args = [a.format(index=work["index"], dir=work["dir"]) for a in args]
    code, out, err = in_process(args, capsys)
    assert code == status
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simtrials: error: ")
    assert message in lines[0]


def test_debug_shows_the_traceback(work):
    proc = run("info", work["dir"], "--debug", check=1)
    assert "Traceback" in proc.stderr and "FileNotFoundError" in proc.stderr


# ------------------------------------------------------------------------- help


def test_help_of_the_command():
    proc = run("--help")
    for command in ("build", "similar", "search", "explain", "eval", "info", "fetch"):
        assert re.search(rf"^\s+{command}\s", proc.stdout, re.M)
    assert "examples:" not in proc.stdout  # examples are in each command's help


@pytest.mark.parametrize(
    "command", ["build", "similar", "search", "explain", "eval", "info", "fetch"]
)
def test_every_subcommand_has_help_with_examples(command, capsys):
    code, out, _ = in_process([command, "--help"], capsys)
    assert code == 0
    assert out.startswith(f"usage: simtrials {command}")
    assert f"examples:\n  simtrials {command}" in out


# ------------------------------------------------------------------------- where parsing


def test_parse_where_builds_the_filters_of_the_python_api():
    assert cli.parse_where(
        [
            "phases=PHASE2,PHASE3",
            "overall_status=RECRUITING",
            "start_date>=2015-01-01",
            "enrollment<500",
            "healthy_volunteers=false",
        ]
    ) == {
        "phases": ["PHASE2", "PHASE3"],
        "overall_status": ["RECRUITING"],
        "start_date": (">=", "2015-01-01"),
        "enrollment": ("<", 500),
        "healthy_volunteers": False,
    }
    assert cli.parse_where(["start_date>=2015-01-01", "start_date<=2020-12-31"]) == {
        "start_date": ("between", "2015-01-01", "2020-12-31")
    }
    assert cli.parse_where(["enrollment=100..200"]) == {"enrollment": ("between", 100, 200)}
    with pytest.raises(cli.UsageError, match="given twice"):
        cli.parse_where(["phases=PHASE2", "phases=PHASE3"])


def test_parse_fields():
    assert cli.parse_fields("all=1,conditions=0.5") == {"all": 1.0, "conditions": 0.5}
    assert cli.parse_fields("title, conditions") == {"title": 1.0, "conditions": 1.0}
    with pytest.raises(cli.UsageError, match="above 0"):
        cli.parse_fields("all=0")
    with pytest.raises(cli.UsageError, match="must be a number"):
        cli.parse_fields("all=heavy")


# ------------------------------------------------------------------------- eval


# ranx compiles its metrics with numba on first use, in every new process (~15 s); for a
# handful of queries plain Python is faster and gives the same numbers.
NO_JIT = {"NUMBA_DISABLE_JIT": "1"}


@pytest.fixture(scope="module")
def has_evaluate() -> None:
    """The eval command needs simtrials.evaluate: its absence is a failure, not a skip."""
    assert callable(getattr(st, "evaluate", None)), "simtrials.evaluate is missing"


def test_eval_on_the_bundled_judgements(work, has_evaluate):
    proc = run("eval", work["index"], check=1)  # the index lacks most judged trials
    assert "lacks trials" in one_error_line(proc)
    proc = run("eval", work["index"], "--skip-missing", "--format", "json", env=NO_JIT)
    assert "simtrials: warning:" in proc.stderr and "left out" in proc.stderr
    assert "rerank mode, 2 judged queries, 95% bootstrap CI" in proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["metric"] for r in rows][:4] == ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10"]
    assert {"map", "mrr"} <= {r["metric"] for r in rows}
    for r in rows:
        assert 0 <= r["ci_low"] <= r["value"] <= r["ci_high"] <= 1


def test_eval_reads_the_bundled_judgements_of_its_mode():
    # re-rank: the pools other methods chose; retrieve: every judged pair, as `make eval` does
    from simtrials.cli.evaluate import read_qrels

    rerank, every = read_qrels(None, "rerank"), read_qrels(None, "retrieve")
    assert set(rerank["pool"]) == {"rerank"}
    assert len(every) > len(rerank) and set(every["pool"]) > {"rerank"}
    assert rerank["query"].nunique() < every["query"].nunique()


def test_eval_compares_with_baselines_on_a_qrels_file(work, judged, has_evaluate):
    qrels = work["dir"] / "qrels.csv"
    judged.to_csv(qrels, index=False)  # CSV or TSV
    proc = run(
        "eval", work["index"], "--qrels", qrels, "--baselines", "tfidf", "-k", "5", env=NO_JIT
    )
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:5] == ["system", "metric", "value", "ci_low", "ci_high"]
    assert re.search(r"^\s*simtrials\s+ndcg@5\s+0\.\d{3}\s", proc.stdout, re.M)
    assert re.search(r"^\s*tfidf\s+ndcg@5\s+0\.\d{3}\s", proc.stdout, re.M)
    ours = [line.split() for line in lines[1:] if line.split()[0] == "simtrials"]
    assert ours and all(float(row[5]) == 0 for row in ours)  # diff of the reference is 0
    assert "rerank mode, 2 judged queries" in proc.stderr


# ------------------------------------------------------------------------- fetch


@pytest.fixture
def server():
    pytest.importorskip("requests")
    with FakeCTGov(SAMPLE_STUDIES) as srv:
        yield srv


def test_fetch_writes_a_json_list_that_read_ctgov_reads(server, tmp_path):
    out = tmp_path / "asthma.json"
    proc = run(
        "fetch",
        "--cond",
        "asthma",
        "--status",
        "COMPLETED,RECRUITING",
        "--max",
        "3",
        "--out",
        out,
        "--base-url",
        server.base_url,
        "--cache-dir",
        tmp_path / "cache",
        "--no-progress",
    )
    studies = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(studies, list) and len(studies) == 3
    assert f"wrote 3 studies to {out}" in proc.stderr and proc.stdout == ""
    trials = st.read_ctgov(out)
    assert trials["nct_id"].tolist() == [nct_id(s) for s in studies]
    assert set(trials["overall_status"]) <= {"COMPLETED", "RECRUITING"}
    first = server.log[0].params
    assert first["query.cond"] == "asthma"
    assert set(re.split(r"[,|]", first["filter.overallStatus"])) == {"COMPLETED", "RECRUITING"}
    assert not list(tmp_path.glob(".asthma.json.*"))  # no temporary file left behind


def test_fetch_to_stdout_and_its_errors(server, tmp_path):
    proc = run("fetch", "--intr", "a", "--out", "-", "--base-url", server.base_url, "--no-cache")
    studies = json.loads(proc.stdout)
    assert len(studies) == len(
        [
            s
            for s in SAMPLE_STUDIES
            if any(
                "a" in i.get("name", "").lower()
                for i in s["protocolSection"]
                .get("armsInterventionsModule", {})
                .get("interventions", [])
            )
        ]
    )
    proc = run("fetch", "--out", tmp_path / "x.json", check=2)
    assert "give at least one of --cond" in one_error_line(proc)
    server.add_fault(status=400, body="bad request", times=5)
    proc = run(
        "fetch",
        "--cond",
        "asthma",
        "--out",
        tmp_path / "y.json",
        "--base-url",
        server.base_url,
        "--no-cache",
        check=1,
    )
    assert "400" in one_error_line(proc)
    assert not (tmp_path / "y.json").exists()


def test_similar_with_focus_and_the_landscape_command(work, loaded, tmp_path):
    proc = run("similar", work["index"], STROKE_CELL, "-k", "5", "--focus", "intervention",
               "--format", "json")  # fmt: skip
    hits = json.loads(proc.stdout)
    expected = loaded.similar(STROKE_CELL, k=5, focus="intervention")
    assert [h["nct_id"] for h in hits] == expected["nct_id"].tolist()
    assert hits[0]["intervention_match"] == expected["intervention_match"].iloc[0]
    bad = run("similar", work["index"], STROKE_CELL, "--focus", "drug", check=2)
    assert "--focus" in bad.stderr
    text = run("landscape", work["index"], STROKE_CELL, "-k", "20").stdout
    assert text.startswith(f"Landscape of 20 trials related to {STROKE_CELL}")
    out = tmp_path / "landscape.png"
    proc = run("landscape", work["index"], STROKE_CELL, "-k", "20", "--format", "json",
               "--plot", str(out))  # fmt: skip
    tables = json.loads(proc.stdout)
    assert tables["k"] == 20 and "status" in tables
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
