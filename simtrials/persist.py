"""Saving and loading an index as a directory of plain files, atomically and without pickle.

Layout of a saved index ``DIR``::

    DIR/manifest.json            format version, model, fields, counts, sha256 of every file
    DIR/data-<token>/trials.parquet
    DIR/data-<token>/ids.npy
    DIR/data-<token>/field_<name>.faiss   (+ field_<name>.json: removed ids of ANN indexes)
    DIR/data-<token>/lexical.npz, lexical_vocab.json

A save writes a new ``data-<token>`` folder, then replaces ``manifest.json`` with one
``os.replace`` (atomic on POSIX and Windows): until that instant the old manifest and its
folder are the index, after it the new ones. A save killed at any point leaves the previous
index loadable; the next save removes the leftovers (only names of that shape: a save into a
folder that holds other files leaves them alone). Loading reads only JSON, parquet,
``.npy``/``.npz`` with ``allow_pickle=False`` and FAISS files, and checks every checksum
first, the manifest's own included (``manifest_sha256``: a changed weight or count in the
manifest would otherwise give wrong answers silently); it reads nothing outside the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexFormatError

__all__ = [
    "FORMAT_VERSION",
    "write_index_dir",
    "read_manifest",
    "is_index_dir",
    "data_path",
    "sha256_file",
]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_TOKEN = r"[0-9a-f]{12}"  # secrets.token_hex(6)
_DATA_DIR = re.compile(rf"data-{_TOKEN}")
_LEFTOVER_DIR = re.compile(rf"data-{_TOKEN}(\.partial)?")
_LEFTOVER_TMP = re.compile(rf"{re.escape(MANIFEST)}\.{_TOKEN}\.tmp")
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def _manifest_digest(manifest: dict) -> str:
    """sha256 of the manifest's content (without its own digest), in a canonical form."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some platforms cannot sync a read-only descriptor
        pass
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_index_dir(path: str | os.PathLike, files: dict[str, Any], manifest: dict) -> Path:
    """Write ``files`` (name -> bytes, or a callable writing to a given path) and the manifest.

    Returns the index directory. Leftovers of earlier interrupted saves are removed.
    """
    root = Path(path).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(6)
    data_dir = root / f"data-{token}.partial"
    data_dir.mkdir()
    checksums = {}
    for name, content in files.items():
        target = data_dir / name
        if callable(content):
            content(target)
            _fsync_file(target)  # writers such as to_parquet do not sync: make it durable
        else:
            with open(target, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        checksums[name] = sha256_file(target)
    final_dir = root / f"data-{token}"
    os.replace(data_dir, final_dir)
    _fsync_dir(root)
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "data_dir": final_dir.name,
        "files": checksums,
    }
    manifest["manifest_sha256"] = _manifest_digest(manifest)
    tmp = root / f"{MANIFEST}.{token}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / MANIFEST)  # the commit point
    _fsync_dir(root)
    _cleanup(root, keep=final_dir.name)
    return root


def _cleanup(root: Path, keep: str) -> None:
    """Remove earlier saves' folders and interrupted saves' leftovers; nothing else."""
    for child in root.iterdir():
        if child.name == keep:
            continue
        if _LEFTOVER_DIR.fullmatch(child.name) and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        elif _LEFTOVER_TMP.fullmatch(child.name) and child.is_file():
            child.unlink(missing_ok=True)


def read_manifest(path: str | os.PathLike, *, verify: bool = True) -> tuple[dict, Path]:
    """Read and check a saved index's manifest; returns ``(manifest, data folder)``.

    Raises
    ------
    IndexFormatError
        No index there, a newer format version, a missing file or a checksum mismatch.
    """
    root = Path(path).expanduser()
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise IndexFormatError(f"{root} is not a saved simtrials index: {MANIFEST} is missing")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexFormatError(f"{mpath} is corrupted: {exc}") from None
    if not isinstance(manifest, dict):
        raise IndexFormatError(f"{mpath} is corrupted: expected a JSON object")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise IndexFormatError(f"{mpath} has no format_version")
    if version > FORMAT_VERSION:
        raise IndexFormatError(
            f"{root} was saved by a newer simtrials (index format {version}; this version reads "
            f"up to {FORMAT_VERSION}): upgrade simtrials to load it"
        )
    digest = manifest.get("manifest_sha256")  # absent in indexes saved before it was added
    if verify and digest is not None and digest != _manifest_digest(manifest):
        raise IndexFormatError(f"{mpath} is corrupted (checksum mismatch)")
    folder = manifest.get("data_dir")
    files = manifest.get("files")
    if not isinstance(folder, str) or not _DATA_DIR.fullmatch(folder):
        raise IndexFormatError(f"{mpath} is corrupted: bad data folder name {folder!r}")
    if not isinstance(files, dict) or not all(
        isinstance(f, str) and _FILE_NAME.fullmatch(f) for f in files
    ):
        raise IndexFormatError(f"{mpath} is corrupted: bad file list")
    data_dir = root / folder
    if not data_dir.is_dir():
        raise IndexFormatError(f"{root}: the data folder {folder!r} is missing")
    if verify:
        for name, digest in files.items():
            fpath = data_dir / name
            if not fpath.is_file():
                raise IndexFormatError(f"{root}: file {name} is missing")
            if sha256_file(fpath) != digest:
                raise IndexFormatError(f"{root}: file {name} is corrupted (checksum mismatch)")
    return manifest, data_dir


def is_index_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` looks like a saved index (it has a manifest; see :func:`read_manifest`)."""
    return (Path(path).expanduser() / MANIFEST).is_file()


def data_path(data_dir: Path, name: str) -> Path:
    return data_dir / name


def save_npy(array: np.ndarray):
    """A writer for :func:`write_index_dir` that saves one array as ``.npy`` (no pickle)."""

    def write(target: Path) -> None:
        with open(target, "wb") as fh:
            np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())

    return write


def save_npz(arrays: dict[str, np.ndarray]):
    """A writer for :func:`write_index_dir` that saves arrays as one ``.npz`` (no pickle)."""

    def write(target: Path) -> None:
        with open(target, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())

    return write


def load_npy(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
