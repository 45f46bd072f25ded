"""The one computation of usage figures: totals, peaks, 95th percentiles, daily figures.

The workbook summary, the usage-query actions, the console and the PDF all call this package, so
they never disagree. Values are integers in the stored unit (bytes, requests) until shown.

Public API (epoch seconds everywhere; ``Int64Array`` is a 1-D ``numpy.int64`` array):

``maths``
    ``bandwidth_bps(bytes) -> float`` (one 5-minute slot), ``average_bps(bytes, slots)``,
    ``dropped_slots(n) -> floor(n/20)``, ``percentile95(values) -> int``,
    ``percentile95_at(values) -> (value, index)``, ``peak_at(values) -> (value, index)``
    (earliest slot wins a tie).
``calendar``
    ``bucket_edges(start, end, interval, zone) -> Int64Array`` (bucket starts, then the end;
    86400 = calendar days of ``zone``), ``cycle_edges(start, end, "day"|"month", zone)``,
    ``align_down/align_up(epoch, interval, zone)``, ``day_start``, ``month_start``,
    ``next_day``, ``next_month``, ``cycle_start``, ``slot_count(start, end)``.
``usage``
    Quantities ``BPS``, ``TRAFFIC``, ``requests(columns)`` (of ``REQUEST_COLUMNS``:
    static_https, dynamic_http, dynamic_https); region sets ``ALL_REGIONS``, ``MAINLAND``,
    ``OVERSEAS`` (region ids of ``domain.regions.REGIONS``).

    ``read_slots(source, domain_ids, start, end, quantity, *, per_domain=False) -> UsageSlots``
    reads the 5-minute values, merged per region (and per domain and region if asked);
    ``UsageSlots.load(regions) -> Int64Array`` and ``.domain_load(name, regions)``.

    ``data_watermark(source, domain_ids, now) -> int | None``: the end of the newest stored slot.

    ``usage_figures(slots, *, end, interval, zone, regions=ALL_REGIONS, watermark)
    -> UsageFigures`` with ``series: Buckets`` (``starts``, ``values`` = bucket peak for bps or
    sum, ``peak_times``, ``totals``; zero-filled, cut at the watermark), ``overall: Stat | None``
    and per-region / per-domain ``Stat`` (``slots, total, peak, peak_time, p95, p95_time``).

    ``cycle_percentiles(slots, *, cycle, zone, regions, watermark)
    -> tuple[CyclePercentile, ...]`` (``start, end, slots, p95, p95_time`` per day or month).

    ``largest(fig.domains, 20, by="total"|"peak"|"p95")``: the top entries, ties by name.

    ``stat(load, start) -> Stat | None`` and ``buckets(load, start, edges, quantity)`` for a
    series read elsewhere. ``Quantity.shown(value)`` gives bit/s (float) for bps.
"""
