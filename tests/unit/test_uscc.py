"""Unified social credit codes: normalising and the GB 32100-2015 check character."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality_pipeline.parsing.uscc import (
    USCC_ALPHABET,
    USCC_WEIGHTS,
    normalise_uscc,
    uscc_check_char,
    uscc_is_valid,
)

PROPERTY = settings()  # examples per property: the Hypothesis profile (tests/conftest.py)

# 91350100M000100Y43 by hand: values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4 times the weights
# 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28 sum to 9+3+27+135+26+420+8+900+112 = 1640;
# 1640 mod 31 = 28, (31 - 28) mod 31 = 3, so the check character is "3".
KNOWN_VALID = "91350100M000100Y43"

prefixes = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


def test_weights_are_the_published_ones():
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(USCC_ALPHABET) == 31
    assert not set("IOSVZ") & set(USCC_ALPHABET)


def test_known_valid_code():
    assert uscc_check_char(KNOWN_VALID[:17]) == "3"
    assert uscc_is_valid(KNOWN_VALID)


def test_check_value_zero_maps_to_zero():
    # "00000000000000000" sums to 0; (31 - 0) mod 31 = 0.
    assert uscc_check_char("0" * 17) == "0"
    assert uscc_is_valid("0" * 18)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100M000100I43",  # I is not in the alphabet
        "91350100M000100O43",
        "91350100m000100y43",  # not normalised
        "91350100 M000100Y43",
        "",
    ],
)
def test_invalid_codes(code):
    assert not uscc_is_valid(code)


def test_non_string_is_invalid():
    assert not uscc_is_valid(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix", ["", "0" * 16, "0" * 18, "0" * 16 + "I", "0" * 16 + "a"])
def test_check_char_rejects_bad_prefix(prefix):
    with pytest.raises(ValueError):
        uscc_check_char(prefix)


@pytest.mark.parametrize(
    "written",
    [
        "91350100M000100Y43",
        "91350100m000100y43",
        " 91350100M000100Y43\u3000",
        "9135 0100 M000 100Y 43",
        "913501\u300000M000100Y43",
        "91350100-M00010-0Y43",
        "９１３５０１００ｍ０００１００ｙ４３",
        "\ufeff91350100M000100Y43\u200b",
        "91350100M000100Y43\xa0",
    ],
)
def test_normalise_written_forms(written):
    assert normalise_uscc(written) == KNOWN_VALID


@pytest.mark.parametrize("written", [None, "", "   ", "\u3000", "-", "/", "无", "N/A", "null", float("nan")])
def test_normalise_empty(written):
    assert normalise_uscc(written) is None


def test_normalise_keeps_wrong_codes_for_flagging():
    assert normalise_uscc("abc") == "ABC"


@PROPERTY
@given(prefixes)
def test_prefix_plus_check_char_is_valid(prefix):
    assert uscc_is_valid(prefix + uscc_check_char(prefix))


@PROPERTY
@given(prefixes, st.sampled_from(USCC_ALPHABET))
def test_any_other_check_char_is_invalid(prefix, other):
    check = uscc_check_char(prefix)
    assert uscc_is_valid(prefix + other) == (other == check)


@PROPERTY
@given(prefixes, st.integers(min_value=0, max_value=16), st.sampled_from(USCC_ALPHABET))
def test_single_substitution_is_detected(prefix, position, replacement):
    code = prefix + uscc_check_char(prefix)
    changed = code[:position] + replacement + code[position + 1 :]
    assert uscc_is_valid(changed) == (replacement == code[position])


@PROPERTY
@given(
    prefixes,
    st.lists(st.integers(min_value=0, max_value=18), max_size=5),
    st.sampled_from([" ", "\u3000", "\xa0", "-"]),
)
def test_lower_case_and_spaces_do_not_change_validity(prefix, cuts, gap):
    right = uscc_check_char(prefix)
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(right) + 1) % 31]
    for check in (right, wrong):
        code = prefix + check
        written = code.lower()
        for cut in sorted(set(cuts), reverse=True):
            written = written[:cut] + gap + written[cut:]
        assert normalise_uscc(written) == code
        assert uscc_is_valid(normalise_uscc(written)) == uscc_is_valid(code)
