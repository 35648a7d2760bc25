"""A saved index: what the manifest records beside the stores (model, scoring, index type),
and opening one again with the model it was built with.

The files and the counts are the store's (:meth:`TrialStore.save`); the atomic writing and
the checksums are :mod:`simtrials.persist`'s.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import persist
from ..embed import DEFAULT_MODEL, Embedder
from ..errors import IndexFormatError, ModelMismatchError
from ..search.settings import Scoring
from .encode import QueryEncoder, make_embedder
from .store import TrialStore

if TYPE_CHECKING:
    from ..trial_index import TrialIndex

__all__ = ["settings", "open_saved"]


def settings(index: TrialIndex) -> dict[str, Any]:
    """The manifest's record of the model, the scoring and the index type."""
    e = index.embedder
    return {
        "model": {
            "name": e.name,
            "dimension": e.dimension,
            "fingerprint": e.fingerprint,
            "max_tokens": e.max_tokens,
        },
        "scoring": index.scoring.to_dict(),
        "index": {
            "spec": index.index_spec,
            "factory": index.index_type,
            "ef_search": index.ef_search,
            "nprobe": index.nprobe,
        },
    }


def open_saved(
    cls: type[TrialIndex],
    path: str | os.PathLike,
    *,
    model: Any,
    embedder: Embedder | None,
    device: str | None,
    verify: bool,
) -> TrialIndex:
    """The index saved at ``path`` (see :meth:`TrialIndex.load`)."""
    manifest, data = persist.read_manifest(path, verify=verify)
    try:
        minfo, spec = manifest["model"], manifest["index"]
        scoring = Scoring.from_dict(manifest["scoring"])
        dim = int(minfo["dimension"])
        explicit = model is not None or embedder is not None
        if embedder is None and model is None and minfo["name"] != DEFAULT_MODEL:
            model = minfo["name"]
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexFormatError(f"{path}: manifest.json lacks {exc}") from None
    embedder = make_embedder(embedder, model, {"device": device})
    idx = cls(embedder=embedder, scoring=scoring, index=spec["spec"],
              ef_search=spec["ef_search"], nprobe=spec["nprobe"])  # fmt: skip
    idx._encoder = QueryEncoder(embedder, expected=minfo["fingerprint"])
    idx._saved = {"path": str(Path(path).expanduser().resolve()), "model": minfo,
                  "format_version": manifest["format_version"]}  # fmt: skip
    if explicit:  # otherwise checked on the first query that needs the model
        if embedder.dimension != dim:
            raise ModelMismatchError(
                f"model {embedder.name!r} makes {embedder.dimension}-dimensional vectors but the index "
                f"at {path} holds {dim}-dimensional vectors of {minfo['name']!r}"
            )
        idx._encoder.check()
    idx._store = TrialStore.load(path, data, manifest, scoring.fields, dim, spec)
    return idx
