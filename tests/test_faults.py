"""Faults: saves killed by SIGKILL, corrupted index files, no unpickling, threads, and
failures inside add/update. Every index holds real trials of the bundled corpus.

The killed saves run ``tests/faults_helper.py`` in subprocesses: each loads a saved index,
removes one trial and saves over the old index, dying at a chosen point of the save (or
killed from outside after a delay). Whatever the point, the directory must load, and answer
exactly as the old index (killed before the commit) or the new one (after it); the next
save removes the leftovers.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from faults_helper import (
    COMMITTED,
    POINTS,
    QUERIES,
    TEXT_QUERY,
    fingerprint,
    small_trials,
    write_model,
)

import simtrials as st
from simtrials import persist
from simtrials.errors import IndexFormatError, ModelMismatchError
from simtrials.index.itemsets import ItemSets
from simtrials.index.lexical import LexicalIndex
from simtrials.index.vectors import FieldVectors

HELPER = Path(__file__).with_name("faults_helper.py")
DELAYS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.15)  # seconds after the save started
SCENARIOS = (*POINTS, *(f"delay-{d}" for d in DELAYS), "none")
DATA_DIR = re.compile(r"data-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def trials(corpus) -> pd.DataFrame:
    return small_trials(corpus)


@pytest.fixture(scope="module")
def removed(trials) -> str:
    """The real trial the helper removes before it re-saves (not one of the queries)."""
    return next(n for n in trials["nct_id"] if n not in QUERIES)


@pytest.fixture(scope="module")
def built(trials, embedder) -> st.TrialIndex:
    return st.TrialIndex.build(trials, embedder=embedder, show_progress=False)


@pytest.fixture(scope="module")
def saved(built, tmp_path_factory) -> Path:
    return built.save(tmp_path_factory.mktemp("saved") / "index")


@pytest.fixture(scope="module")
def old_new(built, saved, removed, embedder) -> tuple[list, list]:
    """Fingerprints of the index before the helper's save and after it."""
    new = st.TrialIndex.load(saved, embedder=embedder).remove(removed)
    old = fingerprint(built)
    assert fingerprint(new) != old
    return old, fingerprint(new)


def _copy(saved: Path, dst: Path) -> Path:
    shutil.copytree(saved, dst)
    return dst


def _manifest(path: Path) -> dict:
    return json.loads((path / persist.MANIFEST).read_text(encoding="utf-8"))


def _data_files(path: Path) -> list[Path]:
    return sorted((path / _manifest(path)["data_dir"]).iterdir())


def _rewrite_manifest(path: Path, change) -> None:
    """Apply ``change`` to the manifest and write it back with valid checksums (as a forger would)."""
    manifest = _manifest(path)
    change(manifest)
    folder = path / manifest["data_dir"]
    if folder.is_dir():
        manifest["files"] = {
            f: persist.sha256_file(folder / f) for f in manifest["files"] if (folder / f).is_file()
        }
    manifest["manifest_sha256"] = persist._manifest_digest(manifest)
    (path / persist.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


# ------------------------------------------------------------------ killed saves


@pytest.fixture(scope="module")
def killed_saves(saved, removed, tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Every scenario run once, each on its own copy of the saved index, by one subprocess."""
    root = tmp_path_factory.mktemp("killed")
    dirs = {s: _copy(saved, root / s) for s in SCENARIOS}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    jobs = [f"{dirs[s]}:{s}" for s in SCENARIOS]
    proc = subprocess.run(
        [sys.executable, str(HELPER), str(saved), removed, *jobs],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    runs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [r["scenario"] for r in runs] == list(SCENARIOS), proc.stdout + proc.stderr
    return {r["scenario"]: (dirs[r["scenario"]], r) for r in runs}


# What each kill point leaves behind (a name pattern that must be present).
LEFTOVERS = {
    "torn-write": r"data-[0-9a-f]{12}\.partial",
    "after-files": r"data-[0-9a-f]{12}\.partial",
    "before-data-rename": r"data-[0-9a-f]{12}\.partial",
    "torn-manifest": r"manifest\.json\.[0-9a-f]{12}\.tmp",
    "before-commit": r"manifest\.json\.[0-9a-f]{12}\.tmp",
}
TWO_DATA_DIRS = {"after-data-rename", "after-commit", "during-cleanup"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_killed_save_leaves_old_or_new_index_and_next_save_cleans_up(
    killed_saves, old_new, embedder, scenario
):
    path, run = killed_saves[scenario]
    old, new = old_new
    assert run["started"]
    finished = run["exit"] == 0
    if scenario == "none":
        assert finished, run
    elif scenario in POINTS:
        assert run["signal"] == signal.SIGKILL, run
    else:  # killed from outside after a delay, or finished before the kill came
        assert finished or run["signal"] == signal.SIGKILL, run

    names = sorted(p.name for p in path.iterdir())
    if scenario in LEFTOVERS:
        assert any(re.fullmatch(LEFTOVERS[scenario], n) for n in names), names
    if scenario in TWO_DATA_DIRS:
        assert sum(bool(DATA_DIR.fullmatch(n)) for n in names) == 2, names

    loaded = st.TrialIndex.load(path, embedder=embedder)
    got = fingerprint(loaded)
    if scenario in COMMITTED or finished:
        assert got == new
    elif scenario in POINTS:
        assert got == old
    else:
        assert got in (old, new)

    loaded.save(path)  # the next save removes every leftover
    names = sorted(p.name for p in path.iterdir())
    assert len(names) == 2 and DATA_DIR.fullmatch(names[0]) and names[1] == "manifest.json"
    assert fingerprint(st.TrialIndex.load(path, embedder=embedder)) == got


def test_save_into_a_folder_with_other_files_leaves_them_alone(built, tmp_path):
    """The cleanup removes only the names a save makes (it used to remove any data-* folder)."""
    (tmp_path / "data-raw").mkdir()
    (tmp_path / "data-raw" / "export.csv").write_text("NCT Number\n", encoding="utf-8")
    (tmp_path / "manifest.json.backup.tmp").write_text("{}", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    built.save(tmp_path)
    built.save(tmp_path)
    assert (tmp_path / "data-raw" / "export.csv").is_file()
    assert (tmp_path / "manifest.json.backup.tmp").is_file()
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sum(bool(DATA_DIR.fullmatch(p.name)) for p in tmp_path.iterdir()) == 1


# ------------------------------------------------------------------ corruption


def test_flipped_byte_in_any_data_file_is_detected(saved, tmp_path, embedder):
    path = _copy(saved, tmp_path / "index")
    flips = 0
    for f in _data_files(path):
        original = f.read_bytes()
        for offset in sorted({0, len(original) // 2, len(original) - 1} if original else set()):
            bad = bytearray(original)
            bad[offset] ^= 0x01
            f.write_bytes(bytes(bad))
            with pytest.raises(IndexFormatError, match=rf"file {re.escape(f.name)} is corrupted"):
                st.TrialIndex.load(path, embedder=embedder)
            flips += 1
        f.write_bytes(original)
    assert flips >= 30
    st.TrialIndex.load(path, embedder=embedder)  # restored: loads again


def test_flipped_byte_anywhere_in_the_manifest_is_detected_or_harmless(
    saved, tmp_path, embedder, old_new
):
    """Each of the manifest's bytes flipped in turn: an IndexFormatError, never other answers.

    Before the manifest had a checksum of its own, a flipped digit in a weight, a cap or a
    count loaded silently and changed every score.
    """
    path = _copy(saved, tmp_path / "index")
    mpath = path / persist.MANIFEST
    original = mpath.read_bytes()
    detected = harmless = 0
    for offset in range(len(original)):
        bad = bytearray(original)
        bad[offset] ^= 0x01
        mpath.write_bytes(bytes(bad))
        try:
            persist.read_manifest(path)
            index = st.TrialIndex.load(path, embedder=embedder)
        except IndexFormatError:
            detected += 1
            continue
        assert fingerprint(index) == old_new[0], f"byte {offset}: loaded with other answers"
        harmless += 1  # the flip hit the name of the manifest's own checksum: content intact
    assert detected >= len(original) - 20 and harmless <= 20


def test_changed_weight_in_the_manifest_is_detected(saved, tmp_path, embedder):
    path = _copy(saved, tmp_path / "index")
    text = (path / persist.MANIFEST).read_text(encoding="utf-8")
    changed = re.sub(r'"lexical_weight": [0-9.]+', '"lexical_weight": 0.9', text)
    assert changed != text
    (path / persist.MANIFEST).write_text(changed, encoding="utf-8")
    with pytest.raises(IndexFormatError, match="manifest.json is corrupted"):
        st.TrialIndex.load(path, embedder=embedder)


@pytest.mark.parametrize("damage", ["truncated", "missing", "empty"])
def test_truncated_missing_or_empty_file_is_detected(saved, tmp_path, embedder, damage):
    path = _copy(saved, tmp_path / "index")
    files = _data_files(path)
    for f in files:
        original = f.read_bytes()
        if damage == "truncated":
            if not original:
                continue
            f.write_bytes(original[: len(original) // 2])
        elif damage == "missing":
            f.unlink()
        else:
            f.write_bytes(b"")
        word = "missing" if damage == "missing" else "corrupted"
        if damage == "empty" and not original:
            st.TrialIndex.load(path, embedder=embedder)  # an empty file that was empty is fine
        else:
            with pytest.raises(IndexFormatError, match=rf"{re.escape(f.name)} is {word}"):
                st.TrialIndex.load(path, embedder=embedder)
        f.write_bytes(original)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("no manifest", "manifest.json is missing"),
        ("manifest truncated", "manifest.json is corrupted"),
        ("manifest not an object", "expected a JSON object"),
        ("no data folder", "data folder .* is missing"),
        ("newer format", "newer simtrials"),
        ("no format version", "no format_version"),
        ("data folder outside", "bad data folder name"),
        ("file outside", "bad file list"),
    ],
)
def test_damaged_manifest_or_folder_is_a_clear_error(saved, tmp_path, embedder, damage, message):
    path = _copy(saved, tmp_path / "index")
    mpath = path / persist.MANIFEST
    if damage == "no manifest":
        mpath.unlink()
    elif damage == "manifest truncated":
        mpath.write_bytes(mpath.read_bytes()[:100])
    elif damage == "manifest not an object":
        mpath.write_text("[1, 2]", encoding="utf-8")
    elif damage == "no data folder":
        shutil.rmtree(path / _manifest(path)["data_dir"])
    elif damage == "newer format":
        _rewrite_manifest(path, lambda m: m.update(format_version=persist.FORMAT_VERSION + 1))
    elif damage == "no format version":
        _rewrite_manifest(path, lambda m: m.pop("format_version"))
    elif damage == "data folder outside":
        outside = tmp_path / "elsewhere"
        shutil.copytree(path / _manifest(path)["data_dir"], outside)
        _rewrite_manifest(path, lambda m: m.update(data_dir="../elsewhere"))
    elif damage == "file outside":
        (tmp_path / "x.json").write_text("[]", encoding="utf-8")
        _rewrite_manifest(
            path,
            lambda m: m["files"].update({"../../x.json": persist.sha256_file(tmp_path / "x.json")}),
        )
    with pytest.raises(IndexFormatError, match=message):
        st.TrialIndex.load(path, embedder=embedder)


def test_index_of_another_model_is_a_model_mismatch(saved, tmp_path, embedder):
    """The manifest says another model built the vectors (its fingerprint differs)."""
    path = _copy(saved, tmp_path / "index")
    _rewrite_manifest(path, lambda m: m["model"].update(fingerprint="0123456789abcdef"))
    with pytest.raises(ModelMismatchError, match="different vectors"):
        st.TrialIndex.load(path, embedder=embedder)


@pytest.fixture(scope="module")
def other_model(tmp_path_factory) -> st.Embedder:
    """A real 384-dimensional model other than the default: same dimension, other vectors."""
    path = write_model(tmp_path_factory.mktemp("models") / "minilm-dense384", 384, seed=1)
    return st.Embedder(path)


def test_loading_with_a_different_model_of_the_same_dimension_is_a_model_mismatch(
    saved, other_model
):
    assert other_model.dimension == 384
    with pytest.raises(ModelMismatchError, match="different vectors"):
        st.TrialIndex.load(saved, embedder=other_model)
    with pytest.raises(ModelMismatchError, match="different vectors"):
        st.TrialIndex.load(saved, model=other_model.name)


# ------------------------------------------------------------------ no pickle


def test_load_never_unpickles(saved, built, embedder, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("TrialIndex.load unpickled something")

    real_np_load = np.load

    def np_load(*args, allow_pickle=False, **kwargs):
        if allow_pickle:
            raise AssertionError("TrialIndex.load called numpy.load with allow_pickle=True")
        return real_np_load(*args, allow_pickle=False, **kwargs)

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(np, "load", np_load)
    loaded = st.TrialIndex.load(saved, embedder=embedder)
    monkeypatch.undo()
    assert fingerprint(loaded) == fingerprint(built)


def test_no_saved_file_is_a_pickle(saved):
    import zipfile

    def is_pickle(data: bytes) -> bool:
        return len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5

    files = [saved / persist.MANIFEST, *_data_files(saved)]
    for f in files:
        data = f.read_bytes()
        assert not is_pickle(data), f.name
        if f.suffix == ".npz":
            with zipfile.ZipFile(f) as zf:
                for member in zf.namelist():
                    assert not is_pickle(zf.read(member)), f"{f.name}!{member}"
        if f.suffix in (".npy", ".npz"):
            np.load(f, allow_pickle=False)  # no object arrays inside


class _Payload:
    """Unpickling this creates a file: the proof that something was unpickled."""

    marker: Path

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickle_planted_in_the_index_is_refused_not_run(saved, tmp_path, embedder):
    path = _copy(saved, tmp_path / "index")
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = marker
    lexical = path / _manifest(path)["data_dir"] / "lexical.npz"
    with np.load(lexical, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["data"] = np.array([payload], dtype=object)
    with open(lexical, "wb") as fh:
        np.savez(fh, **arrays)
    _rewrite_manifest(path, lambda m: None)  # checksums that match the planted file
    with pytest.raises(IndexFormatError, match="cannot read the saved index"):
        st.TrialIndex.load(path, embedder=embedder)
    assert not marker.exists()


# ------------------------------------------------------------------ threads


TEXTS = (TEXT_QUERY, "knee osteoarthritis pain", "vaccine immunogenicity in healthy adults")


def _ask(index: st.TrialIndex, key: tuple) -> pd.DataFrame:
    kind, arg = key
    if kind == "similar":
        return pd.DataFrame(index.similar(arg, k=10))
    if kind == "search":
        return pd.DataFrame(index.search(arg, k=10))
    return pd.DataFrame(index.similar(arg, k=10, where={"study_type": "INTERVENTIONAL"}))


def test_queries_from_8_threads_equal_serial_answers(built, trials):
    keys = [("similar", q) for q in trials["nct_id"].iloc[::5]] + [("search", t) for t in TEXTS]
    keys += [("where", QUERIES[0])]
    serial = {key: _ask(built, key) for key in keys}
    barrier = threading.Barrier(8)
    results: list = []
    errors: list = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            for key in (keys[i:] + keys[:i]) * 2:
                results.append((key, _ask(built, key)))
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    assert len(results) == 8 * 2 * len(keys)
    for key, got in results:
        pd.testing.assert_frame_equal(got, serial[key], obj=str(key))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a["nct_id"].tolist() == b["nct_id"].tolist() and np.allclose(
        a["score"].astype(float), b["score"].astype(float), atol=1e-6
    )


def test_add_and_remove_during_queries_answer_before_or_after(
    trials, removed, embedder, built, tmp_path
):
    index = st.TrialIndex.build(trials, embedder=embedder, show_progress=False)
    record = trials[trials["nct_id"] == removed]
    keys = [("similar", QUERIES[0]), ("similar", QUERIES[1]), ("search", TEXT_QUERY)]
    before = {key: _ask(index, key) for key in keys}
    index.remove(removed)
    after = {key: _ask(index, key) for key in keys}
    index.add(record)
    assert all(not _same(before[k], after[k]) for k in keys[2:])  # the change is visible
    stop = threading.Event()
    errors: list = []
    answers = {"before": 0, "after": 0}

    saves: list[Path] = []

    def mutate() -> None:
        try:
            for i in range(8):
                index.remove(removed)
                time.sleep(0.005)
                index.add(record)
                if i % 3 == 0:  # and saves in between, from a third thread
                    saver = threading.Thread(
                        target=lambda n=i: saves.append(index.save(tmp_path / f"s{n}"))
                    )
                    saver.start()
                    savers.append(saver)
                time.sleep(0.005)
        except Exception as exc:
            errors.append(f"mutator: {exc!r}")
        finally:
            stop.set()

    def read() -> None:
        try:
            while not stop.is_set():
                for key in keys:
                    got = _ask(index, key)
                    if _same(got, before[key]):
                        answers["before"] += 1
                    elif _same(got, after[key]):
                        answers["after"] += 1
                    else:
                        errors.append(f"{key}: neither the before nor the after answer")
        except Exception as exc:
            errors.append(f"reader: {exc!r}")

    savers: list[threading.Thread] = []
    threads = [threading.Thread(target=read) for _ in range(4)] + [threading.Thread(target=mutate)]
    for t in threads:
        t.start()
    for t in threads + savers:
        t.join(timeout=300)
    assert not errors, errors[:3]
    assert answers["before"] + answers["after"] >= 4
    assert fingerprint(index) == fingerprint(built)  # back where it started
    assert len(saves) == 3
    for path in saves:  # each save holds one consistent state
        loaded = st.TrialIndex.load(path, embedder=embedder)
        got = _ask(loaded, keys[2])
        assert _same(got, before[keys[2]]) or _same(got, after[keys[2]])


# ------------------------------------------------------------------ failures inside add / update


def _fail_on_call(monkeypatch, cls, name: str, call: int = 1) -> None:
    """Make ``cls.name`` raise on its ``call``-th call (1-based)."""
    real = getattr(cls, name)
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise RuntimeError(f"injected fault in {cls.__name__}.{name}")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, failing)


# Fields are added in the order all, conditions (an ItemSets, whose item vectors are a
# FieldVectors of their own), interventions; then the lexical counts.


@pytest.mark.parametrize(
    ("cls", "name", "call"),
    [
        pytest.param(st.Embedder, "encode", 2, id="encode"),
        pytest.param(FieldVectors, "add", 1, id="vectors-first-field"),
        pytest.param(FieldVectors, "add", 2, id="condition-item-vectors"),
        pytest.param(ItemSets, "add", 1, id="condition-sets"),
        pytest.param(FieldVectors, "add", 3, id="vectors-last-field"),
        pytest.param(LexicalIndex, "add", 1, id="lexical"),
    ],
)
def test_fault_inside_add_leaves_the_index_unchanged(
    trials, removed, embedder, built, monkeypatch, cls, name, call
):
    extra = trials[trials["nct_id"].isin([removed, *trials["nct_id"].iloc[-4:]])]
    extra = extra[~extra["nct_id"].isin(QUERIES)]
    index = st.TrialIndex.build(
        trials[~trials["nct_id"].isin(extra["nct_id"])], embedder=embedder, show_progress=False
    )
    before = fingerprint(index)
    _fail_on_call(monkeypatch, cls, name, call)
    with pytest.raises(RuntimeError, match="injected fault"):
        index.add(extra)
    monkeypatch.undo()
    assert fingerprint(index) == before
    index.add(extra)  # and it still grows to what a fresh build gives
    assert fingerprint(index) == fingerprint(built)


def test_fault_inside_update_leaves_the_index_unchanged(trials, embedder, monkeypatch):
    index = st.TrialIndex.build(trials, embedder=embedder, show_progress=False)
    before = fingerprint(index)
    changed = trials[trials["nct_id"] == QUERIES[1]].copy()
    changed["title"] = "Umbilical cord blood cells for acute ischemic stroke (updated)"
    _fail_on_call(monkeypatch, FieldVectors, "add", 1)
    with pytest.raises(RuntimeError, match="injected fault"):
        index.update(changed)
    monkeypatch.undo()
    assert fingerprint(index) == before
