"""``sslrec recommend``: for users, for a new history, or items similar to one; and the reading of the IDs it
is given, with a hint where quoting or a comma split an ID."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import re
import shlex
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sslrec_utils.cli.options import _flag

if TYPE_CHECKING:
    from sslrec_utils.experiment import DataSpec


def _recommend(args: argparse.Namespace) -> int:
    """Print recommendations of a trained run: for users, for a new history, or similar items."""
    from sslrec_utils.recommend import TrainedRecommender

    chosen = sum(x is not None for x in (args.user, args.history, args.similar))
    if chosen != 1:
        raise ValueError("give exactly one of --user, --history or --similar")
    # the IDs are read before the run is loaded: malformed quoting fails at once
    if args.user is not None:
        users = _id_list(args.user, "--user")
    else:
        items = (
            _id_list(args.history, "--history")
            if args.history is not None
            else _id_list(args.similar, "--similar")
        )
    rec = TrainedRecommender.load(args.run, device=args.device)
    filters = _filters_note(rec.spec)
    n_items = rec.split.n_items
    left: dict[object, int] = {}  # each asked-for user's unseen items: a list shorter than -k when fewer
    if args.user is not None:
        with _quoting_hint("--user", users, rec.split.user_map.ids, filters):
            table = rec.recommend(users, k=args.k)
        idx = rec.split.user_map.to_index(users, kind="user IDs")
        unseen = rec.n_unseen(idx)
        left = dict(zip(rec.split.user_map.to_original(idx).tolist(), unseen.tolist(), strict=True))
    elif args.history is not None:
        with _quoting_hint("--history", items, rec.split.item_map.ids, filters):
            table = rec.recommend_for_history(items, k=args.k)
    else:
        (item, *others) = items
        if others:
            hint = _comma_id_hint("--similar", items, rec.split.item_map.ids, every_run=True)
            raise ValueError(f"--similar takes one item ID, got {args.similar!r}{hint}")
        with _quoting_hint("--similar", items, rec.split.item_map.ids, filters):
            table = rec.similar_items(item, k=args.k)
    if args.json:
        print(table.to_json(orient="records"))
    elif not table.empty:
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    full = [str(user) for user, n in left.items() if n == 0]
    short = [f"{user} ({n})" for user, n in left.items() if 0 < n < args.k]
    rest = f"the history holds the others of the catalogue's {n_items}"
    for named, what, holds in (
        (full, "no item", "the history holds every item"),
        (short, f"fewer than {args.k} items", rest),
    ):
        if named:  # among other users, whose lists are printed, or alone
            who = ", ".join(named[:10]) + (", ..." if len(named) > 10 else "")
            print(f"sslrec: {what} left to recommend for user {who}: {holds}", file=sys.stderr)
    noun = "item" if len(table) == 1 else "items"
    if args.history is not None and len(table) < args.k:
        print(
            "sslrec: no item left to recommend: the history holds every item of the catalogue"
            if table.empty
            else f"sslrec: only {len(table)} {noun} left to recommend: {rest}",
            file=sys.stderr,
        )
    if args.similar is not None and len(table) < min(args.k, n_items - 1):  # weights <= 0 relate no item
        print(f"sslrec: the model relates only {len(table)} {noun} to {item}", file=sys.stderr)
    elif args.similar is not None and len(table) < args.k:
        print(f"sslrec: only {len(table)} other {noun} in the catalogue", file=sys.stderr)
    return 0


def _id_list(text: str, option: str) -> list[str]:
    """The IDs of one CSV record: ``"50,007,SKU1"`` -> ``["50", "007", "SKU1"]``, and a quoted ID keeps its
    comma: ``'"Lion King, The",Heat'`` -> ``["Lion King, The", "Heat"]``.

    The IDs stay text, which the run's ID map reads as its own type (so ``007`` stays ``"007"`` for IDs kept
    as text, and ``50`` becomes 50 for integer IDs). Spaces around an ID are dropped, and so are empty IDs.

    Args:
        text: the option's value.
        option: the option, for the error message (e.g. ``"--history"``).

    Returns:
        The IDs, in the order given.

    Raises:
        ValueError: malformed quoting (an unterminated quote, text after a closing one), a line break outside
            quotes, or no ID at all.
    """
    # spaces after a closing quote are dropped as around any ID (strict CSV refuses them)
    record = re.sub(r'"[ \t]+(?=,|$)', '"', text)
    reader = csv.reader(io.StringIO(record, newline=""), skipinitialspace=True, strict=True)
    try:
        records = list(reader)
    except csv.Error as err:
        raise ValueError(
            f"malformed quoting in {option} {text!r} ({err}): give the IDs as one CSV record, an ID that "
            f"holds a comma in double quotes, e.g. {option} '\"Lion King, The\",Heat', and a quote that "
            'starts an ID doubled inside quotes (\'"""Weird"" Al",Heat\')'
        ) from None
    if len(records) > 1:
        raise ValueError(f"{option} takes its IDs on one line, separated by commas; got {text!r}")
    parts = [p.strip() for p in (records[0] if records else []) if p.strip()]
    if not parts:
        raise ValueError(f"no IDs in {text!r}")
    return parts


def _comma_id_hint(option: str, parts: list[str], ids: Iterable[object], every_run: bool = False) -> str:
    """A hint to quote the IDs of `ids` that hold a comma and that the comma cut into consecutive `parts`
    (``Lion King, The`` typed unquoted gives ``"Lion King"`` and ``"The"``), or ``""`` when none does.

    Args:
        option: the option the IDs were given to (e.g. ``"--history"``).
        parts: the IDs as `_id_list` read them.
        ids: the original IDs of the run's map.
        every_run: join every run of pieces that makes an ID; False joins only runs holding an unknown piece
            (``Lion King`` and ``The`` may be IDs too).

    Returns:
        ``; 'Lion King, The' is one ID: quote it, as in --history '"Lion King, The",Heat'``, or ``""``.
    """
    ids = list(ids)
    known = set(map(str, ids))
    cut = {o: [p.strip() for p in o.split(",") if p.strip()] for o in ids if isinstance(o, str) and "," in o}
    fixed, joined = list(parts), []
    for original, pieces in sorted(cut.items(), key=lambda pair: -len(pair[1])):  # the longest first
        if len(pieces) < 2:
            continue
        start = 0
        while start + len(pieces) <= len(fixed):
            run = fixed[start : start + len(pieces)]
            if run == pieces and (every_run or not known.issuperset(run)):
                fixed[start : start + len(pieces)] = [original]
                joined.append(original)
            start += 1
    if not joined:
        return ""
    record = io.StringIO()
    csv.writer(record, lineterminator="").writerow(fixed)  # quotes the fields that need it
    names = ", ".join(map(repr, dict.fromkeys(joined)))
    each = "is one ID: quote it" if len(set(joined)) == 1 else "are one ID each: quote them"
    return f"; {names} {each}, as in {option} {shlex.quote(record.getvalue())}"


@contextlib.contextmanager
def _quoting_hint(option: str, parts: list[str], ids: Iterable[object], filters: str = "") -> Iterator[None]:
    """Add `_comma_id_hint`, and `filters` (`_filters_note`), to an unknown-ID error (a ``KeyError``) raised
    inside the block.

    Args:
        option: the option the IDs were given to (e.g. ``"--history"``).
        parts: the IDs as `_id_list` read them.
        ids: the original IDs of the run's map.
        filters: what the run's data options left out, or ``""``.
    """
    try:
        yield
    except KeyError as err:
        hint = _comma_id_hint(option, parts, ids) + filters
        if not hint or not err.args:
            raise
        raise KeyError(f"{err.args[0]}{hint}") from None


def _filters_note(spec: DataSpec | None) -> str:
    """``"; the run was trained with --min-user 5, which leaves out some of the data's users and items"`` for a
    run whose data options (`spec`) filter the log, else ``""``."""
    if spec is None:
        return ""
    options = [f"--threshold {spec.threshold:g}"] if spec.threshold is not None else []
    options += [
        f"{_flag(key)} {getattr(spec, key)}" for key in ("min_user", "min_item") if getattr(spec, key)
    ]
    if not options:
        return ""
    which = "leave" if len(options) > 1 else "leaves"
    return f"; the run was trained with {', '.join(options)}, which {which} out some of the data's users and items"


def _add_recommend_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec recommend --run DIR (--user U | --history I,J | --similar I)``."""
    rec = subparsers.add_parser(
        "recommend",
        help="top-N items from a trained run, with titles",
        description="Loads a run written by sslrec train and prints the top items for known users (--user), "
        "for a new history folded in without retraining (--history), or the items most similar to one item "
        "(--similar). Items a user has already interacted with are left out.",
    )
    rec.add_argument("--run", required=True, help="run directory written by sslrec train")
    rec.add_argument(
        "--user",
        default=None,
        help="original user ID(s), comma-separated (quote an ID with a comma, as for --history)",
    )
    rec.add_argument(
        "--history",
        default=None,
        help="item IDs of a new user's history, oldest first (fold-in), comma-separated as one CSV record: "
        "quote an ID that holds a comma, e.g. --history '\"Lion King, The\",Heat'",
    )
    rec.add_argument(
        "--similar",
        default=None,
        help="an item ID: list its most similar items (quote it if it holds a comma)",
    )
    rec.add_argument("-k", type=int, default=10, help="how many items (default 10)")
    rec.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (default auto)")
    rec.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    rec.set_defaults(func=_recommend)
