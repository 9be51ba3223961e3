"""Claim: on FashionMNIST codes, Poisson learning's paper iteration beats the solved equation.

Issue #26: in the few-label study, Poisson learning on the dense autoencoder's FashionMNIST
codes stays at 72-78 % from 100 to 3 000 labels while Laplace learning climbs to 84 %. Its
conjugate-gradient solution (graphlearning's default; ``GraphClassifier``'s until this
benchmark made the random walk its default) gives some
classes far fewer images than others (the smallest predicted class: 1 % of the pool at 100
labels, where each class is 10 %); Calder et al.'s Algorithm 1, the random-walk iteration
stopped once the walk from the labeled nodes has mixed (``solver="random_walk"``), keeps the
class sizes more even.

Each cell is the study's inductive graph method: ``StandardScaler`` + ``GraphClassifier``
on the 33-feature codes of the few-label paper run's cached dense autoencoder (``--codes
pca50``: the pixels' 50 principal components), the same seeded class-balanced label draws,
scored on the pool's unlabeled images (the graph's own labels) and on the 10 000 test images
(a vote of their nearest pool images). ``min class %``: the share of the pool given to the
smallest predicted class. The last variant is the graph of the committed study cells, which
were computed before ``GraphClassifier`` took 10 neighbours besides the node itself
(graphlearning's ``weightmatrix.knn(X, 10)`` counts the node: 9 neighbours, 9 voters).

Run: ``SKAE_DATA=../shared/data python benchmarks/poisson_solvers.py [--draws 5]``; writes
``results/poisson_solvers.json``.
"""

import argparse
import statistics

import numpy as np
from _common import cached_model, report
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from skae.semi_supervised import GraphClassifier
from skae.studies import study_data

VARIANTS = {
    "Poisson, conjugate gradient": {"method": "poisson", "solver": "conjugate_gradient"},
    "Poisson, random walk": {"method": "poisson", "solver": "random_walk"},
    "Laplace": {"method": "laplace"},
    # the committed study cells' graph: graphlearning's knn(X, 10) counts the node itself
    "Poisson, conjugate gradient, 9 neighbours": {
        "method": "poisson",
        "solver": "conjugate_gradient",
        "n_neighbors": 9,
    },
}


def codes(dataset, kind):
    """Standardized codes of the pool and of the test images."""
    data = study_data(dataset)
    if kind == "dense_ae":
        encoder = cached_model("few_labels/autoencoders", f"dense_ae_{dataset}")
    else:
        encoder = PCA(50, random_state=0).fit(data.X)
    scaler = StandardScaler().fit(encoder.transform(data.X))
    return (
        data,
        scaler.transform(encoder.transform(data.X)),
        scaler.transform(encoder.transform(data.X_test)),
    )


def cell(data, Z, Z_test, n_labels, draw, params):
    labeled = data.labeled_draw(n_labels, draw)
    y = np.full(len(Z), -1)
    y[labeled] = data.y[labeled]
    model = GraphClassifier(**params).fit(Z, y)
    unlabeled = y == -1
    shares = np.bincount(model.transduction_[unlabeled], minlength=10) / unlabeled.sum()
    return {
        "pool": float(np.mean(model.transduction_[unlabeled] == data.y[unlabeled])),
        "test": float(model.score(Z_test, data.y_test)),
        "min_share": float(shares.min()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--datasets", nargs="+", default=["fashion", "mnist"])
    parser.add_argument("--n-labels", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--codes", choices=["dense_ae", "pca50"], default="dense_ae")
    args = parser.parse_args()
    rows = []
    for dataset in args.datasets:
        data, Z, Z_test = codes(dataset, args.codes)
        for n_labels in args.n_labels:
            for name, params in VARIANTS.items():
                runs = [cell(data, Z, Z_test, n_labels, d, params) for d in range(args.draws)]
                mean = {k: statistics.mean(r[k] for r in runs) for k in runs[0]}
                rows.append({
                    "dataset": dataset, "codes": args.codes, "labels": n_labels, "method": name,
                    "pool %": round(100 * mean["pool"], 2),
                    "test %": round(100 * mean["test"], 2),
                    "test std": round(100 * statistics.pstdev(r["test"] for r in runs), 2),
                    "min class %": round(100 * mean["min_share"], 2),
                    "draws": args.draws,
                })  # fmt: skip
                print(rows[-1], flush=True)
    report(
        f"poisson_solvers{'' if args.codes == 'dense_ae' else '_' + args.codes}",
        "Poisson learning's two solvers and Laplace learning, the study's inductive cells",
        rows,
    )


if __name__ == "__main__":
    main()
