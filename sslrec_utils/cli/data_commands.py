"""``sslrec data info|download`` and ``sslrec models [NAME]``."""

from __future__ import annotations

import argparse
import json

from sslrec_utils.cli.options import _add_data_options, _data_options
from sslrec_utils.cli.process import _terminate_as_ctrl_c
from sslrec_utils.data import DATASETS, dataset_info, load_interactions, load_movielens
from sslrec_utils.data.download import expand_user
from sslrec_utils.data.files import FILE_FIELDS, unknown_source
from sslrec_utils.data.synthetic import parse_synthetic, synthetic_interactions


def _data_info(args: argparse.Namespace) -> int:
    """Print users, items, interactions and density of a MovieLens name or an interaction file."""
    if problem := unknown_source(args.data):  # neither a data set nor a file (nor a name at all)
        raise ValueError(problem)
    path, shape = expand_user(args.data), parse_synthetic(args.data)
    # a folder named as a data set (an unpacked zip) is not the log
    if (args.data in DATASETS and not path.is_file()) or shape is not None:
        _data_options(args, args.data, FILE_FIELDS)  # refused as train refuses them: not silently ignored
        if shape is not None:  # the log `sslrec train --dataset` reads for that name
            ratings = synthetic_interactions(*shape, seed=0)
        else:
            with _terminate_as_ctrl_c():  # it may download: a SIGTERM then removes the partial file
                ratings = load_movielens(args.data, args.data_dir, progress=not args.quiet).ratings
    else:  # a folder too: load_interactions says it is not a file
        ratings = load_interactions(
            path,
            user_col=args.user_col or "user",
            item_col=args.item_col or "item",
            rating_col=args.rating_col,
            time_col=args.time_col,
            sep=args.sep,
        )
    info = dataset_info(ratings)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"users         {info['users']}")
        print(f"items         {info['items']}")
        print(f"interactions  {info['interactions']}")
        print(f"density       {info['density']:.2%}")
        if info["duplicate_rows"]:
            print(
                f"duplicates    {info['duplicate_rows']} "
                f"{'row repeats' if info['duplicate_rows'] == 1 else 'rows repeat'} a (user, item) pair; training keeps one "
                "interaction per pair (the latest)"
            )
    return 0


def _data_download(args: argparse.Namespace) -> int:
    """Fetch a MovieLens data set into the cache (from RecBole's copy or GroupLens) and say where it is."""
    with _terminate_as_ctrl_c():  # a SIGTERM mid-download removes the partial file, as Ctrl-C does
        data = load_movielens(
            args.name, args.data_dir, url=args.url, md5=args.md5, progress=not args.quiet, require_cache=True
        )
    print(f"{data.name}: {len(data.ratings)} ratings in {data.path} (source: {data.source})")
    return 0


def _add_data_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec data info|download``."""
    data = subparsers.add_parser(
        "data",
        help="inspect and fetch data sets",
        description="info prints the size of a MovieLens data set or an interaction file; download fetches a "
        "MovieLens data set into the cache (ml-100k from RecBole's copy where it is installed, else the GroupLens "
        "zip, whose MD5 is checked).",
    )
    commands = data.add_subparsers(dest="data_command", required=True, metavar="{info,download}")

    info = commands.add_parser("info", help="print users, items, interactions and density")
    info.add_argument(
        "data",
        metavar="NAME_OR_PATH",
        help=f"one of {', '.join(DATASETS)}, synthetic:UxIxN (a generated log), or a CSV/TSV/Parquet file",
    )
    info.add_argument("--user-col", default=None, help="user ID column of a file (default: user)")
    info.add_argument("--item-col", default=None, help="item ID column of a file (default: item)")
    info.add_argument("--rating-col", default=None, help="rating column of a file (default: none)")
    info.add_argument("--time-col", default=None, help="time column of a file (default: none)")
    info.add_argument("--sep", default=None, help="field separator of a file (default: from the extension)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    _add_data_options(info)
    info.set_defaults(func=_data_info)

    download = commands.add_parser("download", help="fetch a MovieLens data set into the cache")
    download.add_argument("name", choices=list(DATASETS), metavar="NAME", help=", ".join(DATASETS))
    download.add_argument(
        "--url",
        default=None,
        help="zip URL or local path, used instead of RecBole's copy (default: GroupLens, after RecBole's copy "
        "of ml-100k)",
    )
    download.add_argument("--md5", default=None, help="expected MD5 of the zip (default: the published one)")
    _add_data_options(download)
    download.set_defaults(func=_data_download)


def _models(args: argparse.Namespace) -> int:
    """List the models, or one model's settings (what ``--set`` accepts) with their defaults and meanings, wrapped
    to the terminal (at most 110 columns, at least 60; 80 when the output is not a terminal, as in a notebook)."""
    import shutil
    import textwrap

    from sslrec_utils.experiment import model_settings
    from sslrec_utils.models import MODELS, config_class, summary, trained_by_epochs

    columns = max(60, min(110, shutil.get_terminal_size().columns))

    def say(text: str, first: str = "", rest: str = "") -> None:
        print(textwrap.fill(text, columns, initial_indent=first, subsequent_indent=rest))

    if args.name is None:
        if args.json:
            print(json.dumps({name: summary(name) for name in sorted(MODELS)}))
            return 0
        for name in sorted(MODELS):
            print(f"{name:<9} {textwrap.shorten(summary(name), columns - 10, placeholder=' ...')}")
        print()
        say("`sslrec models NAME` lists a model's settings (--set KEY=VALUE) with its defaults.")
        return 0
    table = model_settings(args.name)  # an unknown name: ValueError, with the closest one
    grid = {key: list(values) for key, values in config_class(args.name).search_space.items()}
    if args.json:
        records = table.to_dict("records")
        print(
            json.dumps({"model": args.name, "summary": summary(args.name), "settings": records, "grid": grid})
        )
        return 0
    say(f"{args.name}: {summary(args.name)}")
    # each default as --set reads it: JSON ([600, 200], null, true, "all")
    lefts = [f"  {k} = {json.dumps(v)}" for k, v in zip(table["key"], table["default"], strict=True)]
    width = max(map(len, lefts)) + 2
    headings = {
        "model": "model settings (--set KEY=VALUE)",
        "training": "training settings (--set KEY=VALUE) and the defaults this model trains with"
        if trained_by_epochs(args.name)
        else f"training settings (--set KEY=VALUE); closed form, so {args.name} reads only these",
    }
    for group, heading in headings.items():
        print()
        say(f"{heading}:")
        if not (table["group"] == group).any():
            print("  none")
        for left, row in zip(lefts, table.itertuples(), strict=True):
            if row.group == group:
                values = "" if row.choices is None else f"; one of {', '.join(map(json.dumps, row.choices))}"
                say(f"{row.meaning}{values}", left.ljust(width), " " * width)
    if grid:
        print()
        say("searched on validation with --search (by default for closed-form models):")
        for key, values in grid.items():
            say(json.dumps(values), f"  {key} in ", "    ")
    return 0


def _add_models_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec models [NAME]``."""
    from sslrec_utils.models import MODELS

    models = subparsers.add_parser(
        "models",
        help="list the models, or one model's settings",
        description="Without NAME, one line per model: what it is and its paper. With NAME, every setting that "
        "train accepts as --set KEY=VALUE, its default (as --set reads it) and what it means, and the "
        "grid that --search tries.",
    )
    models.add_argument("name", nargs="?", metavar="NAME", help=f"one of: {', '.join(sorted(MODELS))}")
    models.add_argument("--json", action="store_true", help="print one JSON object")
    models.set_defaults(func=_models)
