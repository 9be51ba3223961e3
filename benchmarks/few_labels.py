"""Claim: which frozen representation classifies best with 100 / 300 / 1 000 labels?

Encoders, all pretrained without labels on the 60 000 MNIST training images: the seed-1
dense-latent conv AE (33-d code), the seed-1 VAE (its mean, 33-d), the seed-0 sparse conv AE
(7x7x4 = 196-d code), and raw pixels as the baseline. Heads: skae's ``SoftmaxClassifier``
(linear, Adam, 100 epochs) and sklearn's RBF ``SVC`` on standardised codes, the inductive
cousin of the transductive SVM of Kingma et al. (2014), whose M1 + TSVM reached 88.2 % with
100 labels and 95.8 % with 1 000 (their published anchor for "generative encoder + shallow
classifier"). Labels are class-balanced seeded draws; accuracy is on all 10 000 test images.

Needs the cached models of ``skae seed1 --profile paper --out benchmarks/results/seed1-paper``
and ``skae learning-curve --profile paper --out benchmarks/results/paper``.

Run: ``SKAE_DATA=../shared/data python benchmarks/few_labels.py [--repeats 5]``
"""

import argparse
import json

import joblib
import matplotlib
import numpy as np
from _common import RESULTS, cached_model, report, rst_table
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from skae import SoftmaxClassifier
from skae.datasets import fetch_mnist
from skae.plots import plot_learning_curves

matplotlib.use("Agg")
SIZES = (100, 300, 1000)
KINGMA_M1_TSVM = {100: 0.882, 1000: 0.958}
ENCODERS = {
    "dense AE (seed 1)": ("seed1-paper/models", "ae"),
    "VAE mean (seed 1)": ("seed1-paper/models", "vae"),
    "sparse conv AE (seed 0)": ("paper/autoencoders", "sparse_ae_mnist"),
    "raw pixels": None,
}
HEADS = {
    "softmax": lambda seed: SoftmaxClassifier(random_state=seed),
    "SVC": lambda seed: make_pipeline(StandardScaler(), SVC()),
}


def encoder(path):
    if path is None:
        return FunctionTransformer()
    return FrozenEstimator(cached_model(*path))


def cell(name, path, head, size, repeat, X, y, X_test, y_test):
    train, _ = train_test_split(np.arange(len(X)), train_size=size, stratify=y, random_state=repeat)
    model = make_pipeline(encoder(path), HEADS[head](repeat)).fit(X[train], y[train])
    return {
        "pipeline": f"{name} + {head}",
        "encoder": name,
        "head": head,
        "train_size": size,
        "repeat": repeat,
        "full_test_accuracy": float(model.score(X_test, y_test)),
    }


def main(repeats, n_jobs):
    X, y = fetch_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    cells = joblib.Parallel(n_jobs=n_jobs, verbose=5)(
        joblib.delayed(cell)(name, path, head, size, repeat, X, y, X_test, y_test)
        for name, path in ENCODERS.items()
        for head in HEADS
        for size in SIZES
        for repeat in range(repeats)
    )
    table = []
    for pipeline in dict.fromkeys(c["pipeline"] for c in cells):
        row = {"pipeline": pipeline}
        for size in SIZES:
            scores = [
                c["full_test_accuracy"]
                for c in cells
                if c["pipeline"] == pipeline and c["train_size"] == size
            ]
            row[f"{size} labels %"] = f"{100 * np.mean(scores):.1f} ± {100 * np.std(scores):.1f}"
        table.append(row)
    table.append(
        {
            "pipeline": "Kingma et al. 2014, M1 + TSVM (published)",
            **{
                f"{s} labels %": f"{100 * KINGMA_M1_TSVM[s]:.1f}" if s in KINGMA_M1_TSVM else "-"
                for s in SIZES
            },
        }
    )
    report("few_labels", __doc__.split("\n")[0], table, {"repeats": repeats, "cells": cells})
    (RESULTS / "few_labels.rst").write_text(
        rst_table(list(table[0]), [list(row.values()) for row in table])
    )
    fig = plot_learning_curves(cells, metric="full_test_accuracy", show_paper=False)
    ax = fig.axes[0]
    ax.plot(
        list(KINGMA_M1_TSVM),
        [100 * a for a in KINGMA_M1_TSVM.values()],
        "k*",
        markersize=12,
        label="Kingma et al. M1 + TSVM",
    )
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"Frozen encoders with few labels (10 000 test images, {repeats} draws)")
    fig.savefig(RESULTS / "few_labels.png", dpi=110)
    print(f"wrote {RESULTS / 'few_labels.png'}")
    return json.dumps(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="label draws per size")
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args()
    main(args.repeats, args.n_jobs)
