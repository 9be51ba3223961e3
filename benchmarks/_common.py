"""Helpers shared by the benchmark scripts: interleaved timing, a table, a JSON record."""

import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch

from skae.studies._files import rst_table  # noqa: F401  (the benchmarks' tables, as the studies')

RESULTS = Path(__file__).parent / "results"


def cached_model(folder, name):
    """The one model ``<name>-<key>.joblib`` a study cached in ``RESULTS / folder``."""
    import joblib

    paths = sorted((RESULTS / folder).glob(f"{name}-*.joblib"))
    if len(paths) != 1:
        raise SystemExit(f"expected one cached {name} in {RESULTS / folder}, found {paths}")
    return joblib.load(paths[0])


def machine():
    """What the numbers were measured on."""
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def interleaved(contenders, repeats):
    """Run each contender once per round, ``repeats`` rounds; seconds per contender per round.

    Interleaving spreads the machine's noise over all contenders instead of one.
    """
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def speed_ratios(times):
    """hand-written / skae seconds: of the medians, and of the fastest rounds.

    Rounds on a shared machine are often bimodal (a slow mode about 2x the fast one, for
    every contender alike); the median then depends on how many rounds each contender drew
    in the slow mode, while the fastest round does not (noise only ever adds time).
    """
    skae, hand = times["skae"], times["hand-written"]
    return {
        "ratio": statistics.median(hand) / statistics.median(skae),
        "ratio_fastest": min(hand) / min(skae),
    }


def report(name, claim, rows, extra=None):
    """Print ``rows`` (list of dicts) as a table and write them to ``results/<name>.json``."""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    widths = [max(len(c), *(len(_fmt(r.get(c, "-"))) for r in rows)) for c in columns]
    print(f"\n{claim}\n")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in rows:
        print("  ".join(_fmt(row.get(c, "-")).ljust(w) for c, w in zip(columns, widths)))
    RESULTS.mkdir(exist_ok=True)
    record = {"claim": claim, "machine": machine(), "rows": rows, **(extra or {})}
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=1))
    print(f"\nwrote {RESULTS / f'{name}.json'}")


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)
