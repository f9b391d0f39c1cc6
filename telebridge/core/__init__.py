"""The I/O-free core: Bot API calls in, request descriptions out; responses in, objects out.

Nothing under this package opens a socket, starts a thread or touches an
event loop: both transports share it, and its tests need no HTTP at all.
"""

from telebridge.core._files import (
    EmptyUpload,
    FilePart,
    InputFile,
    InvalidFileReference,
    MultipartForm,
    check_file_reference,
)
from telebridge.core._http import (
    PreparedRequest,
    download_error,
    parse_response,
    prepare_download,
    prepare_request,
    read_timeout_for,
)
from telebridge.core._method import RawCall, TelegramMethod
from telebridge.core._text import entity_text, escape_html, escape_markdown_v2, utf16_length
from telebridge.core._token import TOKEN_PLACEHOLDER, BotToken, InvalidToken, redact

__all__ = [
    "TOKEN_PLACEHOLDER",
    "BotToken",
    "EmptyUpload",
    "FilePart",
    "InputFile",
    "InvalidFileReference",
    "InvalidToken",
    "MultipartForm",
    "PreparedRequest",
    "RawCall",
    "TelegramMethod",
    "check_file_reference",
    "download_error",
    "entity_text",
    "escape_html",
    "escape_markdown_v2",
    "parse_response",
    "prepare_download",
    "prepare_request",
    "read_timeout_for",
    "redact",
    "utf16_length",
]

# Receiving updates without I/O: polling bookkeeping and webhook request parsing.
from telebridge.core._updates import Backoff, PollRetry, UpdateCursor, UpdatePoller
from telebridge.core._webhook import parse_webhook_update

__all__ += ["Backoff", "PollRetry", "UpdateCursor", "UpdatePoller", "parse_webhook_update"]
