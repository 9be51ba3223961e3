"""Claim: skae's batched learning curve of seed-0 CNNs beats scikit-learn's by >= 3x.

30 seed-0 CNNs (10 train sizes from 100 to 1 000 images x 3 shuffle splits, 3 epochs, batch
16, SGD 0.1, dropout 0.2), the same cells three or more ways in one run, rounds interleaved:
``sklearn.model_selection.learning_curve`` (lone fits, one after another), and
``skae.model_selection.learning_curve`` (the fits as one ``torch.func`` computation) in
float32 and in bfloat16. Ratio = sklearn's seconds / the contender's (median of rounds, and
fastest round). The test scores are reported too: the batched float32 models are the lone
ones, so their scores must agree.

Run: ``SKAE_DATA=../shared/data python benchmarks/batched_cnn.py [--repeats 3]``
"""

import argparse
import statistics

import numpy as np
import torch
from _common import interleaved, report
from sklearn.model_selection import ShuffleSplit
from sklearn.model_selection import learning_curve as sklearn_learning_curve

from skae import CNNClassifier
from skae.datasets import fetch_mnist
from skae.model_selection import learning_curve

SIZES = np.linspace(100, 1000, 10).astype(int)


def contenders(X, y, scores):
    cv = ShuffleSplit(n_splits=3, train_size=1000, test_size=1000, random_state=0)

    def run(name, curve, **params):
        def fit():
            cnn = CNNClassifier(max_epochs=3, random_state=0, **params)
            scores[name] = curve(cnn, X, y, train_sizes=SIZES, cv=cv, shuffle=False)[2]

        return fit

    return {
        "sklearn": run("sklearn", sklearn_learning_curve),
        "skae float32": run("skae float32", learning_curve),
        "skae bfloat16": run("skae bfloat16", learning_curve, precision="bfloat16"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X, y = fetch_mnist(return_X_y=True)
    X, y = X[:2000], y[:2000]
    scores = {}
    runs = contenders(X, y, scores)
    times = interleaved(runs, args.repeats)
    base = times["sklearn"]
    rows = [
        {
            "contender": name,
            "threads": torch.get_num_threads(),
            "median_s": statistics.median(t),
            "speedup": statistics.median(base) / statistics.median(t),
            "speedup_fastest": min(base) / min(t),
            "mean_test_accuracy": float(np.mean(scores[name])),
            "max_abs_diff_vs_sklearn": float(np.abs(scores[name] - scores["sklearn"]).max()),
        }
        for name, t in times.items()
    ]
    report("batched_cnn", __doc__.splitlines()[0], rows)


if __name__ == "__main__":
    main()
