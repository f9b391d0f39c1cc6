"""telebridge: a typed Python SDK for the Telegram Bot API.

``Bot`` is synchronous, ``AsyncBot`` asynchronous; both sit on one I/O-free
core (``telebridge.core``) and each keeps one persistent, pooled httpx client.
"""

from telebridge._async import AsyncBot
from telebridge._polling import AsyncUpdateStream, UpdateStream
from telebridge._sync import Bot
from telebridge.core import (
    EmptyUpload,
    InputFile,
    InvalidFileReference,
    InvalidToken,
    entity_text,
    escape_html,
    escape_markdown_v2,
    utf16_length,
)
from telebridge.core._updates import Backoff
from telebridge.core._webhook import (
    SECRET_TOKEN_HEADER,
    BodyNotJSON,
    MissingSecretToken,
    NotAnUpdate,
    WebhookError,
    WebhookPayloadError,
    WebhookSecretError,
    WrongSecretToken,
    parse_webhook_update,
)
from telebridge.core.errors import (
    ApiError,
    BadRequest,
    ChatMigrated,
    Conflict,
    EventLoopMismatch,
    Forbidden,
    InvalidResponse,
    NetworkError,
    NotFound,
    RetryAfter,
    ServerError,
    TelegramError,
    TimedOut,
    Unauthorized,
)

__version__ = "0.1.0"

__all__ = [
    "SECRET_TOKEN_HEADER",
    "ApiError",
    "AsyncBot",
    "AsyncUpdateStream",
    "Backoff",
    "BadRequest",
    "BodyNotJSON",
    "Bot",
    "ChatMigrated",
    "Conflict",
    "EmptyUpload",
    "EventLoopMismatch",
    "Forbidden",
    "InputFile",
    "InvalidFileReference",
    "InvalidResponse",
    "InvalidToken",
    "MissingSecretToken",
    "NetworkError",
    "NotAnUpdate",
    "NotFound",
    "RetryAfter",
    "ServerError",
    "TelegramError",
    "TimedOut",
    "Unauthorized",
    "UpdateStream",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSecretError",
    "WrongSecretToken",
    "__version__",
    "entity_text",
    "escape_html",
    "escape_markdown_v2",
    "parse_webhook_update",
    "utf16_length",
]
