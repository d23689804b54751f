"""Typed readers of the environment, shared by the settings and the gunicorn configuration, so
that each variable is read in one place with one meaning."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def env_choices(name: str, choices: tuple[str, ...], default: list[str]) -> list[str]:
    """A comma list of some of `choices`: unset is `default`, empty or "none" is none; any other
    value stops the start instead of being ignored."""
    from django.core.exceptions import ImproperlyConfigured

    value = os.environ.get(name)
    if value is None:
        return list(default)
    parts = [part.strip().lower() for part in value.split(",") if part.strip()]
    if parts == ["none"]:
        return []
    if unknown := sorted(set(parts) - set(choices)):
        raise ImproperlyConfigured(
            f"{name} takes {', '.join(choices)} or none; got {', '.join(unknown)}"
        )
    return parts


def behind_proxy() -> bool:
    """DJANGO_BEHIND_PROXY: a TLS-terminating proxy in front sets X-Forwarded-Proto and
    X-Forwarded-For, and clients cannot reach the portal around it. Django (the scheme, the
    client's address) and gunicorn (whom it believes about the scheme) both follow it."""
    return env_bool("DJANGO_BEHIND_PROXY", False)


def metrics_multiprocess() -> bool:
    """PROMETHEUS_MULTIPROC_DIR: the processes of one host write their metrics to files there
    (prometheus-client reads it itself when imported) and /metrics adds them up."""
    return bool(env_str("PROMETHEUS_MULTIPROC_DIR"))
