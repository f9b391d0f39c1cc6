"""Uploads and downloads through Bot and AsyncBot, against pytest-httpx."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

import telebridge._files
from telebridge import AsyncBot, Bot, EmptyUpload, InputFile, NotFound, TimedOut
from telebridge._files import CHUNK_SIZE

from .conftest import CANARY_TOKEN

BASE = "http://bot-api.test"
DOCUMENT = {"file_id": "BQACAgIAAx", "file_unique_id": "AgAD", "file_name": "r.pdf"}
SENT = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "document": DOCUMENT}


@pytest.fixture
def bot() -> Iterator[Bot]:
    with Bot(CANARY_TOKEN, base_url=BASE) as bot:
        yield bot


@pytest.fixture
async def abot() -> AsyncIterator[AsyncBot]:
    async with AsyncBot(CANARY_TOKEN, base_url=BASE) as bot:
        yield bot


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[IO[bytes]]:
    """Every file telebridge's transports open, to check that each gets closed."""
    files: list[IO[bytes]] = []

    def tracking_open(*args: Any, **kwargs: Any) -> Any:
        file = open(*args, **kwargs)  # noqa: SIM115 - the test checks it is closed
        files.append(file)
        return file

    monkeypatch.setattr(telebridge._files, "open", tracking_open, raising=False)
    return files


def big_file(tmp_path: Path, size: int = 3 * CHUNK_SIZE + 17) -> tuple[Path, bytes]:
    data = bytes(range(256)) * (size // 256) + b"tail"
    path = tmp_path / "big report.pdf"
    path.write_bytes(data)
    return path, data


def test_an_upload_from_a_path_streams_with_a_content_length_and_is_closed(
    bot: Bot, httpx_mock: HTTPXMock, tmp_path: Path, opened: list[IO[bytes]]
) -> None:
    path, data = big_file(tmp_path)
    httpx_mock.add_response(json={"ok": True, "result": SENT})

    message = bot.call("sendDocument", {"chat_id": 1, "document": InputFile(path)})

    request = httpx_mock.get_request()
    assert request is not None
    assert str(request.url) == f"{BASE}/bot{CANARY_TOKEN}/sendDocument"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert "Transfer-Encoding" not in request.headers
    assert int(request.headers["Content-Length"]) == len(request.content)
    assert data in request.content
    assert b'filename="big report.pdf"' in request.content
    assert message["document"] == DOCUMENT
    assert len(opened) == 1
    assert opened[0].closed


def test_a_file_telebridge_opened_is_closed_when_the_send_fails(
    bot: Bot, httpx_mock: HTTPXMock, tmp_path: Path, opened: list[IO[bytes]]
) -> None:
    path, _ = big_file(tmp_path)
    httpx_mock.add_exception(httpx.ReadTimeout("read timed out"))

    with pytest.raises(TimedOut):
        bot.call("sendDocument", {"chat_id": 1, "document": InputFile(path)})

    assert [file.closed for file in opened] == [True]


async def test_an_async_upload_streams_the_same_body(
    abot: AsyncBot, httpx_mock: HTTPXMock, tmp_path: Path, opened: list[IO[bytes]]
) -> None:
    path, data = big_file(tmp_path)
    httpx_mock.add_response(json={"ok": True, "result": SENT})

    await abot.call("sendDocument", {"chat_id": 1, "document": InputFile(path), "caption": "c"})

    request = httpx_mock.get_request()
    assert request is not None
    assert int(request.headers["Content-Length"]) == len(request.content)
    assert data in request.content
    assert b'name="caption"\r\n\r\nc\r\n' in request.content
    assert [file.closed for file in opened] == [True]


def test_a_file_object_is_read_from_its_position_and_left_open(
    bot: Bot, httpx_mock: HTTPXMock
) -> None:
    stream = io.BytesIO(b"HEADER--payload")
    stream.seek(8)
    httpx_mock.add_response(json={"ok": True, "result": SENT})

    bot.call("sendDocument", {"chat_id": 1, "document": stream})

    request = httpx_mock.get_request()
    assert request is not None
    assert b"\r\n\r\npayload\r\n" in request.content
    assert b"HEADER" not in request.content
    assert not stream.closed


async def test_an_exhausted_file_object_fails_before_any_request(
    abot: AsyncBot, bot: Bot, httpx_mock: HTTPXMock
) -> None:
    stream = io.BytesIO(b"already read")
    stream.read()

    with pytest.raises(EmptyUpload, match="nothing left to read"):
        bot.call("sendPhoto", {"chat_id": 1, "photo": InputFile(stream, filename="p.jpg")})
    with pytest.raises(EmptyUpload, match="seek"):
        await abot.call("sendPhoto", {"chat_id": 1, "photo": stream})

    assert httpx_mock.get_requests() == []


def test_a_file_deleted_after_its_input_file_was_made_fails_before_any_request(
    bot: Bot, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    path, _ = big_file(tmp_path)
    file = InputFile(path)
    path.unlink()

    with pytest.raises(FileNotFoundError):
        bot.call("sendDocument", {"chat_id": 1, "document": file})

    assert httpx_mock.get_requests() == []


def test_a_pipe_like_object_without_seek_goes_out_chunked(bot: Bot, httpx_mock: HTTPXMock) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = b"p" * (2 * CHUNK_SIZE + 5)
    httpx_mock.add_response(json={"ok": True, "result": SENT})

    with Pipe(data) as pipe:
        bot.call("sendDocument", {"chat_id": 1, "document": pipe})

    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["Transfer-Encoding"] == "chunked"
    assert data in request.content


# --- downloads ------------------------------------------------------------------------------


def add_download(httpx_mock: HTTPXMock, data: bytes, file_path: str = "documents/file_1.pdf"):  # type: ignore[no-untyped-def]
    httpx_mock.add_response(
        url=f"{BASE}/bot{CANARY_TOKEN}/getFile",
        json={
            "ok": True,
            "result": {"file_id": "F", "file_unique_id": "U", "file_path": file_path},
        },
    )
    httpx_mock.add_response(url=f"{BASE}/file/bot{CANARY_TOKEN}/{file_path}", content=data)


def test_download_returns_bytes_writes_paths_and_file_objects(
    bot: Bot, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    data = b"0123456789" * (CHUNK_SIZE // 4)
    for _ in range(3):
        add_download(httpx_mock, data)
    httpx_mock.add_response(
        url=f"{BASE}/file/bot{CANARY_TOKEN}/documents/file_1.pdf", content=data
    )

    returned = bot.download("F")
    written = bot.download("F", tmp_path / "copy.pdf")
    into_dir = bot.download({"file_id": "F"}, tmp_path)
    sink = io.BytesIO(b"keep:")
    sink.seek(5)
    count = bot.download({"file_id": "F", "file_path": "documents/file_1.pdf"}, sink)

    assert returned == data
    assert written == tmp_path / "copy.pdf"
    assert written.read_bytes() == data
    assert into_dir == tmp_path / "file_1.pdf"
    assert into_dir.read_bytes() == data
    assert count == len(data)
    assert sink.getvalue() == b"keep:" + data
    # A known file_path skips getFile.
    assert [r.url.path.rsplit("/", 1)[-1] for r in httpx_mock.get_requests()].count("getFile") == 3


async def test_async_download_streams_to_a_path(
    abot: AsyncBot, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    data = b"z" * (2 * CHUNK_SIZE + 3)
    add_download(httpx_mock, data)
    add_download(httpx_mock, data)

    written = await abot.download("F", tmp_path / "out.bin")
    returned = await abot.download("F")

    assert written.read_bytes() == data
    assert returned == data


def test_a_failed_download_leaves_no_file_behind(
    bot: Bot, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=f"{BASE}/bot{CANARY_TOKEN}/getFile",
        json={
            "ok": True,
            "result": {"file_id": "F", "file_unique_id": "U", "file_path": "documents/gone.pdf"},
        },
    )
    httpx_mock.add_response(
        url=f"{BASE}/file/bot{CANARY_TOKEN}/documents/gone.pdf",
        status_code=404,
        json={"ok": False, "error_code": 404, "description": "Not Found"},
    )

    with pytest.raises(NotFound, match="download: Not Found"):
        bot.download("F", tmp_path / "gone.pdf")

    assert list(tmp_path.iterdir()) == []


async def test_bad_destinations_fail_before_any_request(
    bot: Bot, abot: AsyncBot, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="directory does not exist"):
        bot.download("F", tmp_path / "missing" / "x.pdf")
    with pytest.raises(TypeError, match="binary"):
        bot.download("F", io.StringIO())  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="file_id or an object"):
        await abot.download(42)

    assert httpx_mock.get_requests() == []


# --- streaming: nothing is read or written whole ------------------------------------------


class Recording(io.BytesIO):
    """A binary file that remembers the size of every read and write."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(data)
        self.reads: list[int] = []
        self.writes: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.reads.append(len(chunk))
        return chunk

    def write(self, data: Any, /) -> int:
        self.writes.append(len(data))
        return super().write(data)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[Recording]:
    """Files the transports open, as Recording copies of the real ones."""
    files: list[Recording] = []

    def recording_open(path: Any, *args: Any, **kwargs: Any) -> Recording:
        with open(path, "rb") as real:
            files.append(Recording(real.read()))
        return files[-1]

    monkeypatch.setattr(telebridge._files, "open", recording_open, raising=False)
    return files


def test_a_sync_upload_reads_its_file_in_chunks(
    bot: Bot, httpx_mock: HTTPXMock, tmp_path: Path, recorded: list[Recording]
) -> None:
    path, data = big_file(tmp_path)
    source = Recording(data)
    httpx_mock.add_response(json={"ok": True, "result": SENT})
    httpx_mock.add_response(json={"ok": True, "result": SENT})

    bot.send_document(1, InputFile(path))
    bot.send_document(1, source)

    [opened_file] = recorded
    for reads in (opened_file.reads, source.reads):
        assert max(reads) <= CHUNK_SIZE
        assert sum(reads) == len(data)


async def test_an_async_upload_reads_its_file_in_chunks(
    abot: AsyncBot, httpx_mock: HTTPXMock, tmp_path: Path, recorded: list[Recording]
) -> None:
    path, data = big_file(tmp_path)
    source = Recording(data)
    httpx_mock.add_response(json={"ok": True, "result": SENT})
    httpx_mock.add_response(json={"ok": True, "result": SENT})

    await abot.send_document(1, InputFile(path))
    await abot.send_document(1, source)

    [opened_file] = recorded
    for reads in (opened_file.reads, source.reads):
        assert max(reads) <= CHUNK_SIZE
        assert sum(reads) == len(data)


def test_a_download_is_written_in_chunks(bot: Bot, httpx_mock: HTTPXMock) -> None:
    data = b"x" * (3 * CHUNK_SIZE + 5)
    add_download(httpx_mock, data)
    sink = Recording()

    bot.download("F", sink)

    assert max(sink.writes) <= CHUNK_SIZE
    assert len(sink.writes) >= 4
    assert sink.getvalue() == data


async def test_an_async_download_is_written_in_chunks(
    abot: AsyncBot, httpx_mock: HTTPXMock
) -> None:
    data = b"y" * (3 * CHUNK_SIZE + 5)
    add_download(httpx_mock, data)
    sink = Recording()

    await abot.download("F", sink)

    assert max(sink.writes) <= CHUNK_SIZE
    assert len(sink.writes) >= 4
    assert sink.getvalue() == data
