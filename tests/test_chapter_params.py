"""`sslrec_utils.chapter_params`: the checks that stop a chapter on a parameter it cannot use."""

from __future__ import annotations

import pytest

from sslrec_utils.chapter_params import as_list, keeps


@pytest.mark.parametrize(
    ("value", "of", "expected"),
    [
        ([0.001, 100.0], "numbers", [0.001, 100.0]),
        ((1, 2.5), "numbers", [1, 2.5]),  # a tuple default comes back as a list
        (["ease", "multvae"], "names", ["ease", "multvae"]),
        ([50, "a7"], "item IDs", [50, "a7"]),  # a word not in KINDS checks no type
    ],
)
def test_as_list_returns_a_new_list(value, of, expected):
    got = as_list("X", value, of)
    assert got == expected and isinstance(got, list) and got is not value


@pytest.mark.parametrize(
    ("value", "of", "words"),
    [
        # what `-p NAME "[0.0, 0.5]"` gives: the -y form with the same items
        (
            "[0.0, 0.5]",
            "numbers",
            "X = '[0.0, 0.5]' is not a list of numbers: pass lists to Papermill as YAML, "
            "-y 'X: [0.0, 0.5]', not with -p",
        ),
        ("0.001", "numbers", "-y 'X: [0.001]'"),
        ("[25, None]", "sizes", "-y 'X: [25, null]'"),  # as YAML writes None
        ("(25, None, True)", "sizes", "-y 'X: [25, null, true]'"),
        ("['sasrec', 'bert4rec']", "names", "-y 'X: [sasrec, bert4rec]'"),
        (50, "item IDs", "X = 50 is not a list of item IDs"),
        ([], "numbers", "X is empty: it needs at least one of its numbers"),
        ([0.001, "1e-3"], "numbers", "it holds '1e-3' (str); YAML reads a number such as 1e-3 as text"),
        ([True], "numbers", "it holds True (bool)"),
        (["sasrec", None], "names", "it holds None (NoneType)"),
    ],
)
def test_as_list_says_what_is_wrong_and_how_to_pass_a_list(value, of, words):
    with pytest.raises(ValueError) as refused:
        as_list("X", value, of)
    assert words in str(refused.value)


def test_the_yaml_hint_is_given_only_for_text_that_reads_as_a_number():
    with pytest.raises(ValueError) as refused:
        as_list("X", [0.1, "fast"], "numbers")
    assert "it holds 'fast' (str)" in str(refused.value) and "YAML" not in str(refused.value)


def test_keeps_names_what_the_text_quotes_and_is_missing():
    keeps("MODELS", ["pop", "ae", "multvae", "ease", "dae"], ["pop", "ae", "multvae", "ease"])  # added: fine
    with pytest.raises(
        ValueError, match=r"MODELS = \['pop', 'ease'\] lacks \['ae', 'multvae'\], which the text"
    ):
        keeps("MODELS", ("pop", "ease"), ["pop", "ae", "multvae", "ease"])
