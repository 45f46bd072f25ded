"""CSV, gzipped CSV and Parquet detail files against the xlsx writer, in the same run.

Each (format, size) is built ``--repeat`` times, alternating, by ``build_workbook`` from
in-memory flow series in a child process of its own, so that its peak RSS is its own: the growth
of the peak over what the series already held is the writer's memory. Targets: every flat format
writes at least as many rows per second as the default xlsx writer (the baseline, measured here;
best time of the repeats), and its memory does not grow with the row count (largest growth at
``--rows`` within ``RSS_SLACK_MB`` of that at a quarter of it). The Parquet file is then read
back with pyarrow and compared with the numbers the series hold, the same numbers the workbook
is written from (tests compare the two files themselves).
Run: ``.venv/bin/python -m bench.formats_bench --rows 1000000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from bench.report import Figure, all_passed, judged, megabytes, rate, table
from bench.writer_bench import START, flow_series
from cdnexport.domain.task import ExportType, FileFormat, Language
from cdnexport.export.builder import WorkbookPlan, build_workbook
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.formats import extension, open_writer

SLOTS = 8640  # 30 days
RSS_SLACK_MB = 16.0
FORMATS = (FileFormat.XLSX, FileFormat.CSV, FileFormat.CSV_GZ, FileFormat.PARQUET)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(file_format: FileFormat, rows: int, path: Path) -> dict[str, float]:
    """Build one file; seconds, CPU seconds, peak RSS growth (MB) and size."""
    series = flow_series(rows, SLOTS)
    plan = WorkbookPlan(
        ExportType.FLOW, Language.EN_US, "Asia/Shanghai", START, START + SLOTS * 300, "domain"
    )
    before = _peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    writer = open_writer(file_format, path, plan, FastXlsxWriter)
    build_workbook(plan, series, len(series), writer)
    writer.close()
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "growth_mb": _peak_mb() - before,
        "bytes": path.stat().st_size,
    }


def run_child(file_format: FileFormat, rows: int, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.formats_bench",
            "--child",
            file_format.value,
            str(rows),
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def parquet_matches(path: Path, rows: int) -> bool:
    """The Parquet file holds the series' traffic and the bandwidth formula's doubles."""
    table_ = pq.read_table(path)
    traffic = np.concatenate([item.values[0] for item in flow_series(rows, SLOTS)])
    stored = table_.column("Traffic (Byte)").to_numpy()
    bandwidth = table_.column("Bandwidth (bps)").to_numpy()
    return bool(
        np.array_equal(stored, traffic)
        and np.array_equal(bandwidth, traffic.astype(np.float64) * 8.0 / 300)
    )


def figures(big: int, repeat: int) -> list[Figure]:
    """The figures of one run: ``big`` rows and a quarter of it, each format ``repeat`` times."""
    small = big // 4
    found: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="cdnexport-bench-") as tmp:
        runs: dict[tuple[FileFormat, int], dict[str, float]] = {}
        for _ in range(repeat):
            for rows in (small, big):
                for fmt in FORMATS:
                    path = Path(tmp) / f"{rows}.{extension(fmt)}"
                    run = run_child(fmt, rows, path)
                    print(f"[formats] {fmt.value} {rows:,} rows: {run}", file=sys.stderr)
                    earlier = runs.setdefault((fmt, rows), run)
                    # The fastest time, and the largest memory growth, of the repeats.
                    earlier["seconds"] = min(earlier["seconds"], run["seconds"])
                    earlier["growth_mb"] = max(earlier["growth_mb"], run["growth_mb"])
        baseline = big / runs[FileFormat.XLSX, big]["seconds"]
        found.append(Figure(f"xlsx (fast writer), {big:,} rows", rate(baseline), note="baseline"))
        for fmt in FORMATS:
            run, speed = runs[fmt, big], big / runs[fmt, big]["seconds"]
            size = megabytes(run["bytes"] / 1e6)
            if fmt is not FileFormat.XLSX:
                found.append(
                    judged(
                        f"{fmt.value}, {big:,} rows",
                        speed / baseline,
                        f"{rate(speed)}, {speed / baseline:.2f}x xlsx, {size}",
                        ">= 1.0x xlsx",
                        lambda ratio: ratio >= 1.0,
                    )
                )
            growth = run["growth_mb"] - runs[fmt, small]["growth_mb"]
            found.append(
                judged(
                    f"{fmt.value} peak RSS growth, {small:,} -> {big:,} rows",
                    growth,
                    megabytes(growth),
                    f"<= {RSS_SLACK_MB:.0f} MB (flat)",
                    lambda mb: mb <= RSS_SLACK_MB,
                    note=f"{megabytes(run['growth_mb'])} over the series at {big:,}",
                )
            )
        ok = parquet_matches(Path(tmp) / f"{big}.parquet", big)
        found.append(
            Figure("Parquet read back by pyarrow", "equal" if ok else "differs", "= series", ok)
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (best time)")
    parser.add_argument("--child", nargs=3, metavar=("FORMAT", "ROWS", "PATH"))
    args = parser.parse_args()
    if args.child:
        fmt, rows, path = args.child
        print(json.dumps(child(FileFormat(fmt), int(rows), Path(path))))
        return 0
    result = figures(args.rows, args.repeat)
    print(table(result))
    return 0 if all_passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
