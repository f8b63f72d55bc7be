"""Text cleaning and tokenization shared by training and prediction.

Steps, in order:
1. Unicode NFKC normalization, so full-width letters, ligatures and superscript
   digits become their plain forms ("ｎｏ ｓｉｇｎａｌ" becomes "no signal"), and
   typographic apostrophes (U+2018, U+2019, U+02BC) become "'" so that "don’t" and
   "don't" give the same tokens. ASCII text is already in that form and skips this.
2. Lower-casing.
3. Negative contractions are split the way the Penn Treebank does ("don't" becomes
   "do n't").
4. Tokenization with NLTK's `RegexpTokenizer`, which needs no downloaded data. The
   pattern only matches the tokens kept, so every other character (quotes, brackets,
   '#', '@', '*', '/', '-', '.', ',') is removed in the same pass.
5. Stopword removal with a list that keeps negations and contrast words.

The pattern keeps:
- words of Unicode letters and digits ("café", "5g", "500mbps");
- the `n't` of a negative contraction, so every negated verb shares one token and the
  negation survives stopword removal even when the verb ("do", "is") is dropped;
- "!" and "?", because repeated "!" marks anger and "?" marks a request for help;
- the currency signs "$", "£" and "€", because amounts of money point to billing;
- the emoticons ":)", ":(", ";)" with an optional "-", because they carry sentiment;
- each emoji or pictographic symbol (U+2600-U+27BF, U+2B00-U+2BFF,
  U+1F000-U+1FAFF) as a token of its own. Skin-tone modifiers, variation selectors
  and zero-width joiners are not matched, so "👍🏽" and "👍" give the same token and
  a joined emoji sequence always gives the same tokens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from nltk.tokenize import RegexpTokenizer

from model.stopwords import STOPWORDS

# Increase when a change to this module changes the tokens of any text: artifacts
# store the version they were trained with, and loading rejects a mismatch.
PREPROCESSING_VERSION = 1

_NEGATION = r"n't\b"
# [^\W_] is a Unicode letter or digit in the stdlib `re` engine. It does not match
# zero-width joiners, variation selectors or skin-tone modifiers, so emoji glue is
# never part of a word.
_WORD = r"[^\W_]+"
_KEPT_PUNCTUATION = r"[!?$£€]"
_EMOTICON = r"[:;]-?[()]"
# U+1F3FB-U+1F3FF (skin-tone modifiers) are left out of the emoji ranges on purpose.
_EMOJI = r"[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001f3fa\U0001f400-\U0001faff]"

# `n't` comes before words so that the "n" of a split contraction is not read as the
# start of a word.
TOKEN_PATTERN = "|".join((_NEGATION, _WORD, _KEPT_PUNCTUATION, _EMOTICON, _EMOJI))


class _StdlibRegexpTokenizer(RegexpTokenizer):
    """NLTK's `RegexpTokenizer` with its pattern compiled by the stdlib `re` engine.

    NLTK 3.10 compiles every tokenizer pattern through `nltk.redos`, which runs the
    third-party `regex` engine under a wall-clock timeout on every call. That engine
    is several times slower here (`python -m model.preprocess_bench --compare-engines`
    prints both), and its word class also matches zero-width joiners and combining
    marks. The pattern here is fixed and has no nested quantifiers, so it cannot
    backtrack catastrophically and needs no timeout.
    """

    # NOTE: overrides a private hook of NLTK 3.10.4. If a later release renames it,
    # the stock engine runs instead and the emoji tests fail on the joiner tokens.
    def _check_regexp(self) -> None:
        if self._regexp is None:
            self._regexp = re.compile(self._pattern, self._flags)


@dataclass(frozen=True, slots=True)
class PreprocessingConfig:
    """Settings of the text preprocessing, stored with the artifacts."""

    version: int = PREPROCESSING_VERSION
    normalization: str = "NFKC"
    remove_stopwords: bool = True

    def __post_init__(self) -> None:
        if self.version != PREPROCESSING_VERSION:
            raise ValueError(
                f"preprocessing version {self.version!r} is not supported; this code "
                f"implements version {PREPROCESSING_VERSION}, so retrain the model"
            )
        if self.normalization != "NFKC":
            raise ValueError(
                f"unicode normalization {self.normalization!r} is not supported; "
                "use 'NFKC'"
            )


class Preprocessor:
    """Turns raw texts into lists of tokens.

    Example:
        >>> Preprocessor().tokenize("I DON'T have signal!!")
        ['n't', 'signal', '!', '!']
    """

    def __init__(self, config: PreprocessingConfig | None = None) -> None:
        self.config = config or PreprocessingConfig()
        self._tokenizer = _StdlibRegexpTokenizer(TOKEN_PATTERN)
        self._stopwords = STOPWORDS if self.config.remove_stopwords else frozenset()

    def clean(self, text: str) -> str:
        """Normalize Unicode, lower-case, unify apostrophes and split "n't"."""
        # ASCII text is already in NFKC form and has no typographic apostrophes, so
        # the common case skips both steps with an identical result.
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
            text = text.replace("\u2019", "'").replace("\u2018", "'")
            text = text.replace("\u02bc", "'")
        text = text.lower()
        # A plain replace is cheaper than a look-ahead for "n't" after every word.
        return text.replace("n't", " n't")

    def tokenize(self, text: str) -> list[str]:
        """Clean `text` and return its tokens without stopwords."""
        tokens = self._tokenizer.tokenize(self.clean(text))
        stopwords = self._stopwords
        return [token for token in tokens if token not in stopwords]
