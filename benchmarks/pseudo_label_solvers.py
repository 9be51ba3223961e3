"""Claim: the random-walk Poisson solver lifts the two-round pseudo-label CNN on FashionMNIST.

``benchmarks/poisson_solvers.py`` found Poisson learning's random-walk iteration (Calder et
al.'s Algorithm 1) 3-4.5 points better than the converged solution on the few-label study's
FashionMNIST codes. Its labels feed the study's best MNIST method,
``poisson_pseudo_cnn_relabeled``: Poisson learning on the standardized codes labels the pool,
a 32/64-filter CNN learns those labels, Poisson learning over that CNN's features (PCA-50)
relabels the pool and a fresh CNN learns the new labels. Here both graphs use ``--solver``
(the study's cells use the converged one), on the study's draws, scored on the 10 000 test
images (inductive). Each finished fit is appended to ``results/pseudo_label_solvers.json``
(a rerun skips it).

Run: ``SKAE_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/pseudo_label_solvers.py
[--dataset fashion] [--n-labels 100] [--draws 0 1] [--solver random_walk]``
"""

import argparse
import json
import time

import numpy as np
from _common import RESULTS, cached_model, machine
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import CNNClassifier
from skae.semi_supervised import GraphClassifier, PseudoLabelClassifier
from skae.studies import study_data
from skae.studies._few_labels import PSEUDO_LABEL_CNN


def model(ae, solver, seed, image_shape):
    labeler = make_pipeline(FrozenEstimator(ae), StandardScaler(), GraphClassifier(solver=solver))
    relabeler = make_pipeline(PCA(50, random_state=seed), GraphClassifier(solver=solver))
    cnn = CNNClassifier(
        image_shape=image_shape, **PSEUDO_LABEL_CNN, max_epochs=5, random_state=seed
    )
    return PseudoLabelClassifier(labeler, cnn, relabeler=relabeler)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion")
    parser.add_argument("--n-labels", type=int, default=100)
    parser.add_argument("--draws", type=int, nargs="+", default=[0])
    parser.add_argument("--solver", default="random_walk")
    args = parser.parse_args()
    path = RESULTS / "pseudo_label_solvers.json"
    record = json.loads(path.read_text()) if path.exists() else {"claim": __doc__.splitlines()[0]}
    rows = record.setdefault("rows", [])
    data = study_data(args.dataset)
    ae = cached_model("few_labels/autoencoders", f"dense_ae_{args.dataset}")
    for draw in args.draws:
        key = {"dataset": args.dataset, "n_labels": args.n_labels, "draw": draw,
               "solver": args.solver}  # fmt: skip
        if any({k: row[k] for k in key} == key for row in rows):
            continue
        labeled = data.labeled_draw(args.n_labels, draw)
        y = np.full(len(data.y), -1)
        y[labeled] = data.y[labeled]
        start = time.perf_counter()
        fitted = model(ae, args.solver, draw, data.image_shape).fit(data.X, y)
        unlabeled = y == -1
        rows.append({
            **key,
            "test_accuracy": float(fitted.score(data.X_test, data.y_test)),
            "final_labels_right": float(np.mean(
                fitted.transduction_[unlabeled] == data.y[unlabeled]
            )),
            "fit_s": time.perf_counter() - start,
        })  # fmt: skip
        record["machine"] = machine()
        path.write_text(json.dumps(record, indent=1))
        print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
