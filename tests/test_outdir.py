"""Result folders written all or nothing (`sslrec_utils.outdir`)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from sslrec_utils import outdir
from sslrec_utils.outdir import check_out, staged

OWNED = ("metrics.json", "checkpoint.pt")


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_success_replaces_the_folder_and_failure_leaves_nothing(tmp_path):
    out = tmp_path / "new" / "run"
    with pytest.raises(RuntimeError), staged(out, False, OWNED) as tmp:
        (tmp / "metrics.json").write_text("{}")
        raise RuntimeError("the work failed")
    assert not (tmp_path / "new").exists()  # nor the parent it created
    with pytest.raises(RuntimeError), staged(tmp_path / "a" / "b" / "c" / "run", False, OWNED):
        raise RuntimeError("the work failed")
    assert not (tmp_path / "a").exists()  # nor any of the parents it created, the deepest first
    with staged(out, False, OWNED) as tmp:
        (tmp / "metrics.json").write_text('{"a": 1}')
    assert (out / "metrics.json").read_text() == '{"a": 1}' and hidden(out.parent) == []
    with staged(out, True, OWNED) as tmp:
        (tmp / "checkpoint.pt").write_text("w")
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt"] and hidden(out.parent) == []


def test_a_failure_after_a_checkpoint_keeps_it_and_says_where(tmp_path, capsys):
    out = tmp_path / "run"
    with (
        pytest.raises(KeyboardInterrupt),
        staged(out, False, OWNED, keep_on_failure=["checkpoint.pt"]) as tmp,
    ):
        (tmp / "checkpoint.pt").write_text("hours of training")
        raise KeyboardInterrupt
    assert not out.exists() and (tmp / "checkpoint.pt").exists()
    assert f"the unfinished result is kept in {tmp}" in capsys.readouterr().err


def test_a_folder_that_changed_during_the_work_is_left_alone(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with pytest.raises(ValueError, match=r"the result is complete in .* but could not become .*thesis.tex"):
        with staged(out, True, OWNED) as tmp:
            (tmp / "metrics.json").write_text("{}")
            (out / "thesis.tex").write_text("written meanwhile")
    assert (out / "thesis.tex").exists() and (tmp / "metrics.json").exists()  # both kept


def test_a_failed_swap_keeps_the_finished_work(tmp_path, monkeypatch):
    def refuse(tmp: Path, out: Path) -> None:
        raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(outdir, "_swap", refuse)
    with (
        pytest.raises(ValueError, match="complete in .* but could not become"),
        staged(tmp_path / "run", False, OWNED) as tmp,
    ):
        (tmp / "metrics.json").write_text("{}")
    assert (tmp / "metrics.json").exists()


def test_check_out_refusals_and_what_it_ignores(tmp_path, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    for junk in (".DS_Store", ".ipynb_checkpoints", ".metrics.json.x1y2.tmp", "metrics.json"):
        (out / junk).write_text("")
    check_out(out, True, OWNED)  # editor and system files, and an interrupted atomic write, are not foreign
    empty = tmp_path / "empty"  # a folder holding nothing but a system's files is empty: no --force needed
    empty.mkdir()
    (empty / ".DS_Store").write_text("")
    check_out(empty, False, OWNED, signature=("config.json", ["model"]))
    with pytest.raises(ValueError, match="not empty; choose another --out, or pass --force"):
        check_out(out, False, OWNED)
    (out / ".thesis.tex.tmp").write_text("")  # hidden and .tmp, but not a write of a name the command owns
    with pytest.raises(ValueError, match=r"holds files this command did not write \(\.thesis\.tex\.tmp\)"):
        check_out(out, True, OWNED)
    (out / ".thesis.tex.tmp").unlink()
    monkeypatch.chdir(out)
    with pytest.raises(ValueError, match="is the current folder or one above it"):
        check_out(Path("."), True, OWNED)
    with pytest.raises(ValueError, match="is the current folder or one above it"):
        check_out(tmp_path, True, OWNED)
    with pytest.raises(ValueError, match="is a file; --out takes a folder"):
        check_out(out / "metrics.json", True, OWNED)
    # the file in the way is named (mkdir had said "File exists", of the folder it was asked to make)
    with pytest.raises(
        ValueError, match=f"^{out / 'metrics.json'} is a file, not a folder: --out .* inside it$"
    ):
        with staged(out / "metrics.json" / "run" / "deeper", False, OWNED):
            pass
    assert not (out / "metrics.json").is_dir()


def test_force_replaces_only_a_folder_its_signature_marks(tmp_path: Path) -> None:
    # a user's own history.csv and config.json have a run's file names: without the run's config they stay
    signature, owned = ("config.json", ("model", "data")), ("config.json", "history.csv", "checkpoint.pt")
    out = tmp_path / "proj"
    out.mkdir()
    (out / "history.csv").write_text("user,item\n1,2\n")
    with pytest.raises(
        ValueError, match=r"nothing marks it as one of its results \(no config.json\); not rep"
    ):
        check_out(out, True, owned, signature)
    (out / "config.json").write_text('{"api_key_path": "settings"}')
    with pytest.raises(
        ValueError, match=r"\(config.json lacks model, data\); not replacing it, even with --f"
    ):
        check_out(out, True, owned, signature)
    (out / "config.json").write_text('{"model": "pop", "data')  # a run's, cut short (a full disk)
    with pytest.raises(ValueError, match=r"\(config.json is not JSON: cut short\?\); not replacing it"):
        check_out(out, True, owned, signature)
    (out / "config.json").unlink()
    (out / "config.json").mkdir()  # read as root too, where no file mode stops a read
    with pytest.raises(ValueError, match=r"\(config.json cannot be read: Is a directory\)"):
        check_out(out, True, owned, signature)
    (out / "config.json").rmdir()
    (out / "config.json").write_text('["model", "data"]')
    with pytest.raises(ValueError, match=r"\(config.json lacks model, data\)"):
        check_out(out, True, owned, signature)
    (out / "config.json").write_text('{"model": "pop", "data": {}}')
    check_out(out, True, owned, signature)  # an earlier run: replaced


def test_atomic_writes_give_the_umasks_permissions_and_leave_nothing_on_failure(tmp_path):
    """Run files were 0600 (``mkstemp``'s), unlike the rest of a run folder written outside `staged`."""
    from sslrec_utils.data.download import atomic_write
    from sslrec_utils.experiment import write_json
    from sslrec_utils.models import build_model
    from sslrec_utils.models.base import TrainData
    from sslrec_utils.train import save_checkpoint

    umask = os.umask(0o022)
    try:
        write_json(tmp_path / "config.json", {"a": 1})
        matrix = sp.csr_matrix(np.eye(3, dtype=np.float32))
        save_checkpoint(tmp_path / "checkpoint.pt", build_model("pop", TrainData.from_matrix(matrix)))
    finally:
        os.umask(umask)
    for name in ("config.json", "checkpoint.pt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "config.json") as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert json.loads((tmp_path / "config.json").read_text()) == {"a": 1}  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "config.json"]  # no .tmp left
