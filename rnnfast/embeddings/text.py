"""Turning raw text into tokens."""

import re

__all__ = ["simple_tokenize"]

_WORD = re.compile(r"[a-z]+")


def simple_tokenize(text):
    """Lowercase `text` and return its runs of letters a-z, the normalisation of the shared corpora."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    return _WORD.findall(text.lower())
