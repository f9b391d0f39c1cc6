"""The core's side of files: InputFile, the file_id rule, multipart plans, downloads."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from telebridge import EmptyUpload, InputFile, InvalidFileReference, InvalidResponse, NotFound
from telebridge.core import (
    TOKEN_PLACEHOLDER,
    FilePart,
    MultipartForm,
    RawCall,
    check_file_reference,
    download_error,
    prepare_download,
    prepare_request,
)
from telebridge.core._validate import check_input_file
from telebridge.testing._files import parse_content_disposition

FILE_ID = "AgACAgIAAxkBAAIBZ2Z-q_example-FILE_id"


def body_of(form: MultipartForm) -> bytes:
    """The whole body as the transports send it, files in their place."""
    chunks = []
    for segment in form.segments:
        if isinstance(segment, bytes):
            chunks.append(segment)
        else:
            chunks.append(bytes(segment.file.source))
    return b"".join(chunks)


def attach_name(reference: str) -> str:
    assert reference.startswith("attach://")
    return reference[len("attach://") :]


# --- JSON or multipart ------------------------------------------------------------


def test_a_call_without_files_stays_json() -> None:
    request = prepare_request(RawCall("sendPhoto", {"chat_id": 1, "photo": FILE_ID}))

    assert request.form is None
    assert dict(request.headers)["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"chat_id": 1, "photo": FILE_ID}


def test_a_top_level_upload_becomes_a_part_named_after_its_field() -> None:
    photo = InputFile(b"\x89PNG-data", filename="cat.png")
    request = prepare_request(
        RawCall(
            "sendPhoto",
            {
                "chat_id": 42,
                "photo": photo,
                "caption": "héllo",
                "disable_notification": True,
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]},
            },
        ),
        boundary="BOUNDARY",
    )

    form = request.form
    assert form is not None
    assert request.content == b""
    assert request.path == f"/bot{TOKEN_PLACEHOLDER}/sendPhoto"
    assert dict(request.headers)["Content-Type"] == "multipart/form-data; boundary=BOUNDARY"
    assert dict(form.fields) == {
        "chat_id": "42",
        "caption": "héllo",
        "disable_notification": "true",
        "reply_markup": '{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]}',
    }
    assert form.files == (FilePart("photo", photo, "cat.png", "image/png"),)


def test_the_framing_is_multipart_form_data_and_its_length_is_exact() -> None:
    document = InputFile(b"%PDF-1.7 body", filename="r.pdf")
    request = prepare_request(
        RawCall("sendDocument", {"chat_id": 1, "document": document}), boundary="XyZ"
    )
    assert request.form is not None

    body = body_of(request.form)

    assert body == (
        b'--XyZ\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n1\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="document"; filename="r.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.7 body\r\n"
        b"--XyZ--\r\n"
    )
    assert request.form.content_length([len(b"%PDF-1.7 body")]) == len(body)


def test_each_request_gets_its_own_random_boundary() -> None:
    call = RawCall("sendDocument", {"chat_id": 1, "document": InputFile(b"x")})
    first, second = prepare_request(call).form, prepare_request(call).form

    assert first is not None
    assert second is not None
    assert first.boundary != second.boundary
    assert len(first.boundary) >= 32


@pytest.mark.parametrize("count", [2, 5, 10])
def test_media_groups_mixing_uploads_file_ids_and_urls_get_unique_attach_names(
    count: int,
) -> None:
    media: list[dict[str, Any]] = []
    for index in range(count):
        if index % 3 == 0:
            item: dict[str, Any] = {
                "type": "video",
                "media": InputFile(f"video {index}".encode(), filename=f"v{index}.mp4"),
                "thumbnail": InputFile(b"thumb", filename="t.jpg"),
                "cover": InputFile(b"cover", filename="c.jpg"),
            }
        elif index % 3 == 1:
            item = {"type": "photo", "media": FILE_ID}
        else:
            item = {"type": "photo", "media": f"https://example.org/{index}.jpg"}
        media.append(item)
    # A name the caller already used by hand must not be handed out again.
    media[1]["thumbnail"] = "attach://file0"

    request = prepare_request(RawCall("sendMediaGroup", {"chat_id": 1, "media": media}))

    assert request.form is not None
    sent = json.loads(dict(request.form.fields)["media"])
    names = [part.name for part in request.form.files]
    uploads = (count + 2) // 3
    assert len(names) == len(set(names)) == 3 * uploads
    assert "file0" not in names
    for original, encoded in zip(media, sent, strict=True):
        if isinstance(original["media"], InputFile):
            parts = {p.name: p.file for p in request.form.files}
            assert parts[attach_name(encoded["media"])] is original["media"]
            assert parts[attach_name(encoded["thumbnail"])] is original["thumbnail"]
            assert parts[attach_name(encoded["cover"])] is original["cover"]
        else:
            assert encoded["media"] == original["media"]


def test_an_open_binary_file_object_is_wrapped_into_an_input_file() -> None:
    stream = io.BytesIO(b"data")
    request = prepare_request(RawCall("sendDocument", {"chat_id": 1, "document": stream}))

    assert request.form is not None
    [part] = request.form.files
    assert part.file.source is stream
    assert part.filename == "file"


# --- file names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    ["report Q3 \u2013 ёлка.pdf", 'say "hi".txt', "back\\slash 猫.png", '"quoted"', "a=b.zip"],
)
def test_file_names_travel_as_telegrams_server_reads_them(filename: str) -> None:
    request = prepare_request(
        RawCall("sendDocument", {"chat_id": 1, "document": InputFile(b"x", filename=filename)})
    )
    assert request.form is not None

    header = body_of(request.form).split(b"\r\n")[5].decode()

    assert header == f'Content-Disposition: form-data; name="document"; filename="{filename}"'
    assert parse_content_disposition(header.partition(": ")[2]) == ("document", filename)


def test_characters_telegram_cannot_carry_in_a_file_name_are_percent_encoded() -> None:
    name = "a;b\r\nContent-Type: evil\x00.txt"
    request = prepare_request(
        RawCall("sendDocument", {"chat_id": 1, "document": InputFile(b"x", filename=name)})
    )
    assert request.form is not None

    lines = body_of(request.form).split(b"\r\n")

    assert lines[5] == (
        b'Content-Disposition: form-data; name="document"; '
        b'filename="a%3Bb%0D%0AContent-Type: evil%00.txt"'
    )
    assert lines[6] == b"Content-Type: text/plain"


@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters=";\x7f")))
def test_any_file_name_without_semicolons_or_controls_round_trips(name: str) -> None:
    name = "".join(ch for ch in name if ord(ch) >= 0x20) or "x"
    request = prepare_request(
        RawCall("sendDocument", {"chat_id": 1, "document": InputFile(b"x", filename=name)})
    )
    assert request.form is not None

    header = body_of(request.form).split(b"\r\n")[5].decode()

    assert parse_content_disposition(header.partition(": ")[2]) == ("document", name)


# --- InputFile ------------------------------------------------------------------------------


def test_an_input_file_from_a_path_takes_its_name_and_type(tmp_path: Path) -> None:
    path = tmp_path / "holiday photo.JPG"
    path.write_bytes(b"jpeg")

    file = InputFile(path)

    assert (file.kind, file.source) == ("path", str(path))
    assert (file.filename, file.content_type) == ("holiday photo.JPG", "image/jpeg")
    assert "holiday photo.JPG" in repr(file)


def test_a_missing_path_fails_when_the_input_file_is_built(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file") as caught:
        InputFile(tmp_path / "nope.pdf")
    with pytest.raises(FileNotFoundError, match="pass the string itself"):
        InputFile(FILE_ID)

    assert caught.value.filename == str(tmp_path / "nope.pdf")


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        InputFile(tmp_path)


def test_text_mode_file_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")

    with path.open("r") as text, pytest.raises(TypeError, match="binary mode"):
        InputFile(text)
    with pytest.raises(TypeError, match="binary mode"):
        InputFile(io.StringIO("hello"))
    with path.open("r") as text, pytest.raises(TypeError, match="binary mode"):
        prepare_request(RawCall("sendDocument", {"chat_id": 1, "document": text}))


def test_empty_data_and_odd_arguments_are_refused() -> None:
    with pytest.raises(EmptyUpload):
        InputFile(b"")
    with pytest.raises(TypeError, match="takes a path, bytes or a binary file object"):
        InputFile(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="content type"):
        InputFile(b"x", content_type="image/png\r\nX-Evil: 1")
    with pytest.raises(TypeError, match="wrap them in InputFile"):
        prepare_request(RawCall("sendDocument", {"chat_id": 1, "document": b"raw"}))


# --- the file_id rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [FILE_ID, "abc", "https://example.org/cat.jpg", "HTTP://EXAMPLE.ORG/x?y=1", "attach://file0"],
)
def test_file_ids_urls_and_attach_names_pass(value: str) -> None:
    assert check_file_reference(value, "photo") == value


@pytest.mark.parametrize(
    "value", ["cat.jpg", "my cat", "", "ftp://example.org/x", "https://", "photos/cat.jpg"]
)
def test_other_strings_in_file_fields_fail_before_sending(value: str) -> None:
    with pytest.raises(InvalidFileReference, match="neither a file_id"):
        check_file_reference(value, "photo")
    with pytest.raises(InvalidFileReference):
        prepare_request(RawCall("sendPhoto", {"chat_id": 1, "photo": value}))


def test_a_string_naming_a_local_file_gets_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cat.jpg").write_bytes(b"jpeg")

    with pytest.raises(InvalidFileReference, match=r"InputFile\('cat.jpg'\)"):
        prepare_request(RawCall("sendPhoto", {"chat_id": 1, "photo": "cat.jpg"}))


def test_strings_inside_input_media_are_checked_too() -> None:
    media = [{"type": "photo", "media": FILE_ID}, {"type": "photo", "media": "dog.png"}]

    with pytest.raises(InvalidFileReference, match=r"dog\.png"):
        prepare_request(RawCall("sendMediaGroup", {"chat_id": 1, "media": media}))


def test_the_validator_for_generated_methods_applies_the_same_rule() -> None:
    @attrs.frozen
    class SendPhotoLike:
        api_method = "sendPhoto"
        photo: Any = attrs.field(validator=check_input_file())
        thumbnail: Any = attrs.field(default=None, validator=check_input_file(optional=True))

    SendPhotoLike(photo=FILE_ID)
    SendPhotoLike(photo=InputFile(b"x"), thumbnail=io.BytesIO(b"t"))
    with pytest.raises(InvalidFileReference, match="sendPhoto: photo"):
        SendPhotoLike(photo="cat.jpg")
    with pytest.raises(TypeError, match="InputFile or a str"):
        SendPhotoLike(photo=3)


# --- downloads ------------------------------------------------------------------------------


def test_a_download_is_a_get_with_the_token_placeholder_and_a_quoted_path() -> None:
    request = prepare_download("documents/file 7 ё.pdf")

    assert request.http_method == "GET"
    assert request.path == (f"/file/bot{TOKEN_PLACEHOLDER}/documents/file%207%20%D1%91.pdf")
    with pytest.raises(ValueError, match="relative file_path"):
        prepare_download("/var/lib/telegram-bot-api/x/file.pdf")


def test_download_errors_are_typed() -> None:
    not_found = download_error(
        404,
        {"content-type": "application/json"},
        b'{"ok":false,"error_code":404,"description":"Not Found"}',
    )
    html = download_error(502, {"content-type": "text/html"}, b"<html>bad gateway</html>")

    assert isinstance(not_found, NotFound)
    assert not_found.method == "download"
    assert isinstance(html, InvalidResponse)
