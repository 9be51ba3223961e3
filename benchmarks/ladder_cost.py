"""Claim: what one ladder-network fit costs on MNIST, and what 10 minutes of one core buy.

* ``epoch``: seconds per epoch of ``LadderClassifier.fit`` on the 60 000 MNIST training
  images at batch 100 (+ 100 labeled: the paper's), one thread, for the fully connected
  ladder (784-1000-500-250-250-250-10, a denoising cost at every layer) and Conv-Small as a
  Gamma-model, in float32 and bfloat16. A step costs the same whatever the pool size, so a
  variant too slow for a whole epoch is timed over ``--steps`` steps (a pool of 100 x steps
  images holding the same labels) and extrapolated to the 600 steps of an epoch. CPU seconds
  of the process (one thread: the core's time, however busy the machine) and wall seconds.
* ``accuracy``: the fully connected ladder at 100 labels (draw 0 of the few-label study, 10
  per class) trained for as many epochs as ``--budget`` CPU seconds allow at the measured
  float32 epoch cost (learning rate annealed over the last third), scored on the 10 000 test
  images, beside the same network with every denoising weight 0 (the paper's supervised
  baseline, trained as long).

Run: ``SKAE_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/ladder_cost.py
[--part epoch|accuracy|all] [--steps 60] [--budget 600]``
"""

import argparse
import json
import math
import os
import time

import numpy as np
import torch
from _common import RESULTS, report

from skae.datasets import load_dataset
from skae.semi_supervised import LadderClassifier
from skae.studies._data import labeled_draw

NAME = "ladder_cost"
STEPS_PER_EPOCH = 600  # 60 000 images, batch 100
VARIANTS = {"fc": {}, "conv": {"architecture": "conv"}}
CLAIM = (
    "One LadderClassifier fit on MNIST (60 000 images, batch 100 + 100 labeled, one thread): "
    "seconds per epoch of each variant, and the fully connected ladder's test accuracy at 100 "
    "labels after the epochs a CPU budget buys, against its supervised baseline."
)


def mnist_100_labels():
    data = load_dataset("mnist")
    y = np.full_like(data.target, -1)
    labeled = labeled_draw(data.target, 100, draw=0)
    y[labeled] = data.target[labeled]
    return data.data, y, data.data_test, data.target_test


def timed_fit(model, X, y):
    """``model`` fitted on ``X``, ``y``; (CPU seconds, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    model.fit(X, y)
    return time.process_time() - cpu, time.perf_counter() - wall


def epoch_rows(X, y, steps, full_epoch_for):
    """Seconds per epoch of each variant and precision (whole epochs for ``full_epoch_for``)."""
    labeled = np.flatnonzero(y >= 0)
    others = np.setdiff1d(np.arange(len(y)), labeled)[: 100 * steps - len(labeled)]
    few = np.sort(np.concatenate([labeled, others]))  # a pool of ``steps`` batches
    rows = []
    for variant, params in VARIANTS.items():
        for precision in ("float32", "bfloat16"):
            whole = variant in full_epoch_for
            pool = slice(None) if whole else few
            model = LadderClassifier(max_epochs=1, precision=precision, random_state=0, **params)
            cpu, wall = timed_fit(model, X[pool], y[pool])
            measured = model.net_.train_batches_
            scale = STEPS_PER_EPOCH / measured
            rows.append(
                {
                    "part": "epoch",
                    "variant": variant,
                    "precision": precision,
                    "steps_timed": measured,
                    "cpu_s_per_step": round(cpu / measured, 4),
                    "cpu_s_per_epoch": round(cpu * scale, 1),
                    "wall_s_per_epoch": round(wall * scale, 1),
                    "load": round(os.getloadavg()[0], 1),
                }
            )
            print(rows[-1], flush=True)
    return rows


def accuracy_rows(X, y, X_test, y_test, epochs, curves):
    """The fc ladder and its supervised baseline after ``epochs`` epochs, float32; their
    training losses per epoch go to ``curves``."""
    rows = []
    for name, costs in [("ladder", None), ("supervised baseline", (0,) * 7)]:
        model = LadderClassifier(denoising_costs=costs, max_epochs=epochs, random_state=0)
        cpu, wall = timed_fit(model, X, y)
        rows.append(
            {
                "part": "accuracy",
                "variant": "fc",
                "model": name,
                "epochs": epochs,
                "test_accuracy": round(100 * model.score(X_test, y_test), 2),
                "cpu_s": round(cpu, 1),
                "wall_s": round(wall, 1),
                "load": round(os.getloadavg()[0], 1),
            }
        )
        curves[name] = [round(loss, 4) for loss in model.loss_curve_]
        print(rows[-1], flush=True)
    return rows


def previous():
    """The rows and loss curves of the last run (a part run alone keeps the other's)."""
    path = RESULTS / f"{NAME}.json"
    record = json.loads(path.read_text()) if path.exists() else {}
    return record.get("rows", []), record.get("loss_curves", {})


def main(part, steps, budget, full_epoch_for):
    torch.set_num_threads(1)
    X, y, X_test, y_test = mnist_100_labels()
    rows, curves = previous()
    rows = [row for row in rows if part != "all" and row["part"] != part]
    curves = {} if part in ("accuracy", "all") else curves
    if part in ("epoch", "all"):
        rows += epoch_rows(X, y, steps, full_epoch_for)
    if part in ("accuracy", "all"):
        fc = [r for r in rows if r["part"] == "epoch" and r["variant"] == "fc"]
        epoch_cpu = next(r["cpu_s_per_epoch"] for r in fc if r["precision"] == "float32")
        epochs = max(1, math.floor(budget / epoch_cpu))
        rows += accuracy_rows(X, y, X_test, y_test, epochs, curves)
    extra = {"budget_cpu_s": budget, "steps": steps, "loss_curves": curves}
    report(NAME, CLAIM, rows, extra=extra)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["epoch", "accuracy", "all"], default="all")
    parser.add_argument("--steps", type=int, default=60, help="steps timed when not a whole epoch")
    parser.add_argument("--budget", type=float, default=600.0, help="CPU seconds for accuracy")
    parser.add_argument(
        "--full-epoch", nargs="*", default=["fc"], help="variants timed over a whole epoch"
    )
    args = parser.parse_args()
    main(args.part, args.steps, args.budget, set(args.full_epoch))
