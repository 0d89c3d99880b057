"""Unified social credit codes (GB 32100-2015) for demo parties, valid or with a wrong check character."""

from __future__ import annotations

import random

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

try:  # the pipeline's own implementation, when present
    from quality_pipeline.parsing.uscc import uscc_check_char as check_char
except ImportError:  # pragma: no cover - fallback while the parsing package is written
    _WEIGHTS = [pow(3, i, 31) for i in range(17)]

    def check_char(first17: str) -> str:
        total = sum(CHARSET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
        return CHARSET[(31 - total % 31) % 31]


def make_uscc(rng: random.Random, region_code: str, *, individual: bool = False) -> str:
    """A valid code registered in the region: `91…` for companies, `92…` for individual businesses."""
    head = ("92" if individual else "91") + region_code[:6].rjust(6, "0")
    body = "".join(rng.choice(CHARSET) for _ in range(9))
    first17 = head + body
    return first17 + check_char(first17)


def spoil_check_char(code: str) -> str:
    """The same code with a different, hence wrong, check character."""
    wrong = CHARSET[(CHARSET.index(code[17]) + 7) % 31]
    return code[:17] + wrong
