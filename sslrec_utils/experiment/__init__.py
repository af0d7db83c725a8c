"""One experiment from names to numbers: load and split a data set, train a model chosen by validation,
evaluate it on test, and write the run directory that `sslrec_utils.recommend` loads again.

    spec = DataSpec(dataset="ml-100k", split="holdout", seed=2020)
    result = run_experiment(spec, "multvae", out_dir="runs/multvae")

A run directory holds ``config.json`` (data spec, model and training configs), ``checkpoint.pt``,
``history.csv`` and ``metrics.json``. Splits are pure functions of (data, seed), so a run can be reloaded from
its config alone.

`data_spec` holds `DataSpec` and the loading of a split, `settings` the configs from names and ``--set``
settings, `runs` the training, testing and writing of a run, `run_dir` the checked reading of a run's files.
Every name is imported from here.
"""

from sslrec_utils.experiment.data_spec import (
    DataSpec,
    TimeOrderWarning,
    check_data_fields,
    load_data,
    load_split,
    read_ratings,
    time_order_warning,
)
from sslrec_utils.experiment.run_dir import RUN_CONFIG_KEYS, check_run_file, read_run_config, read_weights
from sslrec_utils.experiment.runs import (
    RUN_FILES,
    RUN_SIGNATURE,
    Trained,
    parts_digest,
    peak_rss_mb,
    run_experiment,
    same_on_every_rank,
    search_grid,
    split_fingerprint,
    summary_keys,
    train_on_split,
    write_json,
)
from sslrec_utils.experiment.settings import (
    closed_form_warning,
    model_settings,
    resolve_configs,
    settings_dict,
)

__all__ = [
    "summary_keys",
    "DataSpec",
    "check_data_fields",
    "read_ratings",
    "load_data",
    "load_split",
    "TimeOrderWarning",
    "time_order_warning",
    "resolve_configs",
    "model_settings",
    "closed_form_warning",
    "settings_dict",
    "Trained",
    "search_grid",
    "train_on_split",
    "same_on_every_rank",
    "RUN_FILES",
    "RUN_SIGNATURE",
    "run_experiment",
    "split_fingerprint",
    "parts_digest",
    "peak_rss_mb",
    "write_json",
    "RUN_CONFIG_KEYS",
    "read_run_config",
    "check_run_file",
    "read_weights",
]
