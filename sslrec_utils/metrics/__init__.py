"""Full-ranking top-K metrics, computed in batches over a score matrix and a sparse held-out matrix.

Definitions follow RecBole 1.2.1 so that our figures compare with its. For one user with relevant set
:math:`R` (``n_rel = |R|``) and hit indicators :math:`h_i` at ranks :math:`i = 1..K`:

- Recall@K = sum(h) / n_rel, Precision@K = sum(h) / K, Hit@K = 1 if any h_i else 0;
- MRR@K = 1 / (rank of the first hit), 0 when there is none;
- NDCG@K = sum_i h_i / log2(i + 1), divided by the same sum over the first min(K, n_rel) ranks;
- MAP@K = sum_i h_i * Precision@i, divided by min(K, n_rel).

All metrics derive from one ranking at the largest K (`topk_hits`), so `evaluate` ranks each user once. Equal
scores are ordered by item index, lowest first (`rank_top`): a metric at K then depends neither on the other
cut-offs asked for nor on the device. (RecBole keeps ``torch.topk``'s order of ties, which does; figures of
models whose scores tie, such as popularity, can differ slightly from its.) Items scored ``-inf``
(excluded) never count as hits.

`ranking` ranks and computes the per-user metrics, `evaluation` evaluates users in batches. Every name is
imported from here.
"""

from sslrec_utils.metrics.evaluation import EvalResult, evaluate, format_metrics, item_coverage_at_k
from sslrec_utils.metrics.ranking import (
    METRICS,
    NaNScoresError,
    TopKHits,
    check_k,
    hit_at_k,
    map_at_k,
    metrics_from_hits,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    rank_top,
    recall_at_k,
    topk_hits,
)

__all__ = [
    "METRICS",
    "NaNScoresError",
    "TopKHits",
    "EvalResult",
    "check_k",
    "rank_top",
    "topk_hits",
    "metrics_from_hits",
    "recall_at_k",
    "precision_at_k",
    "hit_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "map_at_k",
    "item_coverage_at_k",
    "evaluate",
    "format_metrics",
]
