"""Loading, preprocessing and ID maps for interaction data."""

from sslrec_utils.data.columns import dataset_info, load_interactions
from sslrec_utils.data.core import COLUMNS, IdMap, Interactions, check_columns, sorted_unique, to_csr
from sslrec_utils.data.download import ChecksumError, UnsafeArchiveError, download, safe_extract
from sslrec_utils.data.movielens import (
    DATASETS,
    CacheWriteError,
    DataUnavailableError,
    MovieLens,
    default_data_dir,
    load_movielens,
)
from sslrec_utils.data.preprocessing import (
    TIE_ORDERS,
    drop_duplicates,
    k_core,
    preprocess,
    tie_order_text,
    tie_stats,
)

__all__ = [
    "COLUMNS",
    "DATASETS",
    "TIE_ORDERS",
    "tie_order_text",
    "CacheWriteError",
    "ChecksumError",
    "DataUnavailableError",
    "IdMap",
    "Interactions",
    "MovieLens",
    "UnsafeArchiveError",
    "check_columns",
    "dataset_info",
    "default_data_dir",
    "download",
    "drop_duplicates",
    "k_core",
    "load_interactions",
    "load_movielens",
    "preprocess",
    "sorted_unique",
    "tie_stats",
    "safe_extract",
    "to_csr",
]
