"""Claim: a CNN learns more from the graph's pseudo-labels than the graph's own vote gives.

The few-label study's ``poisson_pseudo_cnn``: Poisson learning on the study's pretrained
dense-AE codes (standardized) labels the 60 000-image MNIST pool from a class-balanced draw
of labels; a CNN on the pixels is then trained on all 60 000 inferred labels and scored on
the 10 000 test images, which it never saw. Side by side, from the same pseudo-labels: the
graph's kNN vote (``GraphClassifier.predict``), the seed-0 CNN's 5 + 5 filters and the
study's 32 + 64 filters, both trained the study's way (Adam 1e-3, batch 128, 5 epochs).
Draw 0 of the study, accuracy (%).

Run: ``SKAE_DATA=../shared/data python benchmarks/pseudo_label_cnn.py [--n-labels 1000]``
"""

import argparse
import time

import numpy as np
from _common import cached_model, report
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import CNNClassifier
from skae.datasets import fetch_mnist
from skae.semi_supervised import GraphClassifier
from skae.studies._few_labels import PSEUDO_LABEL_CNN, labeled_draw


def main(n_labels):
    X, y = fetch_mnist(return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    ae = cached_model("few_labels/autoencoders", "dense_ae_mnist")
    y_partial = np.full_like(y, -1)
    labeled = labeled_draw(y, n_labels, draw=0)
    y_partial[labeled] = y[labeled]
    graph = make_pipeline(FrozenEstimator(ae), StandardScaler(), GraphClassifier())
    pseudo = graph.fit(X, y_partial)[-1].transduction_
    rows = [
        {
            "model": "Poisson, kNN vote of the pool",
            "pool_labels_correct": round(100 * float(np.mean(pseudo == y)), 2),
            "test_accuracy": round(100 * graph.score(X_test, y_test), 2),
        }
    ]
    for channels in [(5, 5), PSEUDO_LABEL_CNN["channels"]]:
        settings = PSEUDO_LABEL_CNN | {"channels": channels, "max_epochs": 5, "random_state": 0}
        start = time.perf_counter()
        cnn = CNNClassifier(**settings).fit(X, pseudo)
        rows.append(
            {
                "model": f"CNN {channels[0]} + {channels[1]} filters on the pseudo-labels",
                "test_accuracy": round(100 * cnn.score(X_test, y_test), 2),
                "fit_s": round(time.perf_counter() - start, 1),
            }
        )
    report(f"pseudo_label_cnn_{n_labels}", __doc__.splitlines()[0], rows, {"n_labels": n_labels})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-labels", type=int, default=1000)
    main(parser.parse_args().n_labels)
