"""Files in the emulator: multipart uploads streamed to disk, media messages, downloads.

The emulator runs in the same process as the tests and benchmarks that use
it, so its memory counts too: request bodies are parsed as they arrive
(python-multipart's streaming parser, the one Starlette uses) and every file
part goes straight to a temporary directory, never into memory whole.

File names are read the way Telegram's own server (tdlib's HttpReader) reads
them: the Content-Disposition parameters split at ';', a value's outer quotes
dropped, nothing else decoded. A name that reaches the emulator intact
therefore reaches Telegram intact.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import struct
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header

__all__ = ["FileMethods", "FileRequestError", "FileStore", "ReceivedUpload", "read_multipart"]

JSONObject = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]

CHUNK_SIZE = 256 * 1024
# Text fields of one request, all together: media lists and captions are small.
MAX_FIELDS_SIZE = 1024 * 1024
# Telegram's photo sizes: "s", "m", "x", "y", "w" by their longest side.
PHOTO_SIDES = (90, 320, 800, 1280, 2560)
# Assumed for a "photo" whose bytes are no PNG, GIF or JPEG the emulator can measure.
DEFAULT_PHOTO_SIZE = (1280, 720)

_KIND_DIRECTORIES = {
    "photo": "photos",
    "document": "documents",
    "audio": "music",
    "video": "videos",
    "thumbnail": "thumbnails",
}
_URL_RE = re.compile(r"https?://\S+", re.IGNORECASE)


class FileRequestError(Exception):
    """A Bot API error answer (``ok: false``) about files."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters: JSONObject | None = None


def _bad_request(detail: str) -> FileRequestError:
    return FileRequestError(f"Bad Request: {detail}")


@dataclass(frozen=True)
class ReceivedUpload:
    """One file part the emulator received, as Telegram's server would read it.

    ``path`` holds the bytes on disk until the emulator stops; ``sha256`` and
    ``size`` stay valid after that.
    """

    method: str
    field: str
    filename: str
    content_type: str
    size: int
    sha256: str
    path: Path

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


# --- multipart ------------------------------------------------------------------------


def parse_content_disposition(value: str) -> tuple[str | None, str | None]:
    """Return ``(name, filename)`` of a part, read as Telegram's server reads them."""
    if not value.startswith("form-data;"):
        raise _bad_request("expected form-data content disposition")
    name = filename = None
    for piece in value[len("form-data;") :].split(";"):
        key, equals, raw = piece.partition("=")
        if not equals:
            break
        key, raw = key.strip(), raw.strip()
        if len(raw) > 1 and raw[0] == '"' and raw[-1] == '"':
            raw = raw[1:-1]
        if key == "name":
            name = raw
        elif key == "filename":
            filename = raw
    return name, filename


@dataclass
class _Part:
    """A file part of the request being read: on disk, not yet a stored file."""

    name: str
    filename: str
    content_type: str
    disk: Path
    size: int = 0
    sha256: str = ""


class _FormReader:
    """Feeds a multipart body to python-multipart and keeps what it reports."""

    def __init__(self, boundary: bytes, incoming: Path) -> None:
        self.fields: dict[str, str] = {}
        self.parts: dict[str, _Part] = {}
        self._incoming = incoming
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._text: bytearray | None = None
        self._text_total = 0
        self._name = ""
        self._file: IO[bytes] | None = None
        self._hash: Any = None
        self._part: _Part | None = None
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("utf-8", "replace").strip()
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        name, filename = parse_content_disposition(self._headers.get("content-disposition", ""))
        if not name:
            raise _bad_request("field name in multipart/form-data not found")
        self._name = name
        if filename is None:
            self._text = bytearray()
            return
        handle, disk = tempfile.mkstemp(dir=self._incoming, prefix="part-")
        self._file = os.fdopen(handle, "wb")
        self._hash = hashlib.sha256()
        content_type = self._headers.get("content-type", "application/octet-stream")
        self._part = _Part(name, filename, content_type, Path(disk))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is not None and self._part is not None:
            self._file.write(chunk)
            self._hash.update(chunk)
            self._part.size += len(chunk)
        elif self._text is not None:
            self._text_total += len(chunk)
            if self._text_total > MAX_FIELDS_SIZE:
                raise FileRequestError("Request Entity Too Large", 413)
            self._text += chunk

    def _on_part_end(self) -> None:
        if self._file is not None and self._part is not None:
            self._file.close()
            self._part.sha256 = self._hash.hexdigest()
            self.parts[self._name] = self._part
            self._file, self._part = None, None
        elif self._text is not None:
            self.fields[self._name] = self._text.decode("utf-8", "replace")
            self._text = None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


async def read_multipart(
    receive: Receive, content_type: str, incoming: Path
) -> tuple[dict[str, str], dict[str, _Part]]:
    """Read a multipart/form-data body as it arrives: text fields, and file parts on disk."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise _bad_request("multipart/form-data without a boundary")
    reader = _FormReader(boundary, incoming)
    try:
        while True:
            event = await receive()
            reader.parser.write(event.get("body", b""))
            if not event.get("more_body"):
                break
        reader.parser.finalize()
    except FileRequestError:
        raise
    except Exception as exc:  # the parser's own errors: a malformed body
        raise _bad_request(f"can't parse multipart/form-data: {exc}") from None
    finally:
        reader.close()
    return reader.fields, reader.parts


# --- stored files -----------------------------------------------------------------------


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    file_path: str | None  # relative, as getFile answers; None for URL files
    disk: Path | None
    size: int | None
    filename: str | None
    mime_type: str | None


class FileStore:
    """The files the bot sent, kept on disk under a temporary directory.

    Laid out as a Bot API server does (``<dir>/<token>/photos/file_0.jpg``),
    so that in local mode the absolute paths getFile answers really exist.
    """

    def __init__(self, token: str, *, local_mode: bool) -> None:
        self._token = token
        self.local_mode = local_mode
        self._lock = threading.Lock()
        self._root: Path | None = None
        self._files: dict[str, _StoredFile] = {}
        self._by_path: dict[str, _StoredFile] = {}
        self._uploads: list[ReceivedUpload] = []
        self._numbers = itertools.count()

    def open(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="telebridge-emulator-"))
        self.incoming.mkdir()

    def close(self) -> None:
        root, self._root = self._root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    @property
    def root(self) -> Path:
        if self._root is None:
            raise RuntimeError("the emulator is not running")
        return self._root

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    @property
    def uploads(self) -> list[ReceivedUpload]:
        with self._lock:
            return list(self._uploads)

    def record(self, method: str, parts: dict[str, _Part]) -> None:
        received = [
            ReceivedUpload(method, p.name, p.filename, p.content_type, p.size, p.sha256, p.disk)
            for p in parts.values()
        ]
        with self._lock:
            self._uploads.extend(received)

    def adopt(self, part: _Part, kind: str) -> _StoredFile:
        """Store a received part as a new Telegram file of *kind*."""
        number = next(self._numbers)
        _, dot, extension = part.filename.rpartition(".")
        suffix = f".{extension}" if dot and extension.isalnum() else ""
        relative = f"{_KIND_DIRECTORIES.get(kind, 'documents')}/file_{number}{suffix}"
        disk = self.root / self._token / relative
        disk.parent.mkdir(parents=True, exist_ok=True)
        # A second name for the same bytes: the upload record keeps its own.
        os.link(part.disk, disk)
        return self._add(kind, relative, disk, part.size, part.filename, part.content_type)

    def add_url(self, url: str, kind: str) -> _StoredFile:
        # Telegram would fetch the URL; the emulator reaches no other host.
        return self._add(kind, None, None, None, url.rsplit("/", 1)[-1] or None, None)

    def alias(self, original: _StoredFile, kind: str) -> _StoredFile:
        """A new file_id for the same bytes (the emulator does not resize photos)."""
        return self._add(
            kind,
            original.file_path,
            original.disk,
            original.size,
            original.filename,
            original.mime_type,
        )

    def _add(
        self,
        kind: str,
        relative: str | None,
        disk: Path | None,
        size: int | None,
        filename: str | None,
        mime_type: str | None,
    ) -> _StoredFile:
        file_id = _make_id(kind, 24)
        stored = _StoredFile(
            file_id, _make_id(kind, 8), kind, relative, disk, size, filename, mime_type
        )
        with self._lock:
            self._files[file_id] = stored
            if relative is not None:
                self._by_path.setdefault(relative, stored)
        return stored

    def by_id(self, file_id: str) -> _StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    def by_path(self, relative: str) -> _StoredFile | None:
        with self._lock:
            return self._by_path.get(relative)

    def file_object(self, stored: _StoredFile) -> JSONObject:
        """The File object getFile answers with."""
        if stored.file_path is None or stored.disk is None:
            raise _bad_request("wrong file_id or the file is temporarily unavailable")
        path = str(stored.disk) if self.local_mode else stored.file_path
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": path,
        }


def _make_id(kind: str, length: int) -> str:
    tag = {"photo": b"\x02", "document": b"\x05", "audio": b"\x03", "video": b"\x04"}
    raw = tag.get(kind, b"\x01") + secrets.token_bytes(length)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- what messages say about files --------------------------------------------------------


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG from its first bytes, else None."""
    with path.open("rb") as file:
        head = file.read(64 * 1024)
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return width, height
    if head.startswith(b"\xff\xd8"):
        return _jpeg_size(head)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    offset = 2
    while offset + 9 < len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        # Start-of-frame markers hold the size; C4, C8 and CC are other tables.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    return None


def _scaled(width: int, height: int, side: int) -> tuple[int, int]:
    longest = max(width, height, 1)
    if longest <= side:
        return width, height
    return max(1, width * side // longest), max(1, height * side // longest)


class FileMethods:
    """sendPhoto, sendDocument, sendAudio, sendVideo, sendMediaGroup and getFile.

    ``new_message(params)`` builds the common part of a sent Message (and
    checks chat_id); ``record(message)`` keeps it as sent.
    """

    def __init__(
        self,
        store: FileStore,
        new_message: Callable[[JSONObject], JSONObject],
        record: Callable[[JSONObject], None],
    ) -> None:
        self._store = store
        self._new_message = new_message
        self._record = record

    def handlers(self) -> dict[str, Callable[[JSONObject], Awaitable[Any]]]:
        return {
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendaudio": self._send_audio,
            "sendvideo": self._send_video,
            "sendmediagroup": self._send_media_group,
            "getfile": self._get_file,
        }

    async def _send_photo(self, params: JSONObject) -> JSONObject:
        return self._send_one("photo", params)

    async def _send_document(self, params: JSONObject) -> JSONObject:
        return self._send_one("document", params)

    async def _send_audio(self, params: JSONObject) -> JSONObject:
        return self._send_one("audio", params)

    async def _send_video(self, params: JSONObject) -> JSONObject:
        return self._send_one("video", params)

    def _send_one(self, kind: str, params: JSONObject) -> JSONObject:
        message = self._new_message(params)
        message.update(self._media(kind, params, params.get(kind), kind, _Attachments(params)))
        self._record(message)
        return message

    async def _send_media_group(self, params: JSONObject) -> list[JSONObject]:
        items = _json_list(params.get("media"))
        if not 2 <= len(items) <= 10:
            raise _bad_request("media must include 2-10 items")
        if not all(isinstance(item, dict) for item in items):
            raise _bad_request("media must be an array of InputMedia")
        kinds = {item.get("type") for item in items}
        if len(kinds) != len({k for k in kinds if k in ("photo", "video", "audio", "document")}):
            raise _bad_request("unsupported media type in media group")
        if len(kinds) > 1 and not kinds <= {"photo", "video"}:
            raise _bad_request("documents and audio can't be mixed with other media types")
        attachments = _Attachments(params)
        group_id = str(secrets.randbits(60))
        messages = []
        for index, item in enumerate(items):
            message = self._new_message(params)
            message["media_group_id"] = group_id
            message.update(
                self._media(
                    str(item.get("type")), item, item.get("media"), f"media #{index}", attachments
                )
            )
            messages.append(message)
        for message in messages:
            self._record(message)
        return messages

    async def _get_file(self, params: JSONObject) -> JSONObject:
        file_id = params.get("file_id")
        stored = self._store.by_id(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise _bad_request("invalid file_id")
        return self._store.file_object(stored)

    def _media(
        self,
        kind: str,
        source: JSONObject,
        value: Any,
        field: str,
        attachments: _Attachments,
    ) -> JSONObject:
        stored = self._resolve(value, kind, field, attachments)
        result: JSONObject = {}
        if kind == "photo":
            result["photo"] = self._photo_sizes(stored)
        else:
            media: JSONObject = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
            }
            if kind == "video":
                width, height = self._dimensions(stored)
                media.update(width=width, height=height, duration=0)
            elif kind == "audio":
                media["duration"] = 0
            for key, item in (
                ("file_name", stored.filename),
                ("mime_type", stored.mime_type),
                ("file_size", stored.size),
            ):
                if item is not None:
                    media[key] = item
            thumbnail = source.get("thumbnail")
            if thumbnail is not None:
                thumb = self._resolve(thumbnail, "thumbnail", "thumbnail", attachments)
                media["thumbnail"] = self._photo_sizes(thumb)[0]
            cover = source.get("cover")
            if kind == "video" and cover is not None:
                media["cover"] = self._photo_sizes(
                    self._resolve(cover, "photo", "cover", attachments)
                )
            result[kind] = media
        caption = source.get("caption")
        if caption:
            result["caption"] = str(caption)
        return result

    def _resolve(
        self, value: Any, kind: str, field: str, attachments: _Attachments
    ) -> _StoredFile:
        if isinstance(value, _Part):
            return attachments.adopt(self._store, value, kind)
        if not isinstance(value, str) or not value:
            raise _bad_request(f"there is no {field} in the request")
        if value.startswith("attach://"):
            part = attachments.parts.get(value[len("attach://") :])
            if part is None:
                raise _bad_request(f"{field}: file attached as {value!r} is not in the request")
            return attachments.adopt(self._store, part, kind)
        if _URL_RE.fullmatch(value):
            return self._store.add_url(value, kind)
        stored = self._store.by_id(value)
        if stored is None:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def _dimensions(self, stored: _StoredFile) -> tuple[int, int]:
        measured = image_size(stored.disk) if stored.disk is not None else None
        return measured or DEFAULT_PHOTO_SIZE

    def _photo_sizes(self, stored: _StoredFile) -> list[JSONObject]:
        width, height = self._dimensions(stored)
        longest = max(width, height)
        sides = [side for side in PHOTO_SIDES if side < longest] + [min(longest, PHOTO_SIDES[-1])]
        sizes = []
        for number, side in enumerate(sides):
            # Only the largest is the original; smaller ones get their own ids.
            entry = stored if number == len(sides) - 1 else self._store.alias(stored, "photo")
            scaled_width, scaled_height = _scaled(width, height, side)
            size: JSONObject = {
                "file_id": entry.file_id,
                "file_unique_id": entry.file_unique_id,
                "width": scaled_width,
                "height": scaled_height,
            }
            if entry.size is not None:
                size["file_size"] = entry.size
            sizes.append(size)
        return sizes


class _Attachments:
    """The file parts of one request; each is stored once however often it is named."""

    def __init__(self, params: JSONObject) -> None:
        self.parts = {key: value for key, value in params.items() if isinstance(value, _Part)}
        self._adopted: dict[str, _StoredFile] = {}

    def adopt(self, store: FileStore, part: _Part, kind: str) -> _StoredFile:
        stored = self._adopted.get(part.name)
        if stored is None:
            stored = self._adopted[part.name] = store.adopt(part, kind)
        return stored


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad_request("can't parse media JSON object") from None
    if not isinstance(value, list):
        raise _bad_request("media must be an array of InputMedia")
    return value


def iter_file(path: Path) -> Iterator[bytes]:
    """The bytes of a stored file, in chunks."""
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_SIZE):
            yield chunk
