"""Typed readers for settings that come from environment variables.

Every reader fails loudly with a message that names the variable, so a bad deployment stops at start-up
instead of running with a silently wrong value.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


class ConfigurationError(RuntimeError):
    pass


def read_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ConfigurationError(f"环境变量 {name} 未设置 (required environment variable {name} is missing)")
        return default
    return value


def read_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"环境变量 {name}={value!r} 不是布尔值 (expected true/false)")


def read_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"环境变量 {name}={value!r} 不是整数 (expected an integer)") from None


def read_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_database_url(url: str, base_dir: Path) -> dict:
    """Turn sqlite:///relative/path, sqlite:////abs/path or postgres://user@host:port/name into DATABASES['default']."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        raw_path = unquote(parsed.path)
        # sqlite:///var/db.sqlite3 is relative to the project; sqlite:////tmp/x.sqlite3 is absolute.
        path = Path(raw_path[1:])
        if not path.is_absolute():
            path = base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # WAL lets the worker write while pages read; IMMEDIATE avoids "database is locked" on upgrade.
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            },
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "OPTIONS": options,
            "TEST": {"NAME": options.pop("test_name", None) or None},
        }
    raise ConfigurationError(f"DATABASE_URL 仅支持 sqlite:// 或 postgres:// (got {parsed.scheme!r})")
