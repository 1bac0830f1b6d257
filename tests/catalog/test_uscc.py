"""The GB 32100 unified social credit code: known real codes, each rule, normalisation and build()."""

from __future__ import annotations

import pytest

from catalog import uscc

# Codes printed on public business licences and in the standard's own example.
REAL_CODES = (
    "91350100M000100Y43",
    "91110108551385082Q",
    "914403001922038216",
    "91440300708461136T",
    "91110000100006485K",
    "12100000400000624D",
)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert uscc.is_valid(code)
    assert uscc.validate(code) == code


def test_validate_normalises_case_and_blanks():
    assert uscc.validate(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert uscc.validate("9135 0100 M000 100Y 43") == "91350100M000100Y43"


def test_wrong_check_character():
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate("911100001000012345")
    assert caught.value.rule == "check"
    assert not uscc.is_valid("911100001000012345")


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", "", "9135"])
def test_wrong_length(code):
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate(code)
    assert caught.value.rule == "length"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z", "-", "中"])
def test_characters_outside_the_alphabet(letter):
    code = "91350100" + letter + "000100Y43"
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate(code)
    assert caught.value.rule == "charset"


def test_each_typo_in_a_real_code_is_caught():
    code = REAL_CODES[0]
    for position in range(17):
        for replacement in uscc.ALPHABET:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            assert not uscc.is_valid(typo), typo


def test_check_character_of_the_standard_example():
    assert uscc.check_character("91350100M000100Y4") == "3"


def test_build_makes_valid_distinct_codes():
    codes = {uscc.build("340400", serial) for serial in range(1, 200)}
    assert len(codes) == 199
    assert all(uscc.is_valid(code) and code.startswith("11340400") for code in codes)
