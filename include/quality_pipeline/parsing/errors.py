"""The one error a delivered file can end in: set aside, with a reason in Chinese and English."""

from __future__ import annotations


class ExtractRejected(Exception):
    """A file that cannot be read as an extract of its feed; the reason names what to fix."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en

    @property
    def reason(self) -> str:
        return f"{self.zh} / {self.en}"
