"""Files to upload (the full implementation lands with file support)."""

from __future__ import annotations


class InputFile:
    """A file to upload with a Bot API call."""

    __slots__ = ()
