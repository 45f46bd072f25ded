"""The configuration table of the README, generated from ``Settings``."""

from __future__ import annotations

from cdnexport.config import Settings


def settings_markdown() -> str:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        lines.append(f"| `CDNEXPORT_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines)
