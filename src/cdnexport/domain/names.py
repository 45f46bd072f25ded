"""What a domain name and a group name may be, checked where names enter (the CLI, the services
it calls): a name that passes is safe in a workbook, a log line and a signed URL."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MAX_DOMAIN: Final = 253
MAX_GROUP: Final = 128
# A hostname label (letters, digits, hyphens; no hyphen at either end); a CDN domain may start
# with one "*." wildcard label.
_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class InvalidName(ValueError):
    """A domain or group name that cdnexport does not store."""


def domain_name(raw: str) -> str:
    """``raw`` as stored (trimmed, lower case), or ``InvalidName`` when it is not a hostname."""
    name = raw.strip().lower()
    labels = name.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if (
        not name
        or len(name) > MAX_DOMAIN
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        raise InvalidName(
            f"{raw!r} is not a valid domain name (letters, digits, hyphens and dots, "
            f"at most {MAX_DOMAIN} characters, optionally starting with '*.')"
        )
    return name


def group_name(name: str) -> str:
    """``name`` if it may name a group: 1 to 128 characters, not blank, no control characters."""
    if (
        not name.strip()
        or len(name) > MAX_GROUP
        or name != name.strip()
        or any(unicodedata.category(char) in ("Cc", "Cs") for char in name)
    ):
        raise InvalidName(
            f"{name!r} is not a valid group name (1 to {MAX_GROUP} characters, no control "
            "characters, no leading or trailing spaces)"
        )
    return name
