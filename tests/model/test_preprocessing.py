from __future__ import annotations

import pytest

from model.encoding import TextEncoder
from model.preprocessing import PreprocessingConfig, Preprocessor
from model.vocabulary import UNK_INDEX, Vocabulary


@pytest.fixture(scope="module")
def preprocessor() -> Preprocessor:
    return Preprocessor()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I don't have signal", ["n't", "signal"]),
        ("It is not working", ["not", "working"]),
        ("no refund, never again", ["no", "refund", "never", "again"]),
        ("fast but expensive", ["fast", "but", "expensive"]),
        ("Nothing works", ["nothing", "works"]),
        ("Service is down", ["service", "down"]),
    ],
)
def test_tokenize_keeps_negations_and_contrast(
    preprocessor: Preprocessor, text: str, expected: list[str]
) -> None:
    assert preprocessor.tokenize(text) == expected


@pytest.mark.parametrize(
    "text", ["don't", "doesn't", "didn't", "isn't", "wasn't", "can't", "won't"]
)
def test_tokenize_contraction_keeps_negation(
    preprocessor: Preprocessor, text: str
) -> None:
    tokens = preprocessor.tokenize(f"it {text} work")
    assert "n't" in tokens
    assert "t" not in tokens


def test_tokenize_typographic_apostrophe_same_as_ascii(
    preprocessor: Preprocessor,
) -> None:
    ascii_tokens = preprocessor.tokenize("I can't pay, it's wrong")
    for apostrophe in ("\u2019", "\u2018", "\u02bc"):
        text = f"I can{apostrophe}t pay, it{apostrophe}s wrong"
        assert preprocessor.tokenize(text) == ascii_tokens


def test_tokenize_lowercases(preprocessor: Preprocessor) -> None:
    assert preprocessor.tokenize("ROUTER Keeps REBOOTING") == [
        "router",
        "keeps",
        "rebooting",
    ]


def test_tokenize_removes_special_characters(preprocessor: Preprocessor) -> None:
    tokens = preprocessor.tokenize(
        '@Kestrel_Tel #fail [ACCOUNT] "XXXX" *** -- 3/14 (again)'
    )
    assert tokens == ["kestrel", "tel", "fail", "account", "xxxx", "3", "14", "again"]


def test_tokenize_keeps_meaningful_punctuation(preprocessor: Preprocessor) -> None:
    tokens = preprocessor.tokenize("Paid $49.99?! Charged €10 and £5 :( ;) :-)")
    assert tokens == [
        "paid",
        "$",
        "49",
        "99",
        "?",
        "!",
        "charged",
        "€",
        "10",
        "£",
        "5",
        ":(",
        ";)",
        ":-)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｎｏ ｓｉｇｎａｌ", ["no", "signal"]),  # full-width letters
        ("ﬁbre outage", ["fibre", "outage"]),  # ligature
        ("Fiber 500²", ["fiber", "5002"]),  # superscript digit
        ("café naïve", ["café", "naïve"]),
        ("cafe\u0301", ["café"]),  # decomposed accent is composed by NFKC
    ],
)
def test_tokenize_normalizes_unicode(
    preprocessor: Preprocessor, text: str, expected: list[str]
) -> None:
    assert preprocessor.tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("great👍", ["great", "👍"]),
        ("👍🏽 thanks", ["👍", "thanks"]),  # skin-tone modifier dropped
        ("❤️", ["❤"]),  # variation selector dropped
        ("👨\u200d👩\u200d👧", ["👨", "👩", "👧"]),  # zero-width joiners dropped
        ("★★★☆☆", ["★", "★", "★", "☆", "☆"]),
    ],
)
def test_tokenize_handles_emoji(
    preprocessor: Preprocessor, text: str, expected: list[str]
) -> None:
    assert preprocessor.tokenize(text) == expected


def test_tokenize_emoji_same_every_time(preprocessor: Preprocessor) -> None:
    text = "so angry 😡😡 @ZipMobile 👎🏻"
    first = preprocessor.tokenize(text)
    assert all(preprocessor.tokenize(text) == first for _ in range(5))


@pytest.mark.parametrize("text", ["", "   ", "...", "#@*&", "---\n\t", "\u200d\ufe0f"])
def test_tokenize_text_that_cleans_to_nothing(
    preprocessor: Preprocessor, text: str
) -> None:
    assert preprocessor.tokenize(text) == []


def test_encode_empty_text_gives_one_unknown_token(preprocessor: Preprocessor) -> None:
    encoder = TextEncoder(preprocessor, Vocabulary.build([["signal"]]), max_tokens=4)
    encoded = encoder.encode("... ---")
    assert encoded.indices == [UNK_INDEX]
    assert encoded.truncated is False


def test_encode_marks_truncation(preprocessor: Preprocessor) -> None:
    encoder = TextEncoder(preprocessor, Vocabulary.build([["signal"]]), max_tokens=3)
    assert encoder.encode("signal signal signal signal").truncated is True
    assert encoder.encode("signal signal signal").truncated is False
    assert len(encoder.encode("signal signal signal signal").indices) == 3


def test_tokenize_removes_stopwords(preprocessor: Preprocessor) -> None:
    assert preprocessor.tokenize("the bill is in the mail") == ["bill", "mail"]


def test_tokenize_without_stopword_removal() -> None:
    preprocessor = Preprocessor(PreprocessingConfig(remove_stopwords=False))
    assert preprocessor.tokenize("the bill is wrong") == ["the", "bill", "is", "wrong"]


def test_config_rejects_other_version() -> None:
    with pytest.raises(ValueError, match="version 99"):
        PreprocessingConfig(version=99)


def test_config_rejects_other_normalization() -> None:
    with pytest.raises(ValueError, match="NFC"):
        PreprocessingConfig(normalization="NFC")
