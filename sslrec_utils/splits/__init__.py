"""Train/validation/test splits, each a pure function of (interactions, seed).

Four protocols, each returning a `Split` with named parts (DataFrames of rows of ``Interactions.frame``),
the ID maps, CSR matrices and padded sequences of any union of parts, and `Split.eval_plan(phase)`: which users
are evaluated, which parts form the model's input, which items are excluded from the ranking and which are held
out. `PLANS` is the table of CONTRIBUTING.md; ``loo`` excludes nothing by default, as RecBole does for
sequence models (``exclude_seen=True`` excludes the input items).

Every plan evaluates the users with at least one held-out item *and* at least one input interaction: a user
with no input cannot be scored by most models (in practice this only drops users of the ``time`` protocol who
first appear after the cut).

`core` holds `Split`, its evaluation plans and `pad_sequences`, `protocols` the four splits and `make_split`.
Every name is imported from here.
"""

from sslrec_utils.splits.core import PART_NAMES, PLANS, EvalPlan, Sequences, Split, pad_sequences
from sslrec_utils.splits.protocols import (
    MINIMUM,
    SPLITTERS,
    check_evaluable,
    check_seed,
    holdout_split,
    loo_split,
    make_split,
    ratio_sizes,
    strong_split,
    time_split,
)

__all__ = [
    "PLANS",
    "PART_NAMES",
    "Sequences",
    "EvalPlan",
    "Split",
    "check_seed",
    "ratio_sizes",
    "holdout_split",
    "loo_split",
    "strong_split",
    "time_split",
    "MINIMUM",
    "check_evaluable",
    "SPLITTERS",
    "make_split",
    "pad_sequences",
]
