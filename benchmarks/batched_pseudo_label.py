"""Claim (tested, issue #24): batching the few-label study's pseudo-label CNNs would not pay.

Each draw of ``poisson_pseudo_cnn`` trains a 32/64-filter CNN (Adam, batch 128) on all
60 000 pool images with its own labels. ``K`` such CNNs (different seeds, ``--images`` images,
one epoch) are trained one after another and as one ``torch.func`` computation
(``skae._batched.fit_batched``, the engine of ``skae.model_selection.learning_curve``), in
float32 and bfloat16, rounds interleaved; ratio = lone seconds / batched seconds. Batching
removes per-step overhead, which matters for small models (the seed-0 CNN: 1.9x at K = 50,
``bench_batched.py``); these steps are mostly arithmetic.

Run: ``SKAE_DATA=../shared/data python benchmarks/batched_pseudo_label.py [--threads 1]``;
writes ``results/batched_pseudo_label.json``.
"""

import argparse
import statistics

import numpy as np
import torch
from _common import interleaved, report

from skae import CNNClassifier
from skae._batched import fit_batched
from skae.datasets import fetch_mnist
from skae.studies._few_labels import PSEUDO_LABEL_CNN


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    X, y = fetch_mnist(return_X_y=True)
    X, y = X[: args.images], y[: args.images]
    rows = [np.arange(args.images)] * args.models
    result = []
    for precision in ("float32", "bfloat16"):

        def make(seed, precision=precision):
            return CNNClassifier(
                **PSEUDO_LABEL_CNN, max_epochs=1, random_state=seed, precision=precision
            )

        seeds = range(args.models)
        contenders = {
            "lone": lambda: [make(s).fit(X, y) for s in seeds],
            "batched": lambda: fit_batched([make(s) for s in seeds], X, y, rows),
        }
        contenders["lone"](), contenders["batched"]()  # warm-up
        times = interleaved(contenders, args.repeats)
        result.append({
            "precision": precision, "models": args.models, "images": args.images,
            "threads": args.threads,
            "lone_s": statistics.median(times["lone"]),
            "batched_s": statistics.median(times["batched"]),
            "speedup": statistics.median(times["lone"]) / statistics.median(times["batched"]),
            "speedup_fastest": min(times["lone"]) / min(times["batched"]),
        })  # fmt: skip
        print(result[-1], flush=True)
    report("batched_pseudo_label", __doc__.splitlines()[0], result)


if __name__ == "__main__":
    main()
