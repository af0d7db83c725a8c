"""Small synthetic data sets shared by the unit tests."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sslrec_utils.data import Interactions, movielens, preprocess

# MovieLens-100K offline: RecBole's copy (installed by `make setup`). Without it `load_movielens` would try to
# download from GroupLens, which a test must never do: the tests that load ml-100k skip instead.
needs_recbole = pytest.mark.skipif(
    movielens.recbole_ml100k_dir() is None, reason="needs recbole==1.2.1 installed as the data carrier"
)


def clustered_interactions(
    n_users: int = 120, n_items: int = 60, n_clusters: int = 3, per_user: int = 12, seed: int = 0
) -> Interactions:
    """Users in clusters, each consuming mostly its cluster's items: a structure any real model can learn.

    Every user has `per_user` distinct items, 90% from their cluster's block of items, with increasing timestamps.
    """
    rng = np.random.default_rng(seed)
    block = n_items // n_clusters
    rows = []
    for u in range(n_users):
        c = u % n_clusters
        own = rng.choice(np.arange(c * block, (c + 1) * block), size=int(per_user * 0.9), replace=False)
        others = np.setdiff1d(np.arange(n_items), own)
        extra = rng.choice(others, size=per_user - len(own), replace=False)
        items = rng.permutation(np.concatenate([own, extra]))
        rows += [(u + 1, int(i) + 1, float(rng.integers(1, 6)), 1000 * u + t) for t, i in enumerate(items)]
    return preprocess(pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]))


def signal_once_saved(
    cmd: list[str], folder: Path, signals: list[int], settle: float = 0.0
) -> tuple[int, str]:
    """Start `cmd` (an ``sslrec train --out folder/NAME``) and, once its first best epoch is saved in its staging
    folder, wait `settle` seconds and send it `signals`, one after the other. Returns its exit status and stderr.
    """
    # torchrun's torchelastic_* folder, which a torchrun stopped by a signal leaves behind: not in /tmp
    scratch = folder / "scratch"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1", "TMPDIR": str(scratch)}
    run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while not list(folder.glob(".*.tmp/checkpoint.pt")):
            if run.poll() is not None or time.monotonic() > deadline:
                stop(run)
                pytest.fail(f"no checkpoint came; stderr:\n{run.communicate()[1][-3000:]}")
            time.sleep(0.2)
        time.sleep(settle)
        for signum in signals:
            run.send_signal(signum)
        _, err = run.communicate(timeout=120)
    finally:
        stop(run)
    return run.returncode, err


def stop(run: subprocess.Popen) -> None:
    """End `run` if it still runs, and what it started: SIGTERM first, which torchrun passes on to its ranks (a
    SIGKILL would end torchrun alone, and its ranks, in sessions of their own, would go on training and load
    the machine for the tests after), then SIGKILL after 60 s (torchrun's own grace is 30 s)."""
    if run.poll() is None:
        run.terminate()
        try:
            run.wait(60)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
