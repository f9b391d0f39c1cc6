"""Files over real loopback TCP: both transports against the emulator."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from telebridge import (
    AsyncBot,
    Bot,
    EmptyUpload,
    InputFile,
    InvalidFileReference,
    NetworkError,
    NotFound,
)
from telebridge.testing import BotAPIEmulator, DropConnection

from .conftest import CANARY_SECRET, CANARY_TOKEN
from .test_integration import _everything_shown, free_port, open_fds

pytestmark = pytest.mark.integration

TRICKY_NAMES = ["report Q3 \u2013 ёлка.pdf", 'say "hi" now.txt', "猫 and \\ backslash.png"]


@pytest.fixture
def emulator() -> Iterator[BotAPIEmulator]:
    with BotAPIEmulator(token=CANARY_TOKEN) as emulator:
        yield emulator


def png(width: int, height: int) -> bytes:
    header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    return header + width.to_bytes(4, "big") + height.to_bytes(4, "big") + os.urandom(2000)


def call(bot: Bot | AsyncBot, method: str, params: dict[str, Any]) -> Any:
    """Run one call on either transport (the async one in a fresh event loop)."""
    if isinstance(bot, AsyncBot):
        return asyncio.run(bot.call(method, params))
    return bot.call(method, params)


def download(bot: Bot | AsyncBot, file: Any, destination: Any = None) -> Any:
    if isinstance(bot, AsyncBot):
        return asyncio.run(bot.download(file, destination))
    return bot.download(file, destination)


@pytest.fixture(params=["sync", "async"])
def any_bot(request: pytest.FixtureRequest, emulator: BotAPIEmulator) -> Iterator[Bot | AsyncBot]:
    if request.param == "sync":
        with Bot(emulator.token, base_url=emulator.base_url) as bot:
            yield bot
    else:
        # Each asyncio.run() ends its loop, and the pool goes with it.
        yield AsyncBot(emulator.token, base_url=emulator.base_url)


# --- uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TRICKY_NAMES)
def test_file_names_reach_the_server_intact(
    any_bot: Bot | AsyncBot, emulator: BotAPIEmulator, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    data = os.urandom(300_000)
    path.write_bytes(data)

    message = call(any_bot, "sendDocument", {"chat_id": 5, "document": InputFile(path)})

    [upload] = emulator.uploads
    assert (upload.method, upload.field, upload.filename) == ("sendDocument", "document", name)
    assert upload.read_bytes() == data
    assert message["document"]["file_name"] == name
    assert message["document"]["file_size"] == len(data)


def test_photos_from_bytes_and_from_a_file_object_at_its_position(
    any_bot: Bot | AsyncBot, emulator: BotAPIEmulator
) -> None:
    image = png(1600, 1200)
    stream = io.BytesIO(b"JUNK" + image)
    stream.seek(4)

    from_bytes = call(
        any_bot, "sendPhoto", {"chat_id": 1, "photo": InputFile(image, filename="a.png")}
    )
    from_stream = call(any_bot, "sendPhoto", {"chat_id": 1, "photo": stream, "caption": "hi"})

    assert [u.read_bytes() for u in emulator.uploads] == [image, image]
    sizes = from_bytes["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [
        (90, 67),
        (320, 240),
        (800, 600),
        (1280, 960),
        (1600, 1200),
    ]
    assert len({s["file_id"] for s in sizes + from_stream["photo"]}) == 10
    assert from_stream["caption"] == "hi"
    assert not stream.closed


def test_a_media_group_of_ten_mixes_uploads_file_ids_and_urls(
    any_bot: Bot | AsyncBot, emulator: BotAPIEmulator
) -> None:
    earlier = call(any_bot, "sendPhoto", {"chat_id": 1, "photo": InputFile(png(100, 100))})
    file_id = earlier["photo"][-1]["file_id"]
    videos = [os.urandom(5000) for _ in range(4)]
    media: list[dict[str, Any]] = [
        {
            "type": "video",
            "media": InputFile(data, filename=f"clip {n}.mp4"),
            "thumbnail": InputFile(png(90, 60), filename="thumb.png"),
            "cover": InputFile(png(640, 360), filename="cover.png"),
            "caption": f"clip {n}",
        }
        for n, data in enumerate(videos)
    ]
    media += [{"type": "photo", "media": file_id}] * 3
    media += [{"type": "photo", "media": f"https://example.org/{n}.jpg"} for n in range(3)]

    messages = call(any_bot, "sendMediaGroup", {"chat_id": 9, "media": media})

    group_uploads = [u for u in emulator.uploads if u.method == "sendMediaGroup"]
    assert len(group_uploads) == 12
    assert len({u.field for u in group_uploads}) == 12
    assert len(messages) == 10
    assert len({m["media_group_id"] for m in messages}) == 1
    for message, data in zip(messages[:4], videos, strict=True):
        video = message["video"]
        assert video["file_size"] == len(data)
        assert video["thumbnail"]["width"] == 90
        assert video["cover"][-1]["width"] == 640
        assert download(any_bot, video["file_id"]) == data
    assert [m["photo"][-1]["file_id"] for m in messages[4:7]] == [file_id] * 3


def test_a_file_id_string_is_sent_as_json(
    any_bot: Bot | AsyncBot, emulator: BotAPIEmulator
) -> None:
    first = call(any_bot, "sendDocument", {"chat_id": 1, "document": InputFile(b"doc")})

    again = call(any_bot, "sendDocument", {"chat_id": 1, "document": first["document"]["file_id"]})

    assert again["document"]["file_id"] == first["document"]["file_id"]
    assert len(emulator.uploads) == 1


def test_bad_input_fails_before_any_network_io(
    any_bot: Bot | AsyncBot, emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    exhausted = io.BytesIO(b"read already")
    exhausted.read()
    (tmp_path / "cat.jpg").write_bytes(b"jpeg")

    with pytest.raises(FileNotFoundError):
        call(any_bot, "sendDocument", {"chat_id": 1, "document": InputFile(tmp_path / "no.pdf")})
    with pytest.raises(IsADirectoryError):
        call(any_bot, "sendDocument", {"chat_id": 1, "document": InputFile(tmp_path)})
    with (tmp_path / "cat.jpg").open("r") as text, pytest.raises(TypeError, match="binary"):
        call(any_bot, "sendDocument", {"chat_id": 1, "document": text})
    with pytest.raises(InvalidFileReference, match="upload the file with InputFile"):
        call(any_bot, "sendPhoto", {"chat_id": 1, "photo": str(tmp_path / "cat.jpg")})
    with pytest.raises(EmptyUpload):
        call(any_bot, "sendPhoto", {"chat_id": 1, "photo": exhausted})

    assert emulator.requests == 0
    assert emulator.connections_opened == 0


def test_nothing_telebridge_opened_stays_open(emulator: BotAPIEmulator, tmp_path: Path) -> None:
    path = tmp_path / "doc.bin"
    path.write_bytes(os.urandom(1_000_000))
    before = open_fds(emulator)

    with Bot(emulator.token, base_url=emulator.base_url) as bot:
        bot.call("sendDocument", {"chat_id": 1, "document": InputFile(path)})
        emulator.inject_fault(DropConnection(), method="sendDocument")
        with pytest.raises(NetworkError):
            bot.call("sendDocument", {"chat_id": 1, "document": InputFile(path)})

    async def upload() -> None:
        async with AsyncBot(emulator.token, base_url=emulator.base_url) as abot:
            await abot.call("sendDocument", {"chat_id": 1, "document": InputFile(path)})

    asyncio.run(upload())

    assert open_fds(emulator) == before


# --- downloads --------------------------------------------------------------------------------


def test_downloads_round_trip_to_bytes_paths_and_file_objects(
    any_bot: Bot | AsyncBot, emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 11)
    sent = call(
        any_bot, "sendDocument", {"chat_id": 1, "document": InputFile(data, filename="x.bin")}
    )
    document = sent["document"]

    as_bytes = download(any_bot, document["file_id"])
    as_path = download(any_bot, document, tmp_path / "copy.bin")
    with (tmp_path / "sink.bin").open("wb") as sink:
        count = download(any_bot, document, sink)

    assert as_bytes == data
    assert as_path.read_bytes() == data
    assert count == len(data)
    assert (tmp_path / "sink.bin").read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.bin", "sink.bin"]
    # An upload, three getFile calls and three downloads share one pooled connection
    # per event loop (the async bot runs each step in its own asyncio.run()).
    assert emulator.requests == 7
    assert emulator.connections_opened == (1 if isinstance(any_bot, Bot) else 4)


def test_a_local_bot_api_servers_absolute_paths_are_read_from_disk(
    tmp_path: Path,
) -> None:
    data = os.urandom(700_000)
    with (
        BotAPIEmulator(token=CANARY_TOKEN, local_mode=True) as emulator,
        Bot(emulator.token, base_url=emulator.base_url) as bot,
    ):
        sent = bot.call("sendDocument", {"chat_id": 1, "document": InputFile(data)})
        file = bot.call("getFile", {"file_id": sent["document"]["file_id"]})
        emulator.reset_counters()

        copied = bot.download(sent["document"]["file_id"], tmp_path / "copy.bin")

        assert Path(file["file_path"]).is_absolute()
        assert copied.read_bytes() == data
        assert dict(emulator.method_calls) == {"getFile": 1}
        assert emulator.requests == 1  # no GET of /file/...


@pytest.mark.parametrize("user_client", [False, True])
def test_the_token_never_shows_on_the_download_path(
    emulator: BotAPIEmulator,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    user_client: bool,
) -> None:
    import httpx

    caplog.set_level(logging.DEBUG)
    client = httpx.Client() if user_client else None
    errors: list[BaseException] = []
    with Bot(CANARY_TOKEN, base_url=emulator.base_url, client=client) as bot:
        sent = bot.call("sendDocument", {"chat_id": 1, "document": InputFile(b"secret-free")})
        assert bot.download(sent["document"]) == b"secret-free"
        with pytest.raises(NotFound) as missing:
            bot.download({"file_path": "documents/nope.pdf"})
        # A local server keeps files under a directory named after the token.
        local = f"/var/lib/telegram-bot-api/{CANARY_TOKEN}/documents/file_0.pdf"
        with pytest.raises(FileNotFoundError) as not_here:
            bot.download({"file_path": local})
        errors += [missing.value, not_here.value]
    with (
        Bot(CANARY_TOKEN, base_url=f"http://127.0.0.1:{free_port()}", client=client) as refused,
        pytest.raises(NetworkError) as not_sent,
    ):
        refused.download({"file_path": "documents/file_0.pdf"})
    errors.append(not_sent.value)
    if client is not None:
        client.close()

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/file/bot" in logged
    assert CANARY_SECRET not in logged
    for error in errors:
        assert CANARY_SECRET not in _everything_shown(error)
    assert "telegram-bot-api" in str(not_here.value)
