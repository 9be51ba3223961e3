"""Claim: how the ladder network's accuracy at 100 labels grows with its epochs.

The few-label study trains ``ladder_fc`` for 10 epochs (``LADDER_EPOCHS``; 97.84 ± 0.11 % over
5 draws) where Rasmus et al. train 150 (98.9 %), at 9-10 minutes of one core per 10 epochs.
This trains the study's ladder (the paper's 784-1000-500-250-250-250-10, its 100-label
denoising costs, Adam 0.002 annealed over the last third) on draw 0 of the study (10 labels
per class, the other 59 900 pool images unlabeled) for each ``--epochs`` value and scores
the 10 000 test images: what a longer budget would buy before spending it on 5 draws.
``--dataset fashion`` does the same on FashionMNIST (study: 75.6 ± 1.2 % after 10 epochs);
``--noise-std`` changes the corruption (the paper's 0.3): a lead of one draw's test
accuracy, not a tuned value (the study has no validation labels to tune it on).
Each finished fit is appended to ``results/ladder_epochs.json`` (a rerun skips it; rows
without a ``dataset`` are MNIST's, without a ``noise_std`` the paper's 0.3).

Run: ``SKAE_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/ladder_epochs.py
--epochs 30 [--dataset fashion]``
"""

import argparse
import json
import time

import numpy as np
from _common import RESULTS, machine

from skae.semi_supervised import LadderClassifier
from skae.studies import study_data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[30])
    parser.add_argument("--draw", type=int, default=0)
    parser.add_argument("--n-labels", type=int, default=100)
    parser.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist")
    parser.add_argument("--noise-std", type=float, default=0.3)
    args = parser.parse_args()
    path = RESULTS / "ladder_epochs.json"
    record = json.loads(path.read_text()) if path.exists() else {"claim": __doc__.splitlines()[0]}
    rows = record.setdefault("rows", [])
    data = study_data(args.dataset)
    n_labels = args.n_labels
    labeled = data.labeled_draw(n_labels, args.draw)
    y = np.full(len(data.y), -1)
    y[labeled] = data.y[labeled]
    older = {"dataset": "mnist", "noise_std": 0.3}  # rows logged before these fields
    for epochs in args.epochs:
        key = {"dataset": args.dataset, "epochs": epochs, "draw": args.draw, "n_labels": n_labels}
        key["noise_std"] = args.noise_std
        if any({k: (older | row)[k] for k in key} == key for row in rows):
            continue
        start, cpu = time.perf_counter(), time.process_time()
        model = LadderClassifier(
            max_epochs=epochs, noise_std=args.noise_std, random_state=args.draw
        ).fit(data.X, y)
        row = {
            **key,
            "test_accuracy": float(model.score(data.X_test, data.y_test)),
            "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - start,
        }
        rows.append(row)
        record["machine"] = machine()
        path.write_text(json.dumps(record, indent=1))
        print(row, flush=True)


if __name__ == "__main__":
    main()
