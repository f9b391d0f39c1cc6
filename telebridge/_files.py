"""File I/O shared by both transports: upload bodies that stream, download sinks.

The core decides what a multipart body holds (``MultipartForm``); this module
opens what it names, checks each file before a byte is sent, and yields the
body in chunks. Nothing here reads a whole file into memory.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import httpx

from telebridge.core import EmptyUpload, FilePart, MultipartForm

__all__ = ["CHUNK_SIZE", "DownloadSink", "UploadBody", "file_path_or_id", "open_local_file"]

# Large enough that an async upload's hop to a worker thread per chunk costs
# little, small enough to keep a transfer's memory flat.
CHUNK_SIZE = 256 * 1024


class _Source:
    """One file of an upload, open and checked; read in chunks, restartable."""

    size: int | None
    # Whether reading may block on a disk or a pipe (then async reads it in a thread).
    blocking = True

    def read(self, limit: int) -> bytes:
        raise NotImplementedError

    def restart(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _BytesSource(_Source):
    blocking = False

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self.size = self._view.nbytes
        self._offset = 0

    def read(self, limit: int) -> bytes:
        chunk = bytes(self._view[self._offset : self._offset + limit])
        self._offset += len(chunk)
        return chunk

    def restart(self) -> None:
        self._offset = 0

    def close(self) -> None:
        # A live view would keep a caller's bytearray from being resized.
        self._view.release()


class _StreamSource(_Source):
    """A binary file object: one telebridge opened (and closes) or the caller's."""

    def __init__(self, part: FilePart, stream: IO[bytes], *, owned: bool) -> None:
        self._part = part
        self._stream = stream
        self._owned = owned
        self._pending = b""
        self._started = False
        self._start: int | None = None
        try:
            self._measure()
        except BaseException:
            self.close()
            raise

    def _measure(self) -> None:
        stream = self._stream
        probe: Any = stream.read(0)
        if not isinstance(probe, bytes):
            raise TypeError(
                f"{self._part.filename}: the file object returned {type(probe).__name__}, "
                "not bytes; open it in binary mode ('rb')"
            )
        seekable = getattr(stream, "seekable", None)
        if callable(seekable) and seekable():
            start = stream.tell()
            end = stream.seek(0, os.SEEK_END)
            stream.seek(start)
            self._start, self.size = start, end - start
            if self.size <= 0:
                raise EmptyUpload(
                    f"{self._part.filename}: nothing left to read (position {start} of "
                    f"{end} bytes); seek(0) to send it again, or pass a fresh file object"
                )
        else:
            # Size unknown: the body goes out chunked. Reading the first chunk
            # now still catches an exhausted pipe before any network I/O.
            self.size = None
            self._pending = stream.read(CHUNK_SIZE)
            if not self._pending:
                raise EmptyUpload(f"{self._part.filename}: the file object is already exhausted")

    def read(self, limit: int) -> bytes:
        self._started = True
        if self._pending:
            chunk, self._pending = self._pending, b""
            return chunk
        if self.size is None:
            return self._stream.read(limit)
        assert self._start is not None
        left = self._start + self.size - self._stream.tell()
        if left <= 0:
            return b""
        chunk = self._stream.read(min(limit, left))
        if not chunk:
            raise OSError(
                f"{self._part.filename}: the file ended {left} bytes early; "
                "it changed while it was being sent"
            )
        return chunk

    def restart(self) -> None:
        if self._start is not None:
            self._stream.seek(self._start)
        elif self._started:
            raise RuntimeError(
                f"{self._part.filename}: a file object that cannot seek is sent only once"
            )

    def close(self) -> None:
        if self._owned:
            self._stream.close()


def _open_source(part: FilePart) -> _Source:
    file = part.file
    if file.kind == "bytes":
        return _BytesSource(file.source)
    if file.kind == "path":
        stream = open(file.source, "rb")  # noqa: SIM115 - closed by UploadBody.close()
        return _StreamSource(part, stream, owned=True)
    return _StreamSource(part, file.source, owned=False)


class UploadBody:
    """The files of one multipart request, opened and checked, ready to stream.

    Building one is the last step before network I/O: a file deleted since its
    InputFile was made, an exhausted or text-mode file object, all fail here.
    ``close()`` closes every file telebridge opened; call it whatever happens.
    Each iteration starts the body from the beginning, so a retried request
    resends every file whole.
    """

    def __init__(self, form: MultipartForm) -> None:
        self._form = form
        self._sources: list[_Source] = []
        try:
            for part in form.files:
                self._sources.append(_open_source(part))
        except BaseException:
            self.close()
            raise
        sizes = [source.size for source in self._sources]
        known = [size for size in sizes if size is not None]
        # A Content-Length whenever every size is known: not every server in
        # front of a Bot API accepts chunked request bodies.
        self.content_length = form.content_length(known) if len(known) == len(sizes) else None

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self._form.content_type}
        if self.content_length is not None:
            headers["Content-Length"] = str(self.content_length)
        return headers

    def _plan(self) -> Iterator[bytes | _Source]:
        files = iter(self._sources)
        for segment in self._form.segments:
            if isinstance(segment, bytes):
                yield segment
            else:
                yield next(files)

    def sync_stream(self) -> _SyncBody:
        return _SyncBody(self)

    def async_stream(self) -> _AsyncBody:
        return _AsyncBody(self)

    def close(self) -> None:
        for source in self._sources:
            source.close()


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, body: UploadBody) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        for item in self._body._plan():
            if isinstance(item, bytes):
                yield item
                continue
            item.restart()
            while chunk := item.read(CHUNK_SIZE):
                yield chunk


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, body: UploadBody) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for item in self._body._plan():
            if isinstance(item, bytes):
                yield item
                continue
            item.restart()
            while True:
                # A slow disk or pipe must not stall the event loop.
                if item.blocking:
                    chunk = await asyncio.to_thread(item.read, CHUNK_SIZE)
                else:
                    chunk = item.read(CHUNK_SIZE)
                if not chunk:
                    break
                yield chunk


# --- downloads --------------------------------------------------------------------


def file_path_or_id(file: Any) -> tuple[str | None, str | None]:
    """Return ``(file_path, file_id)`` of what ``download`` was given.

    A str is a file_id; otherwise any object (File, PhotoSize, Document, ...)
    or mapping (a raw getFile result) with ``file_path`` or ``file_id``.
    """
    if isinstance(file, str):
        return None, file
    if isinstance(file, Mapping):
        path, file_id = file.get("file_path"), file.get("file_id")
    else:
        path, file_id = getattr(file, "file_path", None), getattr(file, "file_id", None)
    path = path if isinstance(path, str) and path else None
    file_id = file_id if isinstance(file_id, str) and file_id else None
    if path is None and file_id is None:
        raise TypeError(
            "download() takes a file_id or an object with a file_id or file_path "
            f"(File, PhotoSize, Document, ...), got {type(file).__name__}"
        )
    return path, file_id


class DownloadSink:
    """Where a download goes: a path (written atomically), a file object, or memory.

    Checked when made, before any network I/O. For a path, bytes go to a
    temporary file beside it that replaces the target only once complete,
    so a failed download never leaves a truncated file under the real name.
    """

    def __init__(self, destination: Any) -> None:
        self._target: Path | None = None
        self._stream: Any = None
        self._temp: Any = None
        self._chunks: list[bytes] | None = None
        self.written = 0
        if destination is None:
            self._chunks = []
        elif isinstance(destination, (str, os.PathLike)):
            target = Path(destination)
            if not target.parent.is_dir():
                raise FileNotFoundError(
                    2, "download: the destination's directory does not exist", str(target.parent)
                )
            self._target = target
        elif callable(getattr(destination, "write", None)):
            mode = getattr(destination, "mode", None)
            if hasattr(destination, "encoding") or (isinstance(mode, str) and "b" not in mode):
                raise TypeError("download: the destination file object must be binary ('wb')")
            self._stream = destination
        else:
            raise TypeError(
                "download: destination must be None, a path or a binary file object, "
                f"got {type(destination).__name__}"
            )

    @property
    def in_memory(self) -> bool:
        return self._chunks is not None

    def resolve_directory(self, file_path: str) -> None:
        """Save into a directory under the name the server gave the file."""
        if self._target is not None and self._target.is_dir():
            self._target = self._target / os.path.basename(file_path)

    def open(self) -> None:
        if self._target is not None:
            self._temp = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finish()/abort()
                dir=self._target.parent, prefix=".telebridge-", suffix=".part", delete=False
            )
            self._stream = self._temp

    def write(self, chunk: bytes) -> None:
        if self._chunks is not None:
            self._chunks.append(chunk)
        else:
            self._stream.write(chunk)
        self.written += len(chunk)

    def finish(self) -> bytes | Path | int:
        if self._chunks is not None:
            return b"".join(self._chunks)
        if self._target is not None:
            self._temp.close()
            os.replace(self._temp.name, self._target)
            self._temp = None
            return self._target
        return self.written

    def abort(self) -> None:
        if self._temp is not None:
            self._temp.close()
            os.unlink(self._temp.name)
            self._temp = None


def copy_local_file(path: str, shown_path: str, sink: DownloadSink) -> None:
    """Copy a local Bot API server's file into *sink* in chunks (blocking)."""
    with open_local_file(path, shown_path) as source:
        while chunk := source.read(CHUNK_SIZE):
            sink.write(chunk)


def open_local_file(path: str, shown_path: str) -> IO[bytes]:
    """Open a local Bot API server's file; errors show *shown_path*, not *path*.

    Such a server keeps files under a directory named after the bot token,
    so an OSError naming the real path would print the token.
    """
    try:
        return open(path, "rb")
    except OSError as exc:
        raise type(exc)(exc.errno, f"download: {exc.strerror}", shown_path) from None
