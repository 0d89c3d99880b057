"""Unified social credit codes (统一社会信用代码, GB 32100-2015): normalising and check-character validation."""

from __future__ import annotations

import unicodedata

from quality_pipeline.parsing.values import NULL_SPELLINGS

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
USCC_LENGTH = 18

_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}
_DROPPED = dict.fromkeys(map(ord, "-\u2010\u2011\u2012\u2013\u2014\u2015\u200b\u200c\u200d\u2060\ufeff"))
_NULLS = frozenset(s.upper() for s in NULL_SPELLINGS)


def normalise_uscc(value: object) -> str | None:
    """Upper-case a code as written and drop every space and hyphen; None when nothing is left."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).upper().translate(_DROPPED)
    text = "".join(text.split())
    return None if text in _NULLS else text


def uscc_check_char(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a code."""
    if len(first17) != USCC_LENGTH - 1 or any(c not in _VALUES for c in first17):
        raise ValueError("expected 17 characters from the USCC alphabet")
    total = sum(_VALUES[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    """True when the (already normalised) code has 18 valid characters and the right check character."""
    if not isinstance(code, str) or len(code) != USCC_LENGTH or any(c not in _VALUES for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]
