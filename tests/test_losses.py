import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from sslrec_utils import losses


def test_mse_masked_counts_only_observed_entries():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[0.0, 2.0], [5.0, 0.0]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    assert losses.mse(pred, target, mask).item() == (1.0 + 4.0) / 2
    assert losses.mse(pred, target).item() == (1 + 0 + 4 + 16) / 4


def test_multinomial_nll_matches_hand_computation():
    logits = torch.tensor([[0.0, math.log(3.0)]])  # softmax = [1/4, 3/4]
    x = torch.tensor([[1.0, 1.0]])
    expected = -(math.log(0.25) + math.log(0.75))
    assert math.isclose(losses.multinomial_nll(logits, x).item(), expected, rel_tol=1e-6)


def test_gaussian_kl_equals_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    q = Normal(mu, (0.5 * logvar).exp())
    reference = kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(-1).mean()
    torch.testing.assert_close(losses.gaussian_kl(mu, logvar), reference)


def test_linear_anneal_ramps_then_caps():
    assert losses.linear_anneal(0, 100, 0.2) == 0.0
    assert math.isclose(losses.linear_anneal(50, 100, 0.2), 0.1)
    assert losses.linear_anneal(500, 100, 0.2) == 0.2
    assert losses.linear_anneal(3, 0, 0.2) == 0.2


def test_bpr_is_minus_log_sigmoid_of_margin():
    pos, neg = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    expected = -(math.log(1 / (1 + math.exp(-1))) + math.log(1 / (1 + math.exp(1)))) / 2
    assert math.isclose(losses.bpr(pos, neg).item(), expected, rel_tol=1e-6)
    # several negatives per positive broadcast against the positive
    torch.testing.assert_close(losses.bpr(pos, neg[:, None].repeat(1, 3)), losses.bpr(pos, neg))


def test_sampled_bce_by_hand():
    pos, neg = torch.tensor([2.0, 0.0]), torch.tensor([1.0, -1.0])
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    expected = -(math.log(sig(2)) + math.log(1 - sig(1)) + math.log(sig(0)) + math.log(1 - sig(-1))) / 2
    assert math.isclose(losses.sampled_bce(pos, neg).item(), expected, rel_tol=1e-6)


def test_info_nce_matches_a_loop():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    tau = 0.3
    total = 0.0
    for i in range(6):
        sims = torch.stack([F.cosine_similarity(a[i], b[j], dim=0) for j in range(6)]) / tau
        total += -(sims[i] - torch.logsumexp(sims, 0))
    torch.testing.assert_close(losses.info_nce(a, b, tau), total / 6)


def test_info_nce_weights_count_rows_as_copies():
    # SGL's "all" negatives pass each distinct anchor once with its count: same loss and gradients as the
    # anchors repeated
    g = torch.Generator().manual_seed(3)
    a, b = (
        torch.randn(4, 3, generator=g, requires_grad=True),
        torch.randn(7, 3, generator=g, requires_grad=True),
    )
    targets, counts = torch.tensor([0, 2, 5, 6]), torch.tensor([1, 3, 1, 2])
    weighted = losses.info_nce(a, b, 0.4, targets=targets, weights=counts)
    grads = torch.autograd.grad(weighted, (a, b))
    rows = torch.repeat_interleave(torch.arange(4), counts)
    repeated = losses.info_nce(a[rows], b, 0.4, targets=targets[rows])
    torch.testing.assert_close(weighted, repeated)
    for got, want in zip(grads, torch.autograd.grad(repeated, (a, b)), strict=True):
        torch.testing.assert_close(got, want)
    ones = losses.info_nce(a, b, 0.4, targets=targets, weights=torch.ones(4))
    torch.testing.assert_close(ones, losses.info_nce(a, b, 0.4, targets=targets))


def test_info_nce_is_computed_in_float32_under_autocast():
    # the trainer's bf16 autocast (CUDA) had run the similarities in bf16; CPU autocast stands in for it here
    g = torch.Generator().manual_seed(2)
    a = torch.randn(64, 32, generator=g).to(torch.bfloat16)  # a view as an autocast layer returns it
    b = torch.randn(64, 32, generator=g)
    exact = losses.info_nce(a.float(), b, 0.15)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = losses.info_nce(a, b, 0.15)
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, exact, rtol=1e-6, atol=0)
    assert losses.info_nce(a.double(), b.double(), 0.15).dtype == torch.float64  # float64 is not lowered


@pytest.mark.parametrize("cosine", [False, True])
def test_nt_xent_matches_a_loop_over_the_2b_views(cosine):
    # CL4SRec's loss (Xie et al., Sec. III-B): each of the 2B views against its pair and the 2(B - 1) views of
    # the other rows, by dot product; with cosine=True, SimCLR's normalised form
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    tau = 0.7
    z = [*a, *b]
    sim = (lambda u, v: F.cosine_similarity(u, v, dim=0)) if cosine else torch.dot
    total = 0.0
    for k in range(10):
        pair = (k + 5) % 10
        others = torch.stack([sim(z[k], z[m]) / tau for m in range(10) if m != k])
        total += -(sim(z[k], z[pair]) / tau - torch.logsumexp(others, 0))
    torch.testing.assert_close(losses.nt_xent(a, b, tau, cosine=cosine), total / 10)
    assert losses.nt_xent(a, b, tau, cosine=cosine) != losses.info_nce(a, b, tau)  # not the one-sided loss
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert losses.nt_xent(a.to(torch.bfloat16), b, tau).dtype == torch.float32


def test_masked_mse_of_no_entry_is_zero_not_nan():
    pred, target = torch.ones(2, 3), torch.zeros(2, 3)
    assert losses.mse(pred, target, torch.zeros(2, 3)).item() == 0.0
    mask = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    assert losses.mse(pred, target, mask).item() == 1.0  # (1 + 2) / 3


def test_item_ce_ignores_padding_positions():
    logits = torch.tensor([[2.0, 0.0], [0.0, 0.0]])
    targets = torch.tensor([0, -100])
    expected = -math.log(math.exp(2) / (math.exp(2) + 1))
    assert math.isclose(losses.item_ce(logits, targets).item(), expected, rel_tol=1e-6)


def test_item_ce_of_no_counted_position_is_zero_and_differentiable():
    # A BERT4Rec batch of short windows can draw no mask at all: the loss must not be the NaN mean of nothing.
    for logits in (torch.randn(3, 5, requires_grad=True), torch.randn(0, 5, requires_grad=True)):
        loss = losses.item_ce(logits, torch.full((len(logits),), -100))
        assert loss.item() == 0.0
        loss.backward()
        assert logits.grad is not None and not logits.grad.any()


def test_item_ce_by_group_weighs_each_group_the_same():
    g = torch.Generator().manual_seed(5)
    logits, targets = torch.randn(6, 4, generator=g), torch.tensor([0, 1, -100, 2, 3, -100])
    groups = torch.tensor([0, 0, 0, 1, 2, 3])  # group 0 holds two counted positions, 1 and 2 one, 3 none
    ce = [torch.nn.functional.cross_entropy(logits[i], targets[i]) for i in (0, 1, 3, 4)]
    expected = ((ce[0] + ce[1]) / 2 + ce[2] + ce[3]) / 3
    torch.testing.assert_close(losses.item_ce(logits, targets, groups=groups), expected)
    torch.testing.assert_close(losses.item_ce(logits, targets), sum(ce) / 4)  # by position: group 0 weighs 2
    none = torch.randn(2, 4, requires_grad=True)
    loss = losses.item_ce(none, torch.full((2,), -100), groups=torch.tensor([0, 1]))
    loss.backward()
    assert loss.item() == 0.0 and not none.grad.any()


def test_l2_half_squared_norm_per_batch():
    t = torch.ones(4, 2)
    assert losses.l2(t, t).item() == (8 + 8) / (2 * 4)


# --- input checks -------------------------------------------------------------------------------------------


def test_losses_reject_shapes_that_would_broadcast():
    # (B, 1) against (B,) broadcast to (B, B): every positive against every row's negative, a wrong loss
    pos, neg = torch.tensor([2.0, 0.0, 1.0]), torch.tensor([1.0, 1.0, -1.0])
    with pytest.raises(ValueError, match=r"bpr: need pos_scores \(B,\).*got \(3, 1\) and \(3,\)"):
        losses.bpr(pos[:, None], neg)
    with pytest.raises(ValueError, match=r"got \(3,\) and \(2,\)"):
        losses.bpr(pos, neg[:2])
    with pytest.raises(ValueError, match=r"got \(3,\) and \(3, 2, 1\)"):
        losses.bpr(pos, neg[:, None, None].expand(3, 2, 1))
    with pytest.raises(
        ValueError, match=r"mse: pred, target must have one shape, got pred \(3, 4\), target \(4,\)"
    ):
        losses.mse(torch.zeros(3, 4), torch.ones(4))
    with pytest.raises(ValueError, match=r"mask \(1, 4\)"):
        losses.mse(torch.zeros(3, 4), torch.ones(3, 4), torch.ones(1, 4))
    with pytest.raises(ValueError, match=r"multinomial_nll: .*logits \(2, 5\), x \(1, 5\)"):
        losses.multinomial_nll(torch.zeros(2, 5), torch.ones(1, 5))
    # the documented shapes still work, the (B, n_neg) form included
    assert math.isclose(losses.mse(torch.zeros(3, 4), torch.ones(3, 4)).item(), 1.0)
    per_pair = -F.logsigmoid(pos - neg).mean()
    torch.testing.assert_close(losses.bpr(pos, neg), per_pair)
    torch.testing.assert_close(losses.bpr(pos, neg[:, None].expand(3, 4)), per_pair)


@pytest.mark.parametrize("loss", [losses.info_nce, losses.nt_xent])
@pytest.mark.parametrize("tau", [0, 0.0, -0.5, float("nan"), np.float32(0.0)])
def test_contrastive_losses_reject_a_temperature_not_above_zero(loss, tau):
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    with pytest.raises(ValueError, match=rf"{loss.__name__}: temperature must be > 0, got"):
        loss(a, b, tau)


# --- fuzzing findings: shapes that broadcast or fail deep inside torch, NaN where a value is defined ---------


def test_contrastive_losses_reject_shapes_that_would_mislead():
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    # (B,) weights against (B, 1) broadcast to a (B, B) product: a wrong loss, not an error
    with pytest.raises(ValueError, match=r"info_nce: weights must have shape \(4,\), got \(4, 1\)"):
        losses.info_nce(a, b, 0.2, weights=torch.ones(4, 1))
    with pytest.raises(ValueError, match=r"info_nce: targets must have shape \(4,\), got \(2,\)"):
        losses.info_nce(a, b, 0.2, targets=torch.tensor([0, 1]))
    # without targets, row i of b is row i of a's positive: another row count is a mistake
    with pytest.raises(ValueError, match=r"info_nce: without targets, b must have a's 4 rows, got \(5, 3\)"):
        losses.info_nce(a, torch.randn(5, 3), 0.2)
    with pytest.raises(
        ValueError, match=r"info_nce: a and b must be 2-D with one width, got \(4, 3\) and \(4, 5\)"
    ):
        losses.info_nce(a, torch.randn(4, 5), 0.2)
    with pytest.raises(ValueError, match=r"info_nce: a and b must be 2-D .* got \(3,\) and \(3,\)"):
        losses.info_nce(a[0], b[0], 0.2)
    # nt_xent of two 1-D views had returned a number (log 5)
    with pytest.raises(
        ValueError, match=r"nt_xent: a and b must be 2-D \(B, d\) of one shape, got \(3,\) and \(3,\)"
    ):
        losses.nt_xent(a[0], b[0], 0.2)
    with pytest.raises(ValueError, match=r"nt_xent: .* got \(4, 3\) and \(5, 3\)"):
        losses.nt_xent(a, torch.randn(5, 3), 0.2)
    # the documented forms still work: (N, d) with targets
    assert torch.isfinite(losses.info_nce(a, torch.randn(7, 3), 0.2, targets=torch.tensor([0, 6, 2, 3])))


@pytest.mark.parametrize("loss", [losses.info_nce, losses.nt_xent])
@pytest.mark.parametrize("tau", ["0.2", None, True])
def test_contrastive_losses_reject_a_temperature_that_is_not_a_number(loss, tau):
    with pytest.raises(TypeError, match=rf"{loss.__name__}: temperature must be a number > 0, got {tau!r}"):
        loss(torch.randn(4, 3), torch.randn(4, 3), tau)


def test_pointwise_losses_reject_shapes_that_would_broadcast():
    mu = torch.randn(4, 3)
    with pytest.raises(
        ValueError, match=r"gaussian_kl: mu, logvar must have one shape, got mu \(4, 3\), logvar \(4, 1\)"
    ):
        losses.gaussian_kl(mu, torch.zeros(4, 1))
    with pytest.raises(ValueError, match=r"sampled_bce: pos_scores, neg_scores must have one shape"):
        losses.sampled_bce(torch.tensor([1.0, 2.0]), torch.tensor([[0.0], [1.0]]))  # had broadcast to (2, 2)
    with pytest.raises(ValueError, match=r"bce: .*weight \(3,\)"):
        losses.bce(mu, torch.ones(4, 3), torch.ones(3))
    with pytest.raises(ValueError, match=r"bce: .*target \(4, 1\)"):
        losses.bce(mu, torch.ones(4, 1))
    with pytest.raises(
        ValueError, match=r"item_ce: groups must have the shape of targets \(4,\), got \(2,\)"
    ):
        losses.item_ce(mu, torch.tensor([0, 1, 2, 0]), groups=torch.tensor([0, 1]))


def test_multinomial_nll_ignores_minus_inf_logits_of_unclicked_items():
    # log softmax is -inf there and 0 * -inf is NaN, but such an item contributes 0 to the likelihood
    logits = torch.tensor([[0.0, -math.inf, math.log(3.0)]], requires_grad=True)
    x = torch.tensor([[1.0, 0.0, 1.0]])
    loss = losses.multinomial_nll(logits, x)
    assert math.isclose(loss.item(), -(math.log(0.25) + math.log(0.75)), rel_tol=1e-6)
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    # a clicked item at -inf has probability 0: the loss is infinite, not NaN
    assert (
        losses.multinomial_nll(torch.tensor([[0.0, -math.inf]]), torch.tensor([[1.0, 1.0]])).item()
        == math.inf
    )


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda t, n: losses.bpr(n, t), "bpr: pos_scores"),
        (lambda t, n: losses.bce(t[None], n[None]), "bce: target"),
        (lambda t, n: losses.mse(n, t), "mse: pred"),
        (lambda t, n: losses.info_nce(t[:, None], n[:, None], 0.1), "info_nce: b"),
        (lambda t, n: losses.item_ce(t[None], n[:1].astype(np.int64)), "item_ce: targets"),
    ],
)
def test_losses_name_an_argument_that_is_not_a_tensor(call, name):
    # NumPy arrays had failed on an attribute (".dim") or deep in torch
    t = torch.tensor([0.5, -1.0, 2.0])
    with pytest.raises(TypeError, match=f"^{name} must be a torch.Tensor, got ndarray"):
        call(t, t.numpy())


def test_bce_takes_integer_targets():
    # a 0/1 target of integers had failed: "result type Float can't be cast to the desired output type Long"
    logits, target = torch.tensor([[0.3, -1.2, 2.0]]), torch.tensor([[1, 0, 1]])
    assert torch.equal(losses.bce(logits, target), losses.bce(logits, target.float()))
