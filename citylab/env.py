"""Read and validate settings from environment variables.

Every reader names the variable in its error, so a mistyped deployment fails at start with a
sentence an operator can act on, not with a stack trace from deep inside Django.
Only Django's exception type is imported: settings.py uses these before Django is configured.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class EnvError(ImproperlyConfigured):
    """A variable is set to something we cannot use. The message names the variable."""


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self._raw(name)
        return default if value is None else value

    def bool(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise EnvError(f"{name}: expected true or false (also 1/0, yes/no, on/off), got {value!r}")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise EnvError(f"{name}: expected a whole number, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise EnvError(f"{name}: must be at least {minimum}, got {number}")
        return number

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise EnvError(f"{name}: expected a comma-separated list with no empty items, got {value!r}")
        return items

    def networks(self, name: str, default: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """Comma-separated IP addresses or networks (10.0.0.0/8, 2001:db8::/32); one address is a
        network of one."""
        networks = []
        for item in self.list(name, default):
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise EnvError(
                    f"{name}: expected IP addresses or networks such as 10.0.0.5 or 10.0.0.0/8, got {item!r}"
                ) from None
        return networks

    def choice(self, name: str, default: str, choices: Mapping[str, object]) -> object:
        value = self._raw(name)
        key = default if value is None else value.lower()
        if key not in choices:
            allowed = ", ".join(sorted(choices))
            raise EnvError(f"{name}: expected one of {allowed}, got {value!r}")
        return choices[key]

    def path(self, name: str, default: Path) -> Path:
        value = self._raw(name)
        if value is None:
            return default
        path = Path(value).expanduser()
        if not path.is_absolute():
            raise EnvError(f"{name}: expected an absolute path, got {value!r}")
        return path

    def url(self, name: str, schemes: set[str]) -> str | None:
        value = self._raw(name)
        if value is None:
            return None
        scheme, sep, rest = value.partition("://")
        if not sep or scheme.lower() not in schemes or not rest:
            allowed = ", ".join(sorted(f"{s}://" for s in schemes))
            raise EnvError(f"{name}: expected a URL starting with {allowed}, got {value!r}")
        return value
