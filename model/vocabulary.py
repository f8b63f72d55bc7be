"""Token vocabulary with reserved padding and unknown indices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
PAD_INDEX = 0
UNK_INDEX = 1


class Vocabulary:
    """Bidirectional mapping between tokens and embedding indices.

    Index 0 is padding and index 1 is the unknown token. Build it from the training
    split only, so that validation and test words count as unknown exactly as unseen
    words will in production.
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        if list(tokens[:2]) != [PAD_TOKEN, UNK_TOKEN]:
            raise ValueError(
                f"vocabulary must start with {PAD_TOKEN!r} and {UNK_TOKEN!r}, "
                f"got {list(tokens[:2])!r}"
            )
        if len(set(tokens)) != len(tokens):
            duplicates = sorted(t for t, n in Counter(tokens).items() if n > 1)
            raise ValueError(f"vocabulary contains duplicate tokens: {duplicates[:10]}")
        self._tokens: tuple[str, ...] = tuple(tokens)
        self._index = {token: index for index, token in enumerate(self._tokens)}

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        *,
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> Vocabulary:
        """Count tokens and keep those seen at least `min_freq` times.

        `max_size` caps the total size, the two reserved entries included. Ties in
        frequency are broken alphabetically, so the same data always gives the same
        indices.
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be at least 1, got {min_freq}")
        if max_size is not None and max_size < 2:
            raise ValueError(f"max_size must be at least 2, got {max_size}")
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        counts.pop(PAD_TOKEN, None)
        counts.pop(UNK_TOKEN, None)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        frequent = [token for token, count in ranked if count >= min_freq]
        if max_size is not None:
            frequent = frequent[: max_size - 2]
        return cls([PAD_TOKEN, UNK_TOKEN, *frequent])

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    @property
    def tokens(self) -> tuple[str, ...]:
        """All tokens in index order."""
        return self._tokens

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Map tokens to indices, unknown tokens to `UNK_INDEX`."""
        index = self._index
        return [index.get(token, UNK_INDEX) for token in tokens]

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Map indices back to tokens."""
        return [self._tokens[i] for i in indices]

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable form for `vocab.json`."""
        return {"tokens": list(self._tokens)}

    @classmethod
    def from_dict(cls, data: object) -> Vocabulary:
        """Rebuild a vocabulary from the output of `to_dict`."""
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
            raise ValueError("expected an object with a 'tokens' list")
        tokens = data["tokens"]
        if not all(isinstance(token, str) for token in tokens):
            raise ValueError("every entry of 'tokens' must be a string")
        return cls(tokens)
