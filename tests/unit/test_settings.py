"""Settings: validation, and that the README documents every one of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cdnexport.config import Settings
from cdnexport.settings_doc import settings_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_readme_configuration_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- settings-table:start -->\n", "\n<!-- settings-table:end -->"
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == settings_markdown(), "run `cdnexport settings` and paste it into the README"
    for name in Settings.model_fields:
        assert f"`CDNEXPORT_{name.upper()}`" in table


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Mars/Base"),
        ("port", 70000),
        ("database_url", "mysql://x"),
        ("rate_limit_per_second", 0),
        ("download_ttl_seconds", 5),
    ],
)
def test_bad_values_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate({field: value})


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CDNEXPORT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CDNEXPORT_PUBLIC_URL", "https://exports.example/")
    settings = Settings()
    assert settings.public_url == "https://exports.example"
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/cdnexport.db"
    assert settings.exports_dir == tmp_path / "exports"
    secret = settings.effective_url_secret()
    assert len(secret) == 64 and settings.effective_url_secret() == secret
