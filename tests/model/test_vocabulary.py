from __future__ import annotations

import pytest

from model.vocabulary import PAD_INDEX, PAD_TOKEN, UNK_INDEX, UNK_TOKEN, Vocabulary

TOKEN_LISTS = [["bill", "late", "bill"], ["signal", "bill", "late"], ["rude"]]


def test_build_reserves_padding_and_unknown() -> None:
    vocabulary = Vocabulary.build(TOKEN_LISTS)
    assert vocabulary.tokens[PAD_INDEX] == PAD_TOKEN
    assert vocabulary.tokens[UNK_INDEX] == UNK_TOKEN


def test_build_orders_by_frequency_then_alphabet() -> None:
    vocabulary = Vocabulary.build(TOKEN_LISTS)
    assert vocabulary.tokens[2:] == ("bill", "late", "rude", "signal")


def test_build_applies_min_freq() -> None:
    vocabulary = Vocabulary.build(TOKEN_LISTS, min_freq=2)
    assert vocabulary.tokens[2:] == ("bill", "late")


def test_build_applies_max_size_including_reserved() -> None:
    vocabulary = Vocabulary.build(TOKEN_LISTS, max_size=3)
    assert len(vocabulary) == 3
    assert vocabulary.tokens[2] == "bill"


@pytest.mark.parametrize(("option", "value"), [("min_freq", 0), ("max_size", 1)])
def test_build_rejects_invalid_limits(option: str, value: int) -> None:
    with pytest.raises(ValueError, match=option):
        Vocabulary.build(TOKEN_LISTS, **{option: value})


def test_encode_maps_unknown_tokens() -> None:
    vocabulary = Vocabulary.build(TOKEN_LISTS)
    assert vocabulary.encode(["bill", "never-seen"]) == [2, UNK_INDEX]


def test_decode_inverts_encode() -> None:
    vocabulary = Vocabulary.build(TOKEN_LISTS)
    assert vocabulary.decode(vocabulary.encode(["late", "rude"])) == ["late", "rude"]


def test_dict_round_trip() -> None:
    vocabulary = Vocabulary.build(TOKEN_LISTS)
    assert Vocabulary.from_dict(vocabulary.to_dict()).tokens == vocabulary.tokens


@pytest.mark.parametrize(
    "data",
    [
        [PAD_TOKEN, UNK_TOKEN],
        {"tokens": "bill"},
        {"tokens": [PAD_TOKEN, UNK_TOKEN, 3]},
        {"tokens": ["bill", PAD_TOKEN, UNK_TOKEN]},
        {"tokens": [PAD_TOKEN, UNK_TOKEN, "bill", "bill"]},
    ],
)
def test_from_dict_rejects_invalid_data(data: object) -> None:
    with pytest.raises(ValueError):
        Vocabulary.from_dict(data)
