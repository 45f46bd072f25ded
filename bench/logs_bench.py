"""Access-log ingestion speed: ``ingest_logs`` end to end against a plain parser, in one run.

The baseline is the least a script could do: read lines, pull the same four fields out with one
regular expression (``json.loads`` for JSON), and sum bytes and HTTPS requests per (host, slot)
in a dict. It checks nothing, counts no malformed or skipped line, hashes nothing and writes
nothing. Both must reach the same totals, or the run stops.

    .venv/bin/python bench/logs_bench.py --lines 1000000 [--format nginx] [--gzip]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path

from cdnexport.clock import SystemClock
from cdnexport.db import accounts
from cdnexport.db.engine import Database
from cdnexport.usage.logs.formats import LogFormat
from cdnexport.usage.logs.ingest import ingest_logs
from cdnexport.usage.logs.nodemap import FixedRegion

T0 = 1_714_521_600  # 2024-05-01T00:00:00Z
DOMAINS = tuple(f"cdn{i}.bench.example" for i in range(20))
SLOT = 300
Totals = tuple[int, int]


def log_lines(log_format: LogFormat, count: int, seed: int = 7) -> Iterator[str]:
    """``count`` lines over one hour, 20 domains, about 70 % HTTPS, sizes up to 2 MB."""
    rng = random.Random(seed)
    for i in range(count):
        moment = T0 + i * 3600 / count
        host = DOMAINS[rng.randrange(len(DOMAINS))]
        scheme = "https" if rng.random() < 0.7 else "http"
        size = rng.randrange(200, 2_000_000)
        if log_format is LogFormat.NGINX:
            yield f"{moment:.3f}\tedge-{i % 4}\t{host}\t{scheme}\t{size}\n"
        elif log_format is LogFormat.JSON:
            yield (
                json.dumps(
                    {"time": round(moment, 3), "node": "edge-1", "host": host, "scheme": scheme}
                    | {"bytes_sent": size}
                )
                + "\n"
            )
        else:
            stamp = (
                datetime.fromtimestamp(int(moment)).astimezone().strftime("%d/%b/%Y:%H:%M:%S %z")
            )
            yield (
                f'[{stamp}] 203.0.113.{i % 250} - {rng.randrange(1, 900)} "-" '
                f'"GET {scheme}://{host}/static/{i % 997}.jpg" 200 {rng.randrange(150, 600)} '
                f'{size} {"HIT" if i % 3 else "MISS"} "Mozilla/5.0 (X11; Linux x86_64)" '
                '"image/jpeg"\n'
            )


_NGINX = re.compile(rb"(\d+)\.\d+\t[^\t]*\t([^\t]*)\t([^\t]*)\t(\d+)")
_ALIBABA = re.compile(
    rb'\[([^\]]*)\] \S+ \S+ \S+ "[^"]*" "\S+ (\w+)://([^/"]*)[^"]*" \d+ \S+ (\d+)'
)


def baseline(log_format: LogFormat, path: Path) -> Totals:
    """Bytes and HTTPS requests summed per (host, slot) with the plainest loop; their totals."""
    cells: dict[tuple[bytes, int], list[int]] = {}
    times: dict[bytes, int] = {}
    with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as file:
        for line in file:
            if log_format is LogFormat.JSON:
                record = json.loads(line)
                second = int(record["time"])
                host = record["host"].encode()
                https = record["scheme"] == "https"
                size = record["bytes_sent"]
            else:
                match = (_NGINX if log_format is LogFormat.NGINX else _ALIBABA).match(line)
                if match is None:
                    continue
                if log_format is LogFormat.NGINX:
                    second, host, scheme, size = int(match[1]), match[2], match[3], int(match[4])
                else:
                    stamp, scheme, host, size = match[1], match[2], match[3], int(match[4])
                    if stamp not in times:
                        parsed = datetime.strptime(stamp.decode(), "%d/%b/%Y:%H:%M:%S %z")
                        times[stamp] = int(parsed.timestamp())
                    second = times[stamp]
                https = scheme == b"https"
            key = (host, second - second % SLOT)
            cell = cells.get(key)
            if cell is None:
                cells[key] = [size, https]
            else:
                cell[0] += size
                cell[1] += https
    return sum(c[0] for c in cells.values()), sum(c[1] for c in cells.values())


def fresh_database(workdir: Path) -> tuple[Database, int]:
    """A new SQLite database with the bench account and its domains (made before timing)."""
    db = Database(f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex}.db'}")
    db.create_schema()
    with db.write() as conn:
        account = accounts.create_account(conn, "bench", 0)
        accounts.add_domains(conn, account.id, list(DOMAINS))
    return db, account.id


def ours(log_format: LogFormat, path: Path, databases: Iterator[tuple[Database, int]]) -> Totals:
    """``ingest_logs`` into the next fresh database; the totals it reports."""
    db, account_id = next(databases)
    report = ingest_logs(db, account_id, [path], log_format, FixedRegion(0), clock=SystemClock())
    db.dispose()
    (file,) = report.files
    if file.counted != file.lines:
        raise SystemExit(f"{file.lines - file.counted} lines were not counted: {file}")
    return file.traffic_bytes, file.https_requests


def timed(sides: list[Callable[[], Totals]], repeat: int) -> list[tuple[float, Totals]]:
    """Best seconds and the totals of each side; the sides take turns, so a busy spell of the
    machine slows both alike."""
    best = [float("inf")] * len(sides)
    totals: list[Totals] = [(0, 0)] * len(sides)
    for _ in range(repeat):
        for index, side in enumerate(sides):
            start = time.perf_counter()
            totals[index] = side()
            best[index] = min(best[index], time.perf_counter() - start)
    return list(zip(best, totals, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--format", choices=[f.value for f in LogFormat], action="append")
    parser.add_argument("--gzip", action="store_true", help="also read gzip files (both sides)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the best counts")
    args = parser.parse_args()
    formats = [LogFormat(f) for f in args.format] if args.format else list(LogFormat)
    print(f"{args.lines:,} lines per file; lines/s, best of {args.repeat}")
    print(f"{'format':<14}{'baseline':>14}{'ingest_logs':>14}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for log_format in formats:
            path = workdir / f"access-{log_format}.log"
            with path.open("w", encoding="utf-8") as out:
                out.writelines(log_lines(log_format, args.lines))
            variants = [(str(log_format), path)]
            if args.gzip:
                packed = path.with_suffix(".log.gz")
                packed.write_bytes(gzip.compress(path.read_bytes(), compresslevel=6))
                variants.append((f"{log_format}+gzip", packed))
            for label, file in variants:
                databases = iter([fresh_database(workdir) for _ in range(args.repeat)])
                (base_s, base_totals), (our_s, our_totals) = timed(
                    [
                        partial(baseline, log_format, file),
                        partial(ours, log_format, file, databases),
                    ],
                    args.repeat,
                )
                if our_totals != base_totals:
                    raise SystemExit(f"{label}: totals differ: {our_totals} != {base_totals}")
                base_rate, our_rate = args.lines / base_s, args.lines / our_s
                print(
                    f"{label:<14}{base_rate:>14,.0f}{our_rate:>14,.0f}{our_rate / base_rate:>8.2f}"
                )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
