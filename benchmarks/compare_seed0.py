"""Claim: with correct training, every pretrained pipeline beats the seed-0 paper's numbers.

Reads ``learning_curve.json`` written by ``skae learning-curve`` and prints, at 160 / 480 /
960 / 1600 / 4000 / 8000 labels (those the run has), our mean test accuracy (± its standard
deviation over repeats on the 350 images, and the mean on all 10 000) next to the
paper's reported one (at 160 / 960 / 8000; mean of 3 runs on 350 test images). Writes the
table as ``comparison.json`` and ``comparison.rst`` (included by the docs) beside the input.

Run: ``python benchmarks/compare_seed0.py benchmarks/results/quick``
"""

import argparse
import json
from pathlib import Path

from _common import rst_table

from skae.studies import summarize
from skae.studies._profiles import PAPER_ACCURACY

SIZES = (160, 480, 960, 1600, 4000, 8000)


def comparison_rows(rows):
    """One row per pipeline: ours (350 / 10 000 test images) and the paper's, per size."""
    ours = summarize(rows)
    full = summarize(rows, "full_test_accuracy")
    table = []
    for name in ours:
        row = {"pipeline": name}
        for size in SIZES:
            if size in ours[name]:
                paper = PAPER_ACCURACY.get(name, {}).get(size)
                row[str(size)] = {
                    "ours_350": round(100 * ours[name][size][0], 1),
                    "std_350": round(100 * ours[name][size][1], 1),
                    "repeats": ours[name][size][2],
                    "ours_10k": round(100 * full[name][size][0], 1),
                    "paper": paper,
                }
        table.append(row)
    return table


def _cell(value):
    if value is None:
        return ""
    paper = "" if value["paper"] is None else f" ({value['paper']})"
    spread = f" ± {value['std_350']}" if value["repeats"] > 1 else ""
    return f"{value['ours_350']}{spread} / {value['ours_10k']}{paper}"


def to_rst(table):
    sizes = [s for s in map(str, SIZES) if any(s in row for row in table)]
    header = ["pipeline", *sizes]
    body = [[row["pipeline"], *(_cell(row.get(s)) for s in sizes)] for row in table]
    return rst_table(header, body)


def main(folder):
    folder = Path(folder)
    table = comparison_rows(json.loads((folder / "learning_curve.json").read_text()))
    rst = to_rst(table)
    print(__doc__.split("\n")[0])
    print("cells: accuracy % on 350 test images (± std over repeats) / on 10 000 (paper's)\n")
    print(rst)
    (folder / "comparison.json").write_text(json.dumps(table, indent=1))
    (folder / "comparison.rst").write_text(rst)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="output folder of `skae learning-curve`")
    main(parser.parse_args().folder)
