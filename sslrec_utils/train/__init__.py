"""The one training loop: mini-batch updates, validation by full ranking, early stopping, checkpoints.

``fit(model, split, TrainConfig(...))`` trains a `Recommender` on ``split``'s training part, evaluates
NDCG@10 (by default) on the validation part after every epoch, keeps the best weights, stops after `patience`
evaluations without improvement and returns a `FitResult`, whose ``.history`` is a DataFrame with one row per
evaluated epoch. Closed-form models are fitted once. Ctrl-C stops a long run early without losing it: the best
epoch so far is kept, tested and written as usual.

The loop is `loop.fit`; `settings` holds `TrainConfig` and `FitResult`, `evaluation` the full-ranking scoring
of a split's part, `device` the device, threads and seeds. Every name is imported from here.
"""

from sslrec_utils.train.device import (
    intra_op_threads,
    keeps_global_rng,
    native_bf16,
    resolve_device,
    set_seed,
)
from sslrec_utils.train.evaluation import evaluate_model, make_score_fn
from sslrec_utils.train.loop import check_memory, fit, load_checkpoint, save_checkpoint
from sslrec_utils.train.settings import (
    CLOSED_FORM_SETTINGS,
    LR_SCHEDULES,
    FitResult,
    TrainConfig,
    check_cut_offs,
    check_train_config,
    lr_factor,
)

__all__ = [
    "resolve_device",
    "intra_op_threads",
    "set_seed",
    "keeps_global_rng",
    "LR_SCHEDULES",
    "CLOSED_FORM_SETTINGS",
    "lr_factor",
    "TrainConfig",
    "check_train_config",
    "check_cut_offs",
    "FitResult",
    "make_score_fn",
    "native_bf16",
    "evaluate_model",
    "check_memory",
    "fit",
    "save_checkpoint",
    "load_checkpoint",
]
