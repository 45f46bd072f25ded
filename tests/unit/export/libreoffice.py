"""Running LibreOffice headless on a workbook, for the tests that prove files open there."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: LibreOffice's CSV filter: comma, double quote, UTF-8, from line 1, no column types, default
#: language, unquoted numbers, detect special numbers, cells as shown, no formulas, keep spaces,
#: and -1: every sheet to its own file.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


def soffice() -> str:
    """The soffice binary; missing fails under CI (which installs it) and skips elsewhere."""
    found = shutil.which("soffice")
    if found is None:
        message = "soffice not found: apt-get install libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def convert(binary: str, path: Path, target: str, out: Path) -> subprocess.CompletedProcess[str]:
    """Convert ``path`` with a private profile into ``out``; fails the test on an error."""
    result = subprocess.run(
        [
            binary,
            f"-env:UserInstallation={(out / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result
