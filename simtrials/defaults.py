"""Every default setting of simtrials, in one place.

The scoring defaults were chosen on the judged dev pairs (see ``benchmarks/``); the size
thresholds on the query benchmarks. Change a default here and everything that uses it follows.
"""

from __future__ import annotations

from .represent import DEFAULT_FIELDS, FIELDS

__all__ = [
    "FIELDS",
    "DEFAULT_FIELDS",
    "DEFAULT_LEXICAL_WEIGHT",
    "DEFAULT_CAPS",
    "DEFAULT_K",
    "ANN_THRESHOLD",
    "EXACT_THRESHOLD",
    "EF_SEARCH",
    "NPROBE",
    "BATCH_SIZE",
    "CHUNK_SIZE",
    "BATCH_OVERLAP",
]

#: Share of the TF-IDF score in the fused score: whole text, capped conditions and TF-IDF
#: weigh one third each.
DEFAULT_LEXICAL_WEIGHT = 1.0 / 3.0
#: Field -> cap on its similarity in the semantic score: 0.6 means "same condition".
DEFAULT_CAPS: dict[str, float] = {"conditions": 0.6}
#: Hits returned when ``k`` is not given (and no shortlist is).
DEFAULT_K = 10
#: From this many trials on, ``index="auto"`` builds an HNSW graph instead of exact ``Flat``.
ANN_THRESHOLD = 50_000
#: Up to this many allowed trials, every one is scored exactly even with an ANN index.
EXACT_THRESHOLD = 20_000
#: HNSW search depth and IVF lists probed, when an ANN index is used.
EF_SEARCH = 128
NPROBE = 32
#: Texts encoded per model batch, and trials encoded and indexed per build step.
BATCH_SIZE = 64
CHUNK_SIZE = 20_000
#: ``similar_many`` scores the next block's text (matrix products, which release the GIL) in a
#: second thread while this thread ranks the current block and writes its reasons (Python),
#: on machines with more than one core where BLAS is limited to one thread (as servers and
#: ``threadpoolctl.threadpool_limits(1)`` run it). ``False``: everything on the calling thread.
BATCH_OVERLAP = True
