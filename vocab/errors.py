"""The single exception type raised by the vocabulary layer."""

from __future__ import annotations


class VocabularyError(ValueError):
    """A vocabulary that cannot be loaded or a lookup that names an unknown scheme or concept."""
