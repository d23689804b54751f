"""Logging of every process of the portal (web, worker, beat, commands, gunicorn): the tokens of
consent, withdrawal, receipt and invitation links, and the codes and tokens of single sign-on,
never reach a log.

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
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

# The path segment after /consent/, /consent/withdraw/ or /consent/receipt/ is a bearer secret.
_TOKEN_PATH = re.compile(r"(/consent/(?:withdraw/|receipt/)?)(?!withdraw/|receipt/)[^/\s?#\"']+")
# So is an invitation's token, in its path or in a login page's `next` (quoted or not).
_INVITATION_TOKEN = re.compile(
    r"(/accounts/invitations/|%2Faccounts%2Finvitations%2F)[0-9a-f]{64}", re.I
)
# The OAuth values of single sign-on that travel in a query string or a form (the callback's
# code and state, a token, the PKCE verifier, the client secret).
_OAUTH_PARAM = re.compile(
    r"((?:^|[?&\s])(?:code|state|nonce|id_token|access_token|refresh_token|code_verifier"
    r"|client_secret)=)[^&\s\"'#]+"
)
_FORMATTER = logging.Formatter()


def redact(text: str) -> str:
    return _OAUTH_PARAM.sub(
        r"\1[redacted]",
        _INVITATION_TOKEN.sub(r"\1[redacted]", _TOKEN_PATH.sub(r"\1[redacted]", text)),
    )


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


# --- context of each line: request id, user, reseller, task ---------------------------------------

_current_request: ContextVar[Any] = ContextVar("portal_log_request", default=None)


class RequestLogContextMiddleware:
    """Remember the request for the log lines made while it is served (its user and reseller)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _user_and_reseller() -> tuple[str, str]:
    # Only what the request has already loaded: a log line never costs a query.
    request = _current_request.get()
    if request is None:
        return "", ""
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)
    user_id = getattr(wrapped, "pk", None) if wrapped is not None else None
    membership = getattr(request, "_portal_membership", None)
    reseller = getattr(membership, "reseller_id", None)
    return (str(user_id) if user_id else "", str(reseller) if reseller else "")


def _task_id() -> str:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - Celery is a dependency
        return ""
    request = getattr(current_task, "request", None) if current_task else None
    return getattr(request, "id", None) or ""


def current_request_id() -> str:
    """The id of the request (or of the task, carried from the request that published it)."""
    try:
        from django_guid import get_guid

        return get_guid() or ""
    except Exception:  # robust: outside Django's setup
        return ""


class ContextFilter(logging.Filter):
    """Give each record the request id (web and the tasks it published), the user and reseller of
    the request, and the Celery task id, so one id finds a request's lines everywhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        user_id, reseller = _user_and_reseller()
        record.request_id = current_request_id()
        record.user_id = user_id
        record.reseller = reseller
        record.task_id = _task_id()
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message and the context;
    the whole line is redacted once more, so no field of any record can carry a token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "fmt",
            "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(reseller)s "
            "%(task_id)s",
        )
        kwargs.setdefault(
            "rename_fields", {"levelname": "level", "name": "logger", "exc_info": "error"}
        )
        kwargs.setdefault("timestamp", "time")
        # Objects some loggers attach (Django's request, gunicorn's) are not log data.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time", "data"])
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        for name in ("request_id", "user_id", "reseller", "task_id"):
            if not hasattr(record, name):
                setattr(record, name, "")
        return redact(super().format(record))
