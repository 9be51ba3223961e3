"""Claim: a graph over a first CNN's features labels the pool better than the codes did.

The few-label study's ``poisson_pseudo_cnn``: Poisson learning on the study's pretrained
dense-AE codes (standardized) labels the 60 000-image MNIST pool from a class-balanced draw
of labels; a CNN on the pixels is then trained on all 60 000 inferred labels and scored on
the 10 000 test images, which it never saw. Side by side, from the same pseudo-labels: the
graph's kNN vote (``GraphClassifier.predict``), the seed-0 CNN's 5 + 5 filters and the
study's 32 + 64 filters, both trained the study's way (Adam 1e-3, batch 128, 5 epochs); the
wide CNN trained on the graph's surest labels only (``PseudoLabelClassifier(keep=...)``: of
each inferred class, the share with the widest margin between its two best Poisson scores);
and two second rounds, a fresh CNN trained on the first one's predictions for the pool, or
on Poisson's labels over the first one's features (the study's
``poisson_pseudo_cnn_relabeled``, ``PseudoLabelClassifier(relabeler=...)``). Draw 0 of the
study, accuracy (%). ``--solver``: Poisson learning's (the recorded results: the converged
``conjugate_gradient``, the study's until revision 1 of its graph methods).

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
from skae.semi_supervised import GraphClassifier, _surest
from skae.studies._data import labeled_draw
from skae.studies._few_labels import PSEUDO_LABEL_CNN, pseudo_label_relabeler


def main(n_labels, solver):
    X, y = fetch_mnist(return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    ae = cached_model("few_labels/autoencoders", "dense_ae_mnist")
    y_partial = np.full_like(y, -1)
    drawn = labeled_draw(y, n_labels, draw=0)
    y_partial[drawn] = y[drawn]
    graph = make_pipeline(FrozenEstimator(ae), StandardScaler(), GraphClassifier(solver=solver))
    is_labeled = y_partial != -1  # they keep their labels, as in PseudoLabelClassifier
    pseudo = np.where(is_labeled, y, graph.fit(X, y_partial)[-1].transduction_)
    rows = [
        {
            "model": "Poisson, kNN vote of the pool",
            "pool_labels_correct": round(100 * float(np.mean(pseudo == y)), 2),
            "test_accuracy": round(100 * graph.score(X_test, y_test), 2),
        }
    ]
    everything = np.ones_like(is_labeled)

    def cnn_row(name, labels, kept=everything, **settings):
        start = time.perf_counter()
        cnn = CNNClassifier(**PSEUDO_LABEL_CNN | {"max_epochs": 5, "random_state": 0} | settings)
        cnn.fit(X[kept], labels[kept])
        rows.append(
            {
                "model": name,
                "pool_labels_correct": round(100 * float(np.mean(labels[kept] == y[kept])), 2),
                "test_accuracy": round(100 * cnn.score(X_test, y_test), 2),
                "fit_s": round(time.perf_counter() - start, 1),
            }
        )
        return cnn

    cnn_row("CNN 5 + 5 filters on the pseudo-labels", pseudo, channels=(5, 5))
    wide = cnn_row("CNN 32 + 64 filters on the pseudo-labels", pseudo)
    for keep in (0.9, 0.8):
        kept = is_labeled | _surest(graph[-1], pseudo, keep)
        cnn_row(f"CNN 32 + 64 on the surest {keep:.0%} of each class", pseudo, kept)
    own = np.where(is_labeled, y, wide.predict(X))  # round two from the CNN's own labels
    cnn_row("CNN 32 + 64, second round on the first CNN's predictions", own)
    relabeler = pseudo_label_relabeler(seed=0).set_params(graphclassifier__solver=solver)
    relabeler.fit(wide.transform(X), y_partial)
    relabeled = relabeler[-1].transduction_
    relabeled = np.where(is_labeled, y, relabeled)
    cnn_row("CNN 32 + 64, second round: Poisson over the first CNN's features", relabeled)
    report(f"pseudo_label_cnn_{n_labels}", __doc__.splitlines()[0], rows, {"n_labels": n_labels})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-labels", type=int, default=1000)
    parser.add_argument("--solver", default="conjugate_gradient")
    args = parser.parse_args()
    main(args.n_labels, args.solver)
