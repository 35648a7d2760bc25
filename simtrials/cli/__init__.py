"""The ``simtrials`` command: build an index, ask it for related trials, evaluate, fetch.

::

    simtrials build DATA... --out DIR         index trial files (any format read_ctgov reads)
    simtrials similar DIR NCT_ID|STUDY.json   trials most like an indexed or a new trial
    simtrials search DIR "free text"          trials that match a few lines of text
    simtrials explain DIR QUERY NCT_ID        why a trial is related to the query
    simtrials eval DIR                        nDCG, MAP … on graded relevance judgements
    simtrials info DIR                        what a saved index holds
    simtrials fetch --cond ... --out FILE     download studies from ClinicalTrials.gov

Results go to stdout (``--format table|csv|json``); progress and messages go to stderr.
An error prints one line ``simtrials: error: ...`` and exits with status 2 for a usage error
(a bad option or argument) and 1 for anything else; ``--debug`` shows the traceback instead.

One module per command (``build.py``, ``query.py`` for similar/search/explain,
``evaluate.py``, ``info.py``, ``fetch.py``), each with its arguments and its ``run``; option
values in ``values.py``, output in ``output.py``, the parser and ``main`` in ``main.py``.
"""

from .main import build_parser, main
from .values import CommandError, UsageError, parse_fields, parse_where

__all__ = ["main", "build_parser", "parse_where", "parse_fields", "UsageError", "CommandError"]
