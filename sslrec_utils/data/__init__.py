"""Loading, preprocessing and ID maps for interaction data."""

from sslrec_utils.data.core import (
    COLUMNS,
    IdMap,
    Interactions,
    check_columns,
    drop_duplicates,
    k_core,
    preprocess,
    to_csr,
)

__all__ = [
    "COLUMNS",
    "IdMap",
    "Interactions",
    "check_columns",
    "drop_duplicates",
    "k_core",
    "preprocess",
    "to_csr",
]
