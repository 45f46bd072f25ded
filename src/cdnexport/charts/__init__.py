"""One SVG chart module, drawn into the PDF report and served to the console."""

from cdnexport.charts.svg import BandwidthChart, Level, Line, format_bps, render_svg

__all__ = ["BandwidthChart", "Level", "Line", "format_bps", "render_svg"]
