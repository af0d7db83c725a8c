"""``sslrec data info`` and ``sslrec data download``: output, exit statuses and one-line errors."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sslrec_utils.cli import main
from sslrec_utils.data import movielens
from tests.helpers import needs_recbole

SSLREC = Path(sys.executable).with_name("sslrec")


def run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@needs_recbole
def test_info_ml100k(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status, out, _ = run(["data", "info", "ml-100k", "--data-dir", str(tmp_path), "-q"], capsys)
    assert status == 0
    assert out.splitlines() == [
        "users         943",
        "items         1682",
        "interactions  100000",
        "density       6.30%",
    ]
    status, out, _ = run(["data", "info", "ml-100k", "--data-dir", str(tmp_path), "--json"], capsys)
    info = json.loads(out)
    assert status == 0 and (info["users"], info["items"], info["interactions"]) == (943, 1682, 100000)
    assert info["density"] == pytest.approx(100000 / (943 * 1682))


def test_info_on_a_file_with_custom_columns(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "mine.tsv"
    path.write_text("member\tbook\n1\ta\n1\tb\n2\ta\n")
    status, out, err = run(["data", "info", str(path), "--user-col", "member", "--item-col", "book"], capsys)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "users         2",
        "items         2",
        "interactions  3",
        "density       75.00%",
    ]
    semicolons = tmp_path / "mine.csv"
    semicolons.write_text("member;book\n1;a\n2;b\n")
    status, out, err = run(
        ["data", "info", str(semicolons), "--user-col", "member", "--item-col", "book", "--sep", ";"], capsys
    )
    assert (status, err, out.splitlines()[0]) == (0, "", "users         2")
    status, _, err = run(
        ["data", "info", str(path), "--user-col", "member", "--item-col", "book", "--rating-col", "stars"],
        capsys,
    )
    assert status == 2 and "column 'stars' missing from mine.tsv" in err


def test_info_on_a_synthetic_shape_is_the_log_train_reads(capsys: pytest.CaptureFixture) -> None:
    """``sslrec train --dataset synthetic:...`` trained on it, but ``data info`` had called it no data set."""
    from sslrec_utils.experiment import DataSpec, load_data

    status, out, err = run(["data", "info", "synthetic:200x100x3000", "--json"], capsys)
    assert (status, err) == (0, "")
    inter, _ = load_data(DataSpec(dataset="synthetic:200x100x3000"))
    assert (json.loads(out)["users"], json.loads(out)["interactions"]) == (
        inter.n_users,
        inter.n_interactions,
    )
    # a shape whose counts differ by seed (this one's items: 168 for seed 0, 164 for seed 1): the same log
    status, out, _ = run(["data", "info", "synthetic:50x2000x300", "--json"], capsys)
    inter, _ = load_data(DataSpec(dataset="synthetic:50x2000x300"))
    assert status == 0 and json.loads(out)["items"] == inter.n_items
    status, _, err = run(["data", "info", "synthetic:200x100"], capsys)
    assert status == 2 and err.startswith("sslrec: error: expected 'synthetic:USERSxITEMSxINTERACTIONS'")
    status, _, err = run(["data", "info", "nothing-here"], capsys)
    assert "is neither a data set (ml-100k, ml-1m, ml-20m, synthetic:UxIxN) nor a file" in err


def test_info_on_a_user_table(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "users.csv"
    path.write_text("user,age,zip\n1,24,85711\n2,53,94043\n3,24,85711\n")
    status, out, _ = run(["data", "info", str(path), "--item-col", "zip", "--json"], capsys)
    assert status == 0 and json.loads(out) == {
        "users": 3,
        "items": 2,
        "interactions": 3,
        "density": 0.5,
        "duplicate_rows": 0,
    }


def test_info_counts_repeated_pairs_once_as_training_does(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("user,item\n1,10\n1,10\n1,10\n2,10\n2,11\n")
    status, out, _ = run(["data", "info", str(path)], capsys)
    assert status == 0 and "interactions  3" in out and "density       75.00%" in out
    assert "duplicates    2 rows repeat a (user, item) pair" in out
    path.write_text("user,item\n1,10\n1,10\n2,11\n")
    status, out, _ = run(["data", "info", str(path)], capsys)
    assert status == 0 and "duplicates    1 row repeats a (user, item) pair" in out  # one is said too


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["data", "info", "ml-10k"],
            "'ml-10k' is neither a data set (ml-100k, ml-1m, ml-20m, synthetic:UxIxN) nor a file; did you mean 'ml-100k'?",
        ),
        (["data", "info", "{csv}s"], "nor a file; did you mean '{csv}'?"),
        (
            ["data", "info", "{csv}", "--item-col", "item_id"],
            "column 'item_id' missing from log.csv; found: ['user",
        ),
        (["data", "info", "{csv}", "--rating-col", "user", "--item-col", "user"], "are both 'user'"),
        (["data", "info", "{dir}"], "is a folder, not a file: give an interaction file"),
        (["data", "info", " "], "the data set is empty: give a MovieLens name"),  # had read as the folder "."
        (
            ["train", "--model", "pop", "--dataset", "", "--out", "{dir}/run"],
            "dataset is empty: give a MovieLens",
        ),
        (  # was killed by the kernel for want of memory
            ["data", "info", "synthetic:100000000x100000000x10000000000000"],
            "synthetic:100000000x100000000x10000000000000 needs about",
        ),
        (  # was created, with its parents
            ["data", "info", "ml-100k", "--data-dir", "{dir}/no/such"],
            "the data folder {dir}/no/such is missing and so is its parent {dir}/no;",
        ),
        (  # refused before any download, not ignored
            ["data", "info", "ml-100k", "--user-col", "foo", "--sep", ";"],
            "--user-col='foo', --sep=';' describe a file, but 'ml-100k' is not one",
        ),
        (
            ["data", "info", "ml-100k", "--sep", "tab"],
            "--sep='tab' describes a file, but 'ml-100k' is not one",
        ),
        (  # given, at its default: refused too (it had passed since the check compared with the default)
            ["data", "info", "ml-100k", "--user-col", "user"],
            "--user-col='user' describes a file, but 'ml-100k' is not one",
        ),
        (  # the report refuses it as train does (it had passed, at its default, for a MovieLens report)
            ["report", "--data", "ml-100k", "--user-col", "user", "--out", "{dir}/report"],
            "--user-col='user' describes a file, but 'ml-100k' is not one",
        ),
        (  # named as given
            ["report", "--data", "synthetic:30x20x100", "--param", "TIME_COL=none", "--out", "{dir}/report"],
            "TIME_COL=None describes a file, but 'synthetic:30x20x100' is not one",
        ),
        (  # said before the file is read, by the flags
            ["train", "--model", "pop", "--dataset", "{csv}", "--item-col", "user", "--out", "{dir}/run"],
            "--user-col and --item-col are both 'user'; they must name different columns",
        ),
        (  # had been taken, and ended as "no interactions left after ... min_item=18446744073709551616"
            ["train", "--model", "pop", "--dataset", "{csv}", "--min-item", str(2**64), "--out", "{dir}/run"],
            "--min-item must be < 2**63, got 18446744073709551616",
        ),
    ],
)
def test_user_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, argv: list[str], message: str
) -> None:
    (tmp_path / "log.csv").write_text("user,movie\n1,2\n")
    argv = [a.replace("{csv}", str(tmp_path / "log.csv")).replace("{dir}", str(tmp_path)) for a in argv]
    message = message.replace("{csv}", str(tmp_path / "log.csv")).replace("{dir}", str(tmp_path))
    status, out, err = run(argv, capsys)
    assert status == 2 and out == ""
    assert err.startswith("sslrec: error: ") and message in err and err.count("\n") == 1


def test_no_source_is_one_line_with_instructions(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(movielens, "recbole_ml100k_dir", lambda: None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [
        "data",
        "download",
        "ml-100k",
        "--data-dir",
        str(tmp_path),
        "--url",
        f"http://127.0.0.1:{port}/x.zip",
    ]
    status, out, err = run(argv + ["-q"], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1
    # the URL was the user's choice: the advice is about it (RecBole's copy was not tried, so not offered)
    assert (
        "could not load ml-100k" in err
        and f"check that http://127.0.0.1:{port}/x.zip can be reached and is the ml-100k" in err
    )
    # nothing got to check a checksum: no advice about one (it had been given whatever failed)
    assert "--md5" not in err and "network connection" in err and "pip install recbole" not in err
    # a local file with another checksum: no network to check
    (tmp_path / "copy.zip").write_bytes(b"not the GroupLens zip")
    argv[-1] = str(tmp_path / "copy.zip")
    status, out, err = run(argv + ["-q"], capsys)
    assert status == 2 and "MD5 mismatch" in err and "--md5" in err and "network" not in err
    # without a URL of the user's, every source is offered (built here: this test must not reach GroupLens)
    url = movielens.GROUPLENS_URL.format(name="ml-100k")
    advice = str(
        movielens._unavailable("ml-100k", tmp_path / "ml-100k", url, ["cache (none)"], explicit=False)
    )
    assert f"download {url} yourself" in advice and "pip install recbole==1.2.1 --no-deps" in advice
    assert "network connection" in advice


@needs_recbole
def test_download_fills_the_cache(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status, out, _ = run(["data", "download", "ml-100k", "--data-dir", str(tmp_path), "-q"], capsys)
    assert status == 0 and out == f"ml-100k: 100000 ratings in {tmp_path / 'ml-100k'} (source: recbole)\n"
    status, out, _ = run(["data", "download", "ml-100k", "--data-dir", str(tmp_path)], capsys)
    assert status == 0 and out.endswith("(source: cache)\n")


def test_usage_errors_and_help(capsys: pytest.CaptureFixture) -> None:
    import sslrec_utils

    assert main(["--help"]) == 0
    assert "data" in capsys.readouterr().out
    assert main(["--version"]) == 0
    # what a bug report needs: the package's version, torch's and its build, Python's
    version = re.escape(sslrec_utils.__version__)
    assert re.fullmatch(
        rf"sslrec {version} \(torch \d\S+ (for CUDA \S+|without CUDA), Python 3\.\d+\.\d+\)\n",
        capsys.readouterr().out,
    )
    assert main([]) == 2
    assert main(["data", "download", "ml-10k"]) == 2
    assert "invalid choice: 'ml-10k'" in capsys.readouterr().err


def test_one_version_for_the_command_the_wheel_and_the_metadata() -> None:
    # one version for `sslrec --version`, the wheel (pyproject.toml) and the installed metadata
    import importlib.metadata
    import tomllib

    import sslrec_utils

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert sslrec_utils.__version__ == pyproject["project"]["version"]
    assert importlib.metadata.version("sslrec-utils") == sslrec_utils.__version__


@pytest.mark.skipif(not SSLREC.exists(), reason="the sslrec console script is not installed next to python")
def test_console_script(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("user,item\n1,2\n")
    env = {**os.environ, "SSLREC_DATA": str(tmp_path)}
    ok = subprocess.run(
        [SSLREC, "data", "info", str(tmp_path / "log.csv")], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0 and ok.stdout.splitlines()[0] == "users         1"
    bad = subprocess.run(
        [SSLREC, "data", "info", "nope"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert (
        bad.stderr
        == "sslrec: error: 'nope' is neither a data set (ml-100k, ml-1m, ml-20m, synthetic:UxIxN) nor a file\n"
    )


def test_data_info_reads_a_data_set_beside_a_folder_of_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from sslrec_utils.cli import data_commands

    (tmp_path / "ml-100k").mkdir()  # where the GroupLens zip was unpacked: a folder, not a log
    monkeypatch.chdir(tmp_path)
    ratings = pd.DataFrame({"user": [1, 1, 2], "item": [1, 2, 1]})
    bars = []  # what each load was asked for: a download bar or not

    def load_movielens(name: str, data_dir: Path | None, progress: bool) -> object:
        bars.append(progress)
        return type("ML", (), {"ratings": ratings})

    monkeypatch.setattr(data_commands, "load_movielens", load_movielens)
    status, out, err = run(["data", "info", "ml-100k", "-q"], capsys)
    assert status == 0 and err == "" and out.splitlines()[:2] == ["users         2", "items         2"]
    run(["data", "info", "ml-100k"], capsys)
    assert bars == [False, True]  # -q: no bar


def test_data_info_reads_a_file_named_as_a_data_set(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sslrec_utils.cli import data_commands

    (tmp_path / "ml-100k").write_text("user,item\n1,2\n3,4\n")  # the user's own log, not MovieLens
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        data_commands, "load_movielens", lambda *args, **kwargs: pytest.fail("read as MovieLens")
    )
    status, out, err = run(["data", "info", "ml-100k", "--sep", ","], capsys)
    assert (status, err) == (0, "") and out.splitlines()[0] == "users         2"


def test_a_warning_about_the_data_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import warnings

    (tmp_path / "frac.csv").write_text("user,item,t\n1,1,0.5\n1,2,1\n2,1,2\n")
    before = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # not once per location: another test may have raised it
        status, out, err = run(["data", "info", str(tmp_path / "frac.csv"), "--time-col", "t"], capsys)
    assert status == 0 and out.startswith("users         2\n")
    assert err == (
        "sslrec: warning: column 't' of frac.csv has fractions of a second, which are dropped: events within "
        "one second tie, and the ties option (--ties) orders them\n"
    )
    assert warnings.showwarning is before  # restored when the command ends


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_disk_or_a_name_too_long_is_one_line(tmp_path, capsys):
    """``sslrec models > /dev/full`` and a 300-character --out had ended in tracebacks; ``--help`` and
    ``--version > /dev/full`` had ended in success."""
    buffered = {
        k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"
    }  # unbuffered, argparse hides it
    for argv in (["models"], ["--help"], ["--version"], ["data", "--help"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "sslrec_utils.cli", *argv],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                env=buffered,
            )
        assert (
            done.returncode == 1
            and done.stderr == "sslrec: error: No space left on device (writing the output)\n"
        ), argv
    out = tmp_path / ("a" * 300)
    assert (
        main(["train", "--model", "pop", "--dataset", "synthetic:60x50x1200", "-q", "--out", str(out)]) == 1
    )
    assert capsys.readouterr().err.startswith("sslrec: error: File name too long: ")


def test_a_file_the_user_may_not_read_is_one_line_that_says_so(tmp_path, capsys, monkeypatch):
    """An unreadable checkpoint had been blamed on a cut-short file ("train again"); an unreadable config.json,
    run folder or data folder had ended in a traceback. The tests run as root, who may read anything, so the
    refusals are simulated where the files are read."""
    import errno

    from sslrec_utils.experiment import run_dir as run_dir_module

    run_dir = tmp_path / "run"
    assert (
        main(["train", "--model", "pop", "--dataset", "synthetic:60x50x1200", "-q", "--out", str(run_dir)])
        == 0
    )
    capsys.readouterr()

    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(run_dir_module, "load_checkpoint", refuse)
        assert main(["recommend", "--run", str(run_dir), "--user", "1"]) == 1
    assert capsys.readouterr().err == f"sslrec: error: Permission denied: {run_dir / 'checkpoint.pt'}\n"
    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_text", lambda self, *a, **k: refuse(self))
        assert main(["evaluate", "--run", str(run_dir)]) == 1
    assert capsys.readouterr().err == f"sslrec: error: Permission denied: {run_dir / 'config.json'}\n"


@pytest.mark.parametrize("closed", [1, 2])
def test_a_closed_stdout_fails_and_a_closed_stderr_never_sends_errors_to_stdout(closed, tmp_path):
    # with fd 1 or 2 closed Python sets sys.stdout or sys.stderr to None, and print(file=None) writes to stdout:
    # `sslrec models >&-` had exited 0 with its output lost, and `2>&-` had put error lines in the data stream
    command = [sys.executable, "-m", "sslrec_utils.cli", "data", "info", str(tmp_path / "none.csv")]
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        done = subprocess.run(command, stdout=stdout, stderr=stderr, preexec_fn=lambda: os.close(closed))
    if closed == 1:
        assert done.returncode == 1
        assert (
            err.read_text()
            == "sslrec: error: standard output is closed: redirect it to a file or /dev/null\n"
        )
    else:
        assert done.returncode == 2 and out.read_text() == ""  # the "no such file" line went nowhere


def test_ctrl_c_while_the_parser_imports_the_models_is_one_line(monkeypatch, capsys):
    from sslrec_utils import cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["models"]) == cli.INTERRUPTED
    assert capsys.readouterr().err == "sslrec: interrupted\n"


def test_ctrl_c_while_the_command_imports_torch_is_one_line():
    """A Ctrl-C in the first second or so of any command (the module's imports: torch, pandas) had printed
    Python's traceback; here the import of sslrec_utils.data is interrupted, as a Ctrl-C would."""
    code = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sslrec_utils.data':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from sslrec_utils.cli import run\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (130, "sslrec: interrupted\n")


def test_a_setting_given_twice_is_refused_not_resolved_to_the_last(tmp_path, capsys):
    argv = [
        "train",
        "--model",
        "multvae",
        "--dataset",
        "synthetic:60x50x1200",
        "-q",
        "--out",
        str(tmp_path / "r"),
    ]
    assert main([*argv, "--set", "lr=0.1", "--set", "dropout=0.2", "--set", "lr=0.2"]) == 2
    assert capsys.readouterr().err == (
        "sslrec: error: lr given twice (--set lr=...); give each setting once\n"
    )
    assert not (tmp_path / "r").exists()


def test_a_max_len_whose_attention_cannot_fit_is_refused_before_training(tmp_path, capsys):
    """`--set max_len=100000` had been warned of, then killed by the kernel's out-of-memory killer without a
    message, leaving a hidden temporary folder beside --out."""
    out = tmp_path / "run"
    argv = ["train", "--model", "sasrec", "--dataset", "synthetic:60x50x1200", "--split", "loo", "-q"]
    assert main([*argv, "--set", "max_len=100000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "sslrec: error: SASRec needs about 85,830.7 GiB of memory for one validation batch of " in err
    assert err.rstrip().endswith("lower max_len (attention grows with its square) or eval_batch_size")
    assert not list(tmp_path.iterdir())  # neither the run folder nor a temporary one


def test_torchrun_without_distributed_is_refused_before_training(tmp_path, capsys, monkeypatch):
    """Under torchrun without --distributed every process had trained the whole run, and all but one then failed
    to move their finished result to the same --out, leaving it in a hidden folder."""
    out = tmp_path / "run"
    argv = ["train", "--model", "pop", "--dataset", "synthetic:60x50x1200", "-q", "--out", str(out)]
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "sslrec: error: WORLD_SIZE=2 in the environment (torchrun's) but no --distributed: every process would "
        "train the whole run into the same --out; add --distributed, or unset WORLD_SIZE for a single process\n"
    )
    assert not list(tmp_path.iterdir())
    # torchrun starts every process with it: the first of the machine says it, the others fail silently (the
    # message had come once per process)
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert main(argv) == 2 and capsys.readouterr().err == ""
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert main(argv) == 2 and "but no --distributed" in capsys.readouterr().err
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("LOCAL_RANK")
    monkeypatch.setenv("WORLD_SIZE", "1")  # torchrun --nproc_per_node=1: one process, nothing to race
    assert main(argv) == 0 and (out / "metrics.json").is_file()
