"""Logging of every process of the portal (web, worker, beat, commands, gunicorn): the tokens of
consent, withdrawal and receipt links, and the codes and tokens of single sign-on, never reach
a log.

A token travels in the path of its page, and any logger may write a path: Django's request and
CSRF loggers, the development server, gunicorn's access and error logs, a library's warning.
Redaction therefore happens where every record is made (the record factory) and again in every
handler the portal configures, not on a list of loggers that someone has to keep complete.
"""

from __future__ import annotations

import logging
import logging.config
import re
from collections.abc import Callable
from typing import Any

# The path segment after /consent/, /consent/withdraw/ or /consent/receipt/ is a bearer secret.
_TOKEN_PATH = re.compile(r"(/consent/(?:withdraw/|receipt/)?)(?!withdraw/|receipt/)[^/\s?#\"']+")
# The OAuth values of single sign-on that travel in a query string or a form (the callback's
# code and state, a token, the PKCE verifier, the client secret).
_OAUTH_PARAM = re.compile(
    r"((?:^|[?&\s])(?:code|state|nonce|id_token|access_token|refresh_token|code_verifier"
    r"|client_secret)=)[^&\s\"'#]+"
)
_FORMATTER = logging.Formatter()


def redact(text: str) -> str:
    return _OAUTH_PARAM.sub(r"\1[redacted]", _TOKEN_PATH.sub(r"\1[redacted]", text))


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Replace the tokens in a record's message, traceback and stack; idempotent."""
    try:
        message = record.getMessage()
    except Exception:  # robust: a broken format is reported by the handler, not here
        message = None
    if message is None:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
    else:
        clean = redact(message)
        if clean != message:
            # The arguments may be any object whose text holds the path (a request, an
            # exception): the finished message replaces them.
            record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        text = _FORMATTER.formatException(record.exc_info)
        clean = redact(text)
        if clean != text:
            record.exc_text = clean
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactTokensFilter(logging.Filter):
    """Replace the tokens of consent, withdrawal and receipt links in a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_record_redaction() -> None:
    """Redact every record this process makes, whatever its logger or handler. Idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts_tokens", False):
        return
    logging.setLogRecordFactory(_RedactingFactory(factory))


class _RedactingFactory:
    """A log record factory that redacts the records the one it wraps makes."""

    redacts_tokens = True

    def __init__(self, factory: Callable[..., logging.LogRecord]) -> None:
        self.factory = factory

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(self.factory(*args, **kwargs))


def add_filter_to_handlers(logger: logging.Logger | None = None) -> None:
    """Give each handler of `logger` (the root by default) the redaction filter, once."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactTokensFilter) for f in handler.filters):
            handler.addFilter(RedactTokensFilter())


def configure(logging_settings: dict) -> None:
    """`LOGGING_CONFIG` of the settings: Django's dictConfig, with redaction installed first."""
    install_record_redaction()
    logging.config.dictConfig(logging_settings)
    # Handlers that were configured before ours (Django's defaults) get the filter too.
    for logger in [logging.getLogger(), *_configured_loggers()]:
        add_filter_to_handlers(logger)


def _configured_loggers() -> list[logging.Logger]:
    manager = logging.Logger.manager
    return [
        logger for logger in list(manager.loggerDict.values()) if isinstance(logger, logging.Logger)
    ]
