"""Claim: the batched seed-0 paper profile gives the accuracies of the sequential one.

Reads the committed sequential run (``results/paper``) and the batched run
(``results/paper-batched``), averages the 10 000-image test accuracy over repeats per
pipeline and train size, and reports per pipeline the mean absolute and the largest
difference (target: mean <= 0.5 point), with the cells' total fit time in each run.
Only (pipeline, size) pairs finished in both runs count.

Run: ``python benchmarks/compare_batched.py`` (after ``skae learning-curve --profile paper
--out benchmarks/results/paper-batched``)
"""

import json

import numpy as np
from _common import RESULTS, report, rst_table

from skae.studies import summarize


def load(folder):
    return json.loads((RESULTS / folder / "learning_curve.json").read_text())


def fit_hours(rows):
    hours = {}
    for row in rows:
        hours[row["pipeline"]] = hours.get(row["pipeline"], 0) + row["fit_time"] / 3600
    return hours


def main():
    sequential, batched = load("paper"), load("paper-batched")
    means = [summarize(rows, "full_test_accuracy") for rows in (sequential, batched)]
    hours = [fit_hours(rows) for rows in (sequential, batched)]
    table = []
    for name, by_size in means[1].items():
        sizes = [s for s in by_size if s in means[0].get(name, {})]
        diffs = np.array([100 * (by_size[s][0] - means[0][name][s][0]) for s in sizes])
        table.append(
            {
                "pipeline": name,
                "sizes": len(sizes),
                "mean_abs_diff_points": round(float(np.abs(diffs).mean()), 2),
                "largest_diff_points": round(float(diffs[np.abs(diffs).argmax()]), 2),
                "fit_h_sequential": round(hours[0][name], 3),
                "fit_h_batched": round(hours[1][name], 3),
            }
        )
    report("paper_batched_comparison", __doc__.splitlines()[0], table)
    header = list(table[0])
    (RESULTS / "paper_batched_comparison.rst").write_text(
        rst_table(header, [[row[c] for c in header] for row in table])
    )


if __name__ == "__main__":
    main()
