"""Recommendations from a trained model, in original IDs with titles: top-N for known users, similar items,
and top-N for a new user's history (fold-in).

    rec = TrainedRecommender.load("runs/multvae")  # or TrainedRecommender(model, split, items)
    rec.recommend([196], k=10)                  # DataFrame: user, rank, item, score, title
    rec.similar_items(50, k=10)
    rec.recommend_for_history([50, 181, 258], k=10)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import Tensor

from sslrec_utils.batching import RowTable
from sslrec_utils.config import ConfigError, DataWarning
from sslrec_utils.data import preprocess
from sslrec_utils.data.core import canonical_ids, check_columns
from sslrec_utils.data.download import expand_user
from sslrec_utils.experiment import (
    DataSpec,
    check_run_file,
    load_split,
    read_ratings,
    read_run_config,
    read_weights,
    split_fingerprint,
)
from sslrec_utils.metrics import rank_top
from sslrec_utils.models import Recommender, build_model, model_config
from sslrec_utils.models.base import TrainData
from sslrec_utils.splits import Sequences, Split, pad_sequences
from sslrec_utils.train import resolve_device


class TrainedRecommender:
    """A trained model together with the split it learned from and the item table.

    A user's history is everything the split knows about them (all parts), in time order; their history items
    are never recommended back to them, nor the items of `seen`.

    Args:
        model: a trained `Recommender`.
        split: the split the model was trained on.
        items: item table with an ``item`` column of original IDs (and ``title``...), or None.
        seen: (n_users, n_items) sparse matrix of the items each user interacted with beyond the split's
            history, which are not recommended either: the ratings below a threshold, which preprocessing
            dropped (`load` builds it for a run trained with one); None for none.
        spec: the data options the split was made with (`load` gives the run's), or None where unknown.
    """

    def __init__(
        self,
        model: Recommender,
        split: Split,
        items: pd.DataFrame | None = None,
        seen: sp.spmatrix | sp.sparray | None = None,
        spec: DataSpec | None = None,
    ) -> None:
        model.check_fits(split.n_users, split.n_items)
        if seen is not None and seen.shape != (split.n_users, split.n_items):
            raise ValueError(f"seen has shape {seen.shape}, the split ({split.n_users}, {split.n_items})")
        self.seen = None if seen is None else sp.csr_matrix(seen, dtype=np.float32)
        self.model, self.split, self.spec = model.eval(), split, spec
        if items is not None:
            check_columns(items, ("item",), source="the item table")
        if items is not None and split.item_map.holds_text():  # written as the data's IDs are ("7.0" is "7")
            items = items.assign(item=canonical_ids(items["item"], "item table's IDs"))
        if items is not None and len(items) and not pd.Index(items["item"]).isin(split.item_map.ids).any():
            first, data_first = items["item"].iloc[:1].tolist()[0], split.item_map.ids[:1].tolist()[0]
            raise ValueError(  # e.g. text "50" against the data's 50: the titles would all be missing
                f"none of the item table's IDs is an item of the data (the table's first is {first!r}, the "
                f"data's {data_first!r}): give the table the data's item IDs, of the same type"
            )
        if items is not None and items["item"].duplicated().any():  # each would repeat its film's rows
            twice = items.loc[items["item"].duplicated(), "item"].unique().tolist()
            raise ValueError(
                f"the item table lists item IDs more than once: {twice[:5]}; give one row per item"
            )
        self.items = items.set_index("item") if items is not None else None
        parts = tuple(split.parts)
        self.history = split.matrix(*parts)  # (n_users, n_items) everything known about each user
        # (n_users, n_items) what is never recommended to a known user: their history and `seen`
        self.excluded = (
            self.history if self.seen is None else ((self.history + self.seen) > 0).astype(np.float32)
        )
        self.sequences = split.sequences(*parts)
        # users the model trained on: a strong split's held-out users have a user ID whose vector never trained
        train = split.matrix("train")
        self.trained = train.getnnz(axis=1) > 0
        # items the model trained on: one seen only in validation or test has an untrained vector
        self.trained_items = train.getnnz(axis=0) > 0

    @classmethod
    def load(
        cls, run_dir: str | Path, device: str | torch.device = "auto", *, with_seen: bool = True
    ) -> TrainedRecommender:
        """Rebuild the run's split from its config, the model from its config, and load its weights.

        `run_dir` may start with ``~`` (the home folder), as ``sslrec train --out`` may. For a run trained with a
        threshold, `with_seen` reads the log again for the ratings below it (`seen`), which only recommending
        needs (``sslrec evaluate`` leaves it out).
        """
        run_dir, device = expand_user(run_dir), resolve_device(device)  # an unusable device fails first
        config, checkpoint = read_run_config(run_dir), run_dir / "checkpoint.pt"
        check_run_file(checkpoint, run_dir)
        state = read_weights(checkpoint, config.get("run_id"))  # before the data: a bad file fails at once
        try:
            # a run written before the tie order was an option had its ties ordered by item ID
            spec = DataSpec.from_dict({"ties": "item", **config["data"]})
        except ConfigError as err:  # options an earlier version accepted
            raise ValueError(
                f"{run_dir} was trained with data options this version refuses ({err}); train it again"
            ) from None
        with warnings.catch_warnings():  # what the data and the sizes call for was said when the run trained
            warnings.simplefilter("ignore", DataWarning)
            try:
                split, items = load_split(spec)
            except FileNotFoundError as err:  # a file or folder moved since: say why a trained run needs it
                if not spec.is_file and spec.data_dir is not None:  # its own path wins over --data-dir's
                    raise FileNotFoundError(
                        f"{run_dir} was trained with the data folder {spec.data_dir}, which is gone ({err}); a "
                        "run reads its data again to rebuild its split: create that folder (the data is loaded "
                        f"into it again), or write another as data.data_dir in {run_dir / 'config.json'} (null: "
                        "SSLREC_DATA or the default folder)"
                    ) from None
                if not spec.is_file:
                    raise
                raise FileNotFoundError(
                    f"{run_dir} was trained on a file that is gone ({err}); a run reads its data again to rebuild "
                    f"its split: put the file back, or write its new path as data.dataset in "
                    f"{run_dir / 'config.json'} (the split is checked to be the same)"
                ) from None
            recorded = config.get("split_fingerprint")  # absent in runs written before it was recorded
            if recorded is not None and recorded != split_fingerprint(split):
                raise ValueError(
                    f"{spec.dataset} no longer gives the split {run_dir} was trained on: the data has changed "
                    "since, or the data settings in its config.json were edited; restore them, or train again"
                )
            try:
                cfg = model_config(config["model"], config["model_config"])
            except ValueError as err:  # an unknown model or setting
                raise ValueError(f"{run_dir / 'config.json'}: {err} (was it edited by hand?)") from None
            model = build_model(cfg, TrainData.from_split(split))
            seen = _rated_below_threshold(spec, split) if with_seen and spec.threshold is not None else None
        try:
            model.load_state_dict(state)
        except RuntimeError as err:  # a run from before run IDs were recorded, or a file copied with its ID
            lines = [line.strip() for line in str(err).strip().splitlines()]
            detail = lines[1] if len(lines) > 1 else lines[0]
            if len(detail) > 160:  # a list of every missing weight's name
                detail = detail[: detail.rfind(", ", 0, 160)] + ", ..."
            raise ValueError(
                f"{checkpoint} holds weights of another model than config.json describes "
                f"({detail}): copy the whole run directory, or train again"
            ) from None
        return cls(model.to(device), split, items, seen, spec)

    def n_unseen(self, users: np.ndarray) -> np.ndarray:
        """(B,) how many items are left to recommend to each of `users` (indices): those outside the user's
        history and `seen`."""
        return self.split.n_items - (self.excluded[users] > 0).getnnz(axis=1)

    # -- scoring ------------------------------------------------------------------------------------------
    @torch.no_grad()
    def _scores(self, users: np.ndarray | None, rows: sp.csr_matrix, seqs: Sequences) -> Tensor:
        """(B, n_items) scores, the items of `rows` at -inf, and those of `excluded` for known `users`."""
        need, device = self.model.score_inputs, self.model.device
        inputs: dict[str, Tensor] = {}
        if users is not None and "users" in need:
            inputs["users"] = torch.as_tensor(users, device=device)
        dense = RowTable(rows, device)(np.arange(rows.shape[0]))
        if "rows" in need:
            inputs["rows"] = dense
        if "seqs" in need:
            padded = pad_sequences(seqs, np.arange(rows.shape[0]), self.model.max_len, pad=self.split.n_items)
            inputs["seqs"] = torch.as_tensor(padded, device=device)
        scores = self.model.score(inputs)
        if "users" in inputs and self.model.can_fold_in() and not self.trained[users].all():
            # as evaluation scores them (`train.make_score_fn`): from the history alone (CDAE: zero user vector)
            alone = self.model.score({k: v for k, v in inputs.items() if k != "users"})
            untrained = torch.as_tensor(~self.trained[users], device=device)
            scores = torch.where(untrained[:, None], alone, scores)
        scores = _check_not_nan(scores.float().clone(), self.model)
        # the rows read are the users' history already, unless `seen` adds to it
        hidden = dense if users is None or self.seen is None else RowTable(self.excluded, device)(users)
        return scores.masked_fill(hidden > 0, -torch.inf)

    def _table(self, users: np.ndarray, scores: Tensor, k: int) -> pd.DataFrame:
        """The top-`k` table of `scores`, one block of rows per entry of `users` (the values of its column)."""
        k = _check_k(k, self.split.n_items)
        values, indices = rank_top(scores, k)  # equal scores in item order, as the metrics rank
        item_idx = indices.cpu().numpy()
        frame = pd.DataFrame(
            {
                "user": np.repeat(users, k),
                "rank": np.tile(np.arange(1, k + 1), len(users)),
                "item": self.split.item_map.to_original(item_idx.ravel()),
                "score": values.cpu().numpy().ravel(),
            }
        )
        frame = frame[np.isfinite(frame["score"])]  # a user who has seen almost everything gets fewer
        return self._with_titles(frame)

    def _with_titles(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.items is None:
            return frame.reset_index(drop=True)
        columns = [c for c in ("title", "year", "genres") if c in self.items.columns]
        return frame.join(self.items[columns], on="item").reset_index(drop=True)

    # -- public API ----------------------------------------------------------------------------------------
    def recommend(self, users: Sequence[object] | object, k: int = 10) -> pd.DataFrame:
        """Top-`k` unseen items for known users (original IDs; text such as ``"196"`` or ``"196.0"`` names the
        integer ID 196, as in a file), each user once, in the order first given.

        Returns:
            DataFrame with columns ``user, rank, item, score`` (+ ``title, year, genres`` when known); ``user``
            holds the ID as the map stores it (196, not the text it was given as).

        Raises:
            KeyError: naming the user IDs the model does not know.
            ValueError: naming the users with no training interaction (a strong split's held-out users, a
                time split's newcomers) for a model that scores users by a learned ID: their vectors never
                trained (evaluation refuses them too); `recommend_for_history` or a model that folds in a
                history ranks them.
        """
        idx = pd.unique(self.split.user_map.to_index(users, kind="user IDs"))  # "196" and 196: once
        untrained = idx[~self.trained[idx]]
        if len(untrained) and "users" in self.model.score_inputs and not self.model.can_fold_in():
            names = ", ".join(map(str, self.split.user_map.to_original(untrained[:5])))
            raise ValueError(
                f"user{'s' * (len(untrained) > 1)} {names}{' ...' * (len(untrained) > 5)} "
                f"{'have' if len(untrained) > 1 else 'has'} no interaction in the training part: "
                f"{type(self.model).__name__} scores users by a learned ID, and theirs never trained; use a model "
                "that folds in a history (EASE, ItemKNN, a sequence model, an autoencoder other than AutoRec)"
            )
        rows = self.history[idx]
        seqs = _select(self.sequences, idx)
        return self._table(self.split.user_map.to_original(idx), self._scores(idx, rows, seqs), k)

    def recommend_for_history(self, item_ids: Sequence[object] | object, k: int = 10) -> pd.DataFrame:
        """Top-`k` items for a user unseen in training, from their history (oldest first), by fold-in; a single
        ID is a history of one item. An item given more than once counts once, at its latest place, as
        preprocessing keeps a user's latest interaction with an item: ``a,b,a`` is read as ``b,a``, the history
        of a known user with those interactions.

        Raises:
            ValueError: if the model scores users only by a learned ID (e.g. BPR, LightGCN).
            KeyError: for item IDs the model does not know.
        """
        if not self.model.can_fold_in():
            raise ValueError(
                f"{type(self.model).__name__} represents users by learned IDs and cannot fold in a new history; "
                "use EASE, ItemKNN, a sequence model or an autoencoder other than AutoRec"
            )
        if isinstance(item_ids, str) or np.ndim(item_ids) == 0:
            item_ids = [item_ids]
        if len(item_ids) == 0:
            raise ValueError("the history is empty: give at least one item ID")
        idx = self.split.item_map.to_index(item_ids, kind="item IDs")
        latest = len(idx) - 1 - np.unique(idx[::-1], return_index=True)[1]  # each item's last place
        idx = idx[np.sort(latest)]
        rows = sp.csr_matrix(
            (np.ones(len(idx), np.float32), (np.zeros(len(idx), int), idx)), (1, self.split.n_items)
        )
        rows.data[:] = 1.0
        seqs = Sequences(np.array([0, len(idx)], np.int64), idx.astype(np.int64))
        return self._table(np.array(["new"]), self._scores(None, rows, seqs), k).drop(columns="user")

    def similar_items(self, item: object, k: int = 10) -> pd.DataFrame:
        """The `k` items most similar to `item`: the model's item-item matrix where it has one (EASE,
        ItemKNN: the row of `item`, the items whose scores it raises; a weight of 0 or below raises none, so
        fewer than `k` may come back), else cosine similarity of its item embeddings.

        Raises:
            TypeError: if `item` is a list (one item at a time).
            ValueError: if the model has neither (e.g. popularity), or `item` has no training interaction (its
                vector never trained, so its neighbours would mean nothing).
        """
        if not isinstance(item, str) and np.ndim(item) != 0:
            raise TypeError(f"similar_items takes one item ID, got {item!r}: call it once for each item")
        i = int(self.split.item_map.to_index([item], kind="item IDs")[0])
        if not self.trained_items[i]:
            raise ValueError(
                f"item {item} has no interaction in the training part (only in validation or test): the model "
                "learned nothing about it, so no item is similar to it"
            )
        sims = self.model.item_similarity()
        if sims is not None:
            row = _check_not_nan(sims[i].float().clone(), self.model)
            # a weight of 0 relates no item (ItemKNN keeps k neighbours per item), a negative one lowers its score
            # (EASE): neither is a similar item
            row[row <= 0] = -torch.inf
        else:
            emb = self.model.item_embeddings()
            if emb is None:
                raise ValueError(
                    f"{type(self.model).__name__} has no item representation to compare items with: train a "
                    f"model with item vectors or an item-item matrix (any of {', '.join(SIMILAR_ITEMS_MODELS)})"
                )
            emb = F.normalize(emb.detach().float(), dim=1)
            row = _check_not_nan(emb @ emb[i], self.model)
        row[i] = -torch.inf
        untrained = torch.as_tensor(~self.trained_items, device=row.device)
        row[untrained] = -torch.inf  # their vectors say nothing
        k = _check_k(k, self.split.n_items - 1)
        values, indices = rank_top(row[None], k)
        frame = pd.DataFrame(
            {
                "rank": np.arange(1, k + 1),
                "item": self.split.item_map.to_original(indices[0].cpu().numpy()),
                "similarity": values[0].cpu().numpy(),
            }
        )
        return self._with_titles(frame[np.isfinite(frame["similarity"])])


# the models whose item vectors or item-item matrix `similar_items` compares (not pop, not itemnext)
SIMILAR_ITEMS_MODELS = (
    *("ease", "itemknn", "ae", "dae", "cdae", "multdae", "multvae", "autorec", "bpr"),
    *("lightgcn", "sgl", "simgcl", "xsimgcl", "sasrec", "bert4rec", "cl4srec"),
)


def _rated_below_threshold(spec: DataSpec, split: Split) -> sp.csr_matrix:
    """(n_users, n_items) binary CSR of every (user, item) pair of `spec`'s log whose user and item `split`
    knows, the ratings below `spec`'s threshold included: a user who rated a film 2 stars has seen it, though
    a run trained on ratings of 4 or more never read that rating."""
    ratings, _ = read_ratings(spec)
    everything = preprocess(ratings)  # IDs written as the split's are ("7.0" is "7"), nothing filtered
    frame = everything.frame
    users = pd.Index(split.user_map.ids).get_indexer(everything.user_map.ids)[frame["user"].to_numpy()]
    items = pd.Index(split.item_map.ids).get_indexer(everything.item_map.ids)[frame["item"].to_numpy()]
    known = (users >= 0) & (items >= 0)
    pairs = (users[known], items[known])
    seen = sp.csr_matrix((np.ones(int(known.sum()), np.float32), pairs), (split.n_users, split.n_items))
    seen.data[:] = 1.0
    return seen


def _select(seqs: Sequences, users: np.ndarray) -> Sequences:
    """The sequences of `users`, as a new ragged array in that order."""
    lengths = np.diff(seqs.indptr)[users]
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    gather = np.repeat(seqs.indptr[users] - indptr[:-1], lengths) + np.arange(indptr[-1])
    return Sequences(indptr, seqs.items[gather])


def _check_k(k: int, limit: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:  # True is an int
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return int(min(k, limit))


def _check_not_nan(scores: Tensor, model: Recommender) -> Tensor:
    """`scores`, unless some are NaN or infinite: NaN ranks nowhere and would leave nothing to recommend,
    without a word, and infinities (weights that overflowed) rank in no meaningful order.

    Raises:
        ValueError: naming the model, whose weights diverged.
    """
    if not torch.isfinite(scores).all():
        raise ValueError(
            f"{type(model).__name__} scores items as NaN or infinite: its weights diverged in training; train "
            "again with a lower lr"
        )
    return scores
