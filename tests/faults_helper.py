"""Fault helper: saves of a real index killed by SIGKILL at chosen points (a script).

Run by ``tests/test_faults.py`` as a subprocess::

    python tests/faults_helper.py SAVED_DIR REMOVE_ID DIR:SCENARIO [DIR:SCENARIO ...]

It loads the index saved in ``SAVED_DIR`` (real trials, saved by the test) and removes the
trial ``REMOVE_ID``, so that a new save differs from the old one without encoding anything.
Then, for each ``DIR:SCENARIO`` (``DIR`` holds a copy of the old saved index), it forks a
child process that saves the index over ``DIR`` and is killed with ``SIGKILL``: by itself at
a point of the save (``SCENARIO`` one of :data:`POINTS`), or by this process ``delay-<s>``
seconds after the save started; ``none`` saves normally. One JSON line per scenario reports
how the child ended. Forking saves re-importing the library and re-reading the index for
each kill (the import alone takes seconds on a busy machine).

The subprocess never loads the model: it passes :class:`SavedModel`, which carries the
identity the manifest recorded (name, dimension, fingerprint), so a save writes the same
model section; the test loads every result with the real model.

The module also holds what the fault and bad-input tests share: the choice of real trials
for the small test indexes, the :func:`fingerprint` of an index's answers, and
:func:`write_model` (a real model other than the default).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

QUERIES = ("NCT03735277", "NCT02460484")  # real cord-blood / stroke trials of the corpus
TEXT_QUERY = "umbilical cord blood cells for acute ischemic stroke"

# Where a save can be killed, in the order they happen.
POINTS = (
    "torn-write",  # half of the first data file written (then fsync), inside data-*.partial
    "after-files",  # every data file written and checksummed, folder still *.partial
    "before-data-rename",  # just before data-*.partial becomes data-*
    "after-data-rename",  # complete data-* folder, no new manifest yet
    "torn-manifest",  # half of manifest.json.*.tmp written
    "before-commit",  # complete manifest tmp, just before os.replace(tmp, manifest.json)
    "after-commit",  # new manifest in place, old data folder not removed yet
    "during-cleanup",  # old data folder half removed
)
COMMITTED = frozenset({"after-commit", "during-cleanup", "none"})  # the new index is in place


def small_trials(corpus, n: int = 40, seed: int = 11):
    """``n`` real trials of the corpus: the two query trials and ``n - 2`` drawn with ``seed``."""
    import pandas as pd

    chosen = corpus[corpus["nct_id"].isin(QUERIES)]
    others = corpus[~corpus["nct_id"].isin(QUERIES)].sample(n - len(chosen), random_state=seed)
    return pd.concat([chosen, others]).sort_values("nct_id").reset_index(drop=True)


def fingerprint(index) -> list:
    """What an index answers to fixed questions: size, ids, two similar() and one search().

    Scores are rounded to 5 decimals, so two indexes with the same answers compare equal.
    """
    import numpy as np

    out: list = [len(index), sorted(index.trials["nct_id"])]
    for q in QUERIES:
        if q in index:
            h = index.similar(q, k=5)
            out.append(list(zip(h["nct_id"], np.round(h["score"].astype(float), 5))))
    h = index.search(TEXT_QUERY, k=5)
    out.append(list(zip(h["nct_id"], np.round(h["score"].astype(float), 5))))
    return out


def write_model(path, out_features: int, seed: int = 0) -> str:
    """A real, different sentence-transformers model: the packaged one plus a Dense layer.

    The Dense layer (384 -> ``out_features``, weights drawn with ``seed``) changes the vectors
    (and their dimension when ``out_features != 384``). Saved to ``path``; returns the path.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.modules import Dense
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Dense

    from simtrials.embed import default_model_path

    model = SentenceTransformer(default_model_path(), device="cpu")
    torch.manual_seed(seed)
    dim = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )()
    model.append(Dense(dim, out_features))
    model.save(str(path))
    return str(path)


class SavedModel:
    """The model identity recorded in a manifest, standing in for the model; never encodes."""

    def __init__(self, info: dict) -> None:
        self.name = info["name"]
        self.dimension = int(info["dimension"])
        self.fingerprint = info["fingerprint"]
        self.max_tokens = int(info["max_tokens"])

    def encode(self, texts, **kwargs):  # pragma: no cover - a bug in the helper if reached
        raise RuntimeError("the fault helper must not encode")


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _install(point: str, total_files: int) -> None:
    """Patch the functions a save calls so that the process dies at ``point``.

    ``total_files``: how many data files the save writes (for ``after-files``).
    """
    import shutil

    from simtrials import persist

    real_replace, real_fsync, real_sha = os.replace, os.fsync, persist.sha256_file
    real_dump, real_rmtree = json.dump, shutil.rmtree
    done = {"files": 0}

    def replace(src, dst, *args, **kwargs):
        src_name, dst_name = Path(src).name, Path(dst).name
        if src_name.endswith(".partial") and point == "before-data-rename":
            _die()
        if dst_name == persist.MANIFEST and point == "before-commit":
            _die()
        real_replace(src, dst, *args, **kwargs)
        if src_name.endswith(".partial") and point == "after-data-rename":
            _die()
        if dst_name == persist.MANIFEST and point == "after-commit":
            _die()

    def fsync(fd):
        if point == "torn-write":
            path = Path(os.readlink(f"/proc/self/fd/{fd}"))
            if path.parent.name.endswith(".partial"):
                os.truncate(path, path.stat().st_size // 2)
                _die()
        return real_fsync(fd)

    def sha256_file(path):
        digest = real_sha(path)
        done["files"] += 1
        if point == "after-files" and done["files"] == total_files:
            _die()
        return digest

    def dump(obj, fh, **kwargs):
        if point == "torn-manifest" and "files" in obj:
            text = json.dumps(obj, **kwargs)
            fh.write(text[: len(text) // 2])
            fh.flush()
            _die()
        return real_dump(obj, fh, **kwargs)

    def rmtree(path, *args, **kwargs):
        if point == "during-cleanup":
            files = sorted(p for p in Path(path).iterdir() if p.is_file())
            for p in files[: len(files) // 2]:
                p.unlink()
            _die()
        return real_rmtree(path, *args, **kwargs)

    os.replace, os.fsync, json.dump, shutil.rmtree = replace, fsync, dump, rmtree
    persist.sha256_file = sha256_file


def _child(index, target: str, scenario: str, total_files: int, ready: int) -> None:
    """In the forked child: save ``index`` over ``target``, dying as ``scenario`` says."""
    try:
        if scenario in POINTS:
            _install(scenario, total_files)
        os.write(ready, b"s")  # the save starts now
        index.save(target)
        code = 0
    except BaseException:  # a failed save must show as a failure, not as a kill
        import traceback

        traceback.print_exc()
        code = 3
    sys.stdout.flush()
    os._exit(code)


def _run(index, target: str, scenario: str, total_files: int) -> dict:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(index, target, scenario, total_files, write_end)
    os.close(write_end)
    started = os.read(read_end, 1) == b"s"
    os.close(read_end)
    if scenario.startswith("delay-"):
        time.sleep(float(scenario.removeprefix("delay-")))
        try:
            os.kill(pid, signal.SIGKILL)  # the child may have finished: then it is a zombie
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    return {
        "scenario": scenario,
        "started": started,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
    }


def main(argv: list[str]) -> int:
    saved_dir, remove_id, *jobs = argv
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from simtrials import TrialIndex, persist

    manifest, _ = persist.read_manifest(saved_dir)
    index = TrialIndex.load(saved_dir, embedder=SavedModel(manifest["model"]))
    index.remove(remove_id)
    for job in jobs:
        target, _, scenario = job.rpartition(":")
        known = scenario in (*POINTS, "none") or scenario.startswith("delay-")
        if not known:
            raise SystemExit(f"unknown scenario {scenario!r}; expected one of {POINTS}")
        result = _run(index, target, scenario, len(manifest["files"]))
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
