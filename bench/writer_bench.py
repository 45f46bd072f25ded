"""Rows per second of ``FastXlsxWriter`` against ``XlsxWriterWorkbook`` on flow-shaped rows.

Both writers get the same batches (time serial, domain, region, traffic int64, bandwidth
float64), one batch per series as the builder sends them, built before timing; ``--export``
times ``build_workbook`` from in-memory series as well. Runs alternate between the writers and
the best of ``--repeat`` counts; rows/s is given per wall-clock second and per CPU second of this
process (all single-threaded, so the second is the fairer figure on a busy machine).
Run: ``.venv/bin/python bench/writer_bench.py --rows 1000000``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from cdnexport.domain.task import ExportType, Language
from cdnexport.export.builder import WorkbookPlan, build_workbook
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.layout import columns, region_names, sheet_name
from cdnexport.export.timecells import slot_serials
from cdnexport.export.writer import ColumnData, WorkbookWriter, WriterFactory
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.usage.series import Series

#: 2024-01-01T00:00:00Z
START = 1_704_067_200
DOMAINS = 64


def flow_series(rows: int, slots: int, seed: int = 7) -> list[Series]:
    """Series of ``slots`` 5-minute values each, ``rows`` values in all (the last one padded)."""
    rng = np.random.default_rng(seed)
    series = []
    for index in range(-(-rows // slots)):
        count = min(slots, rows - index * slots)
        traffic = np.minimum(rng.lognormal(15, 3, count), 1e12).astype(np.int64)
        label = f"img{index % DOMAINS}.example.com"
        series.append(Series(label, index % 6, (np.pad(traffic, (0, slots - count)),)))
    return series


def flow_batches(series: list[Series], rows: int, slots: int) -> list[list[ColumnData]]:
    """The batches the builder would send for ``series``, ``rows`` rows in all."""
    times = slot_serials(START, START + slots * 300, "UTC")
    regions = region_names(Language.EN_US)
    batches: list[list[ColumnData]] = []
    left = rows
    for item in series:
        count = min(slots, left)
        traffic = item.values[0][:count]
        bandwidth = traffic.astype(np.float64) * 8.0 / 300
        region = regions[item.region]
        batches.append([times[:count], [item.label] * count, [region] * count, traffic, bandwidth])
        left -= count
    return batches


#: Wall-clock seconds and CPU seconds of one run.
Timing = tuple[float, float]
Run = Callable[[WriterFactory, Path], None]
FACTORIES: dict[str, WriterFactory] = {"fast": FastXlsxWriter, "xlsxwriter": XlsxWriterWorkbook}


def write_batches(batches: list[list[ColumnData]], factory: WriterFactory, path: Path) -> None:
    writer = factory(path)
    header = columns(ExportType.FLOW, Language.EN_US, "domain", "UTC")
    writer.add_sheet(sheet_name(Language.EN_US, 1), header)
    for batch in batches:
        writer.write_batch(batch)
    writer.close()


def export(series: list[Series], slots: int, factory: WriterFactory, path: Path) -> None:
    end = START + slots * 300
    plan = WorkbookPlan(ExportType.FLOW, Language.EN_US, "UTC", START, end, "domain")
    writer: WorkbookWriter = factory(path)
    build_workbook(plan, series, len(series), writer)
    writer.close()


def timed(run: Run, factory: WriterFactory, path: Path) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    run(factory, path)
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(label: str, rows: int, repeat: int, run: Run, out: Path) -> None:
    """Alternate the two writers ``repeat`` times; print the best of each and their ratio."""
    best: dict[str, Timing] = {}
    sizes: dict[str, int] = {}
    for _ in range(repeat):
        for name, factory in FACTORIES.items():
            path = out / f"{name}.xlsx"
            wall, cpu = timed(run, factory, path)
            earlier = best.get(name, (wall, cpu))
            best[name] = (min(wall, earlier[0]), min(cpu, earlier[1]))
            sizes[name] = path.stat().st_size
    for name, (wall, cpu) in best.items():
        print(
            f"{label:7}{name:11}{rows / wall:>11,.0f} rows/s wall{rows / cpu:>11,.0f} rows/s CPU"
            f"{sizes[name] / 1e6:8.1f} MB"
        )
    (fast_wall, fast_cpu), (ref_wall, ref_cpu) = best["fast"], best["xlsxwriter"]
    print(
        f"{label:7}{'ratio':11}{ref_wall / fast_wall:>10.1f}x wall{ref_cpu / fast_cpu:>17.1f}x CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slots", type=int, default=8640, help="rows per series (30 days)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each writer (best)")
    parser.add_argument("--export", action="store_true", help="time build_workbook as well")
    args = parser.parse_args()

    series = flow_series(args.rows, args.slots)
    batches = flow_batches(series, args.rows, args.slots)
    print(f"{args.rows:,} rows in batches of {args.slots:,}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        compare("writer", args.rows, args.repeat, partial(write_batches, batches), out)
        if args.export:
            rows = len(series) * args.slots
            compare("export", rows, args.repeat, partial(export, series, args.slots), out)


if __name__ == "__main__":
    main()
