"""Files to upload, and the multipart/form-data plan that carries them.

The core never reads a byte of a file. It validates what it can see (a path
exists and is a regular file, a file object is binary), decides which
parameters become file parts and which ``attach://`` names they get, and
renders the multipart framing. The transports open the files and stream
them between the framing segments.

The ``os`` calls here are stat look-ups made when an :class:`InputFile` is
built, so that a wrong path fails at the line that named it, before any
network I/O, rather than deep inside a send.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, Literal

import attrs

__all__ = [
    "FILE_FIELDS",
    "EmptyUpload",
    "FilePart",
    "InputFile",
    "InvalidFileReference",
    "MultipartForm",
    "build_multipart",
    "check_file_fields",
    "check_file_reference",
    "is_file_object",
]

# What a Bot API file_id is made of: Telegram issues them as unpadded URL-safe
# base64. Anything else in a file field must be a URL or an attach:// name.
_FILE_ID_RE = re.compile(r"[A-Za-z0-9_-]+")
_URL_RE = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)
_ATTACH_RE = re.compile(r"attach://\S+")

# Telegram's own multipart reader (tdlib's HttpReader) takes a file name as
# every byte between the outer quotes: it decodes no %XX, no backslash and no
# filename*, and it ends a parameter at the first ';'. So names travel as raw
# UTF-8, quotes included, and only what it cannot carry is percent-encoded:
# ';' and the control characters (which could also forge header lines).
_UNSAFE_IN_FILENAME = re.compile(r"[\x00-\x1f\x7f;]")
# type/subtype, optionally with parameters; printable ASCII only, so a content
# type can never add a header line to a part.
_CONTENT_TYPE_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(;[ -~]*)?")

# Parameter and field names the Bot API types "InputFile or String".
FILE_FIELDS = frozenset(
    {
        "animation",
        "audio",
        "cover",
        "document",
        "media",
        "photo",
        "sticker",
        "thumbnail",
        "video",
        "video_note",
        "voice",
    }
)

DEFAULT_FILENAME = "file"
_OCTET_STREAM = "application/octet-stream"

# A fixed table instead of ``mimetypes``: that module reads the host's
# mime.types files (I/O) and answers differently from machine to machine.
# Telegram sniffs the content anyway; the type is a courtesy.
_CONTENT_TYPES = {
    "avi": "video/x-msvideo",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "flac": "audio/flac",
    "gif": "image/gif",
    "heic": "image/heic",
    "htm": "text/html",
    "html": "text/html",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "json": "application/json",
    "m4a": "audio/mp4",
    "mkv": "video/x-matroska",
    "mov": "video/quicktime",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
    "oga": "audio/ogg",
    "ogg": "audio/ogg",
    "opus": "audio/opus",
    "pdf": "application/pdf",
    "png": "image/png",
    "svg": "image/svg+xml",
    "tgs": "application/x-tgsticker",
    "txt": "text/plain",
    "wav": "audio/wav",
    "webm": "video/webm",
    "webp": "image/webp",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xml": "application/xml",
    "zip": "application/zip",
}


class InvalidFileReference(ValueError):
    """A string given for a file is neither a file_id, an http(s) URL nor ``attach://``."""


class EmptyUpload(ValueError):
    """An upload has no bytes to send (empty data, or a file object read to its end)."""


def is_file_object(value: object) -> bool:
    """Tell whether *value* looks like an open file (has a callable ``read``)."""
    return not isinstance(value, (str, bytes, bytearray)) and callable(
        getattr(value, "read", None)
    )


def _is_text_stream(stream: object) -> bool:
    # Every text stream (io.TextIOBase) has ``encoding``; binary ones do not.
    # The mode check catches wrappers that hide the attribute.
    mode = getattr(stream, "mode", None)
    return hasattr(stream, "encoding") or (isinstance(mode, str) and "b" not in mode)


def guess_content_type(filename: str) -> str:
    """Return a content type for *filename* from its extension, or octet-stream."""
    _, dot, extension = filename.rpartition(".")
    return _CONTENT_TYPES.get(extension.lower(), _OCTET_STREAM) if dot else _OCTET_STREAM


class InputFile:
    """A file to upload: a path, bytes, or a binary file object.

    Pass it wherever the Bot API takes "InputFile or String"::

        InputFile("report Q3.pdf")                       # a path (str or PathLike)
        InputFile(data, filename="cat.jpg")              # bytes, bytearray, memoryview
        InputFile(open("cat.jpg", "rb"))                 # read from its current position

    A path must name an existing regular file when the InputFile is built
    (``FileNotFoundError``, ``IsADirectoryError`` otherwise); telebridge opens
    it only while sending and closes it afterwards. A file object must be
    binary (``TypeError`` otherwise); it is read from its position at send
    time and never closed by telebridge. ``filename`` defaults to the path's
    or file object's base name; ``content_type`` to a guess from the name.
    """

    __slots__ = ("_source", "content_type", "filename", "kind")

    kind: Literal["path", "bytes", "stream"]

    def __init__(
        self,
        file: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes],
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if filename is not None and not isinstance(filename, str):
            raise TypeError(f"InputFile: filename must be a str, got {type(filename).__name__}")
        if isinstance(file, (bytes, bytearray, memoryview)):
            if memoryview(file).nbytes == 0:
                raise EmptyUpload("InputFile: the data is empty; Telegram rejects empty files")
            self.kind = "bytes"
            self._source: Any = file
            default_name = DEFAULT_FILENAME
        elif isinstance(file, (str, os.PathLike)):
            path = os.fspath(file)
            if not isinstance(path, str):
                raise TypeError("InputFile: give the path as a str or a str PathLike")
            _check_path(path)
            self.kind = "path"
            self._source = path
            default_name = os.path.basename(path)
        elif is_file_object(file):
            if _is_text_stream(file):
                raise TypeError(
                    "InputFile: the file object is in text mode; open the file in binary "
                    "mode ('rb') so its bytes are sent unchanged"
                )
            self.kind = "stream"
            self._source = file
            name = getattr(file, "name", None)
            default_name = os.path.basename(name) if isinstance(name, str) else DEFAULT_FILENAME
        else:
            raise TypeError(
                f"InputFile takes a path, bytes or a binary file object, got {type(file).__name__}"
            )
        if content_type is not None and not _CONTENT_TYPE_RE.fullmatch(content_type):
            raise ValueError(f"InputFile: {content_type!r} is not a content type like 'image/png'")
        self.filename = filename or default_name or DEFAULT_FILENAME
        self.content_type = content_type or guess_content_type(self.filename)

    @property
    def source(self) -> Any:
        """The path (str), the bytes-like data, or the file object given."""
        return self._source

    def __repr__(self) -> str:
        if self.kind == "path":
            shown = repr(self._source)
        elif self.kind == "bytes":
            shown = f"<{memoryview(self._source).nbytes} bytes>"
        else:
            shown = f"<{type(self._source).__name__}>"
        return (
            f"InputFile({shown}, filename={self.filename!r}, content_type={self.content_type!r})"
        )


def _check_path(path: str) -> None:
    if os.path.isfile(path):
        return
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "InputFile: a directory, not a file", path)
    if os.path.exists(path):
        raise ValueError(f"InputFile: {path!r} is not a regular file")
    hint = ""
    if _FILE_ID_RE.fullmatch(path) or _URL_RE.fullmatch(path):
        hint = " (to send a file_id or URL, pass the string itself instead of an InputFile)"
    raise FileNotFoundError(errno.ENOENT, f"InputFile: no such file{hint}", path)


def check_file_reference(value: str, field: str) -> str:
    """Return *value* if it can name a file already known to Telegram; else raise.

    The rule, precisely: a file_id is one or more of ``A-Z a-z 0-9 _ -``; a URL
    starts with ``http://`` or ``https://``, has a host and no whitespace; an
    ``attach://<name>`` reference names a part of the same request. Anything
    else (a file name, a path, text with spaces) raises
    :class:`InvalidFileReference`, with a hint when it names a local file.
    """
    if _FILE_ID_RE.fullmatch(value) or _URL_RE.fullmatch(value) or _ATTACH_RE.fullmatch(value):
        return value
    if os.path.isfile(value):
        raise InvalidFileReference(
            f"{field}: {value!r} is a local file, but a str is sent as a file_id or URL; "
            f"upload the file with InputFile({value!r})"
        )
    raise InvalidFileReference(
        f"{field}: {value!r} is neither a file_id (letters, digits, '-' and '_' only), "
        "an http(s):// URL nor an InputFile"
    )


@attrs.frozen
class FilePart:
    """One file of a multipart request: the form field it fills and its headers."""

    name: str
    file: InputFile
    filename: str
    content_type: str


@attrs.frozen
class MultipartForm:
    """A multipart/form-data body as a plan: framing bytes around files to stream.

    ``segments`` is the body in order; a transport writes each ``bytes``
    segment as is and streams each :class:`FilePart`'s file in its place.
    """

    boundary: str
    fields: tuple[tuple[str, str], ...]
    files: tuple[FilePart, ...]
    segments: tuple[bytes | FilePart, ...]

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def content_length(self, file_sizes: Sequence[int]) -> int:
        """Return the body's length given the size of each of ``files``, in order."""
        if len(file_sizes) != len(self.files):
            raise ValueError(f"expected {len(self.files)} file sizes, got {len(file_sizes)}")
        framing = sum(len(s) for s in self.segments if isinstance(s, bytes))
        return framing + sum(file_sizes)


def check_file_fields(value: Any, field: str = "params") -> None:
    """Check every str under a file parameter's name with :func:`check_file_reference`.

    For calls made by name (``RawCall``), which carry no parameter types: the
    names are those the Bot API types "InputFile or String", at any depth
    (an InputMedia's ``media``, ``thumbnail`` and ``cover`` included).
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, str):
                if key in FILE_FIELDS:
                    check_file_reference(item, key)
            else:
                check_file_fields(item, key)
    elif isinstance(value, list):
        for item in value:
            check_file_fields(item, field)


def build_multipart(params: Mapping[str, Any], boundary: str | None = None) -> MultipartForm:
    """Plan the multipart body for encoded *params* holding at least one InputFile.

    An InputFile at the top level becomes a part named after its parameter.
    One nested in a list or object (a media group's ``media``, an
    InputMedia's ``thumbnail`` or ``cover``) is replaced by an
    ``attach://<name>`` reference to a part of that name, unique in the request.
    """
    names = _AttachNames(params)
    fields: list[tuple[str, str]] = []
    files: list[FilePart] = []
    for key, value in params.items():
        if isinstance(value, InputFile):
            files.append(_file_part(key, value))
        else:
            attached = _attach_nested(value, names, files)
            fields.append((key, attached if isinstance(attached, str) else _to_text(attached)))

    boundary = boundary or f"telebridge-{secrets.token_hex(16)}"
    return MultipartForm(
        boundary=boundary,
        fields=tuple(fields),
        files=tuple(files),
        segments=tuple(_segments(boundary, fields, files)),
    )


class _AttachNames:
    """Hands out attach names no parameter or existing ``attach://`` uses."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self._taken = set(params) | set(_attach_references(params))
        self._next = 0

    def new(self) -> str:
        while True:
            name = f"file{self._next}"
            self._next += 1
            if name not in self._taken:
                self._taken.add(name)
                return name


def _attach_references(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("attach://"):
        yield value[len("attach://") :]
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _attach_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _attach_references(item)


def _attach_nested(value: Any, names: _AttachNames, files: list[FilePart]) -> Any:
    if isinstance(value, InputFile):
        name = names.new()
        files.append(_file_part(name, value))
        return f"attach://{name}"
    if isinstance(value, dict):
        return {key: _attach_nested(item, names, files) for key, item in value.items()}
    if isinstance(value, list):
        return [_attach_nested(item, names, files) for item in value]
    return value


def _file_part(name: str, file: InputFile) -> FilePart:
    return FilePart(name=name, file=file, filename=file.filename, content_type=file.content_type)


def _to_text(value: Any) -> str:
    # Objects, lists, numbers and booleans travel as JSON, as Telegram expects
    # of form fields (reply_markup, media, "true").
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _segments(
    boundary: str, fields: Iterable[tuple[str, str]], files: Iterable[FilePart]
) -> Iterator[bytes | FilePart]:
    framing: list[bytes] = []
    for name, text in fields:
        framing.append(_part_head(boundary, name, None, None) + text.encode() + b"\r\n")
    for part in files:
        framing.append(_part_head(boundary, part.name, part.filename, part.content_type))
        yield b"".join(framing)
        framing = [b"\r\n"]
        yield part
    framing.append(f"--{boundary}--\r\n".encode())
    yield b"".join(framing)


def _part_head(boundary: str, name: str, filename: str | None, content_type: str | None) -> bytes:
    disposition = f'form-data; name="{_escape_filename(name)}"'
    lines = [f"--{boundary}"]
    if filename is not None:
        disposition += f'; filename="{_escape_filename(filename)}"'
        lines += [f"Content-Disposition: {disposition}", f"Content-Type: {content_type}"]
    else:
        lines.append(f"Content-Disposition: {disposition}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _escape_filename(filename: str) -> str:
    return _UNSAFE_IN_FILENAME.sub(lambda match: f"%{ord(match.group()):02X}", filename)
