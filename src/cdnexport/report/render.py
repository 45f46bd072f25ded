"""Typst turns the summary's content into a vector PDF with embedded font subsets.

Typst (PyPI ``typst``) needs no system library, and its bundled fonts cover Latin text. Chinese
needs a CJK font from the folder ``Settings.report_font_dir`` (Debian's ``fonts-noto-cjk`` by
default); system fonts are never searched, so a report looks the same on every machine.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import typst

from cdnexport.domain.task import Language
from cdnexport.export.builder import ExportFailed
from cdnexport.report.document import ReportContent

#: CJK families looked for, in order of preference; any other family with "CJK" in its name
#: (but not a monospaced one) is taken after these.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
)
#: A family Typst always embeds, for Latin text when no CJK font is installed.
LATIN_FALLBACK = "Libertinus Serif"
#: In both languages: the customer asked for Chinese, the operator may read only English.
MISSING_CJK = (
    "生成中文 (zh-cn) 汇总需要 CJK 字体，服务上没有安装；请运营方安装 fonts-noto-cjk 或设置 "
    "CDNEXPORT_REPORT_FONT_DIR。英文 (en-us) 汇总不受影响。 "
    "A zh-cn summary needs a CJK font, and none is installed on the service; its operator "
    "can install one (fonts-noto-cjk) or point CDNEXPORT_REPORT_FONT_DIR at one. "
    "An en-us summary can be made meanwhile."
)


class FontMissing(ExportFailed):
    """No usable CJK font for a Chinese report."""


def load_fonts(font_dir: Path) -> typst.Fonts:
    """Typst's bundled fonts and those in ``font_dir`` (a missing folder adds none)."""
    return typst.Fonts(include_system_fonts=False, font_paths=[str(font_dir)])


def choose_fonts(language: Language, fonts: typst.Fonts) -> tuple[str, ...]:
    """The font list of the report: a CJK family (required for zh-cn) then the Latin fallback."""
    families = list(fonts.families())
    cjk = next((name for name in CJK_FAMILIES if name in families), None)
    if cjk is None:
        cjk = next((n for n in families if "CJK" in n and "Mono" not in n), None)
    if cjk is None:
        if language is Language.ZH_CN:
            raise FontMissing(MISSING_CJK)
        return (LATIN_FALLBACK,)
    return (cjk, LATIN_FALLBACK)


def render_pdf(content: ReportContent, fonts: typst.Fonts, generated_at: int) -> bytes:
    """The PDF bytes of ``content``."""
    template = resources.files("cdnexport.report").joinpath("summary.typ").read_bytes()
    pdf = typst.compile(
        template,
        format="pdf",
        font_paths=fonts,
        ignore_system_fonts=True,
        sys_inputs={"data": json.dumps(content.data), "chart": content.chart_svg},
        timestamp=generated_at,
    )
    assert isinstance(pdf, bytes)
    return pdf
