"""Claim: which codes have class-pure neighbourhoods (what graph and kNN methods need)?

Leave-one-out 1-nearest-neighbour accuracy of each representation on 10 000 training
images of MNIST or FashionMNIST (labels used only to evaluate): the share of images whose
nearest other image, in the representation's Euclidean space, has the same class. Graph
propagation (Poisson, Laplace, label spreading) can only be as good as these
neighbourhoods. ``poisson_100`` measures that directly: Poisson learning's (transductive)
accuracy on the same 10 000 images, standardized codes, 100 labels (10 per class), mean of
3 draws.

Representations: raw pixels, their 50 principal components, the seed-0 autoencoders of the
committed paper run (MNIST: AE, sparse AE, untrained random encoder; FashionMNIST: sparse
AE; 100 epochs), the few-label study's dense AE (33 features, 30 epochs), and seed-1
dense-latent autoencoders trained here on the 60 000 training images without labels, each
for ``--epochs`` epochs with seed-1's best parameters (cached in
``results/code_neighbourhoods``): MNIST latent sizes 10, 16 and 33, a denoising one
(Gaussian noise) and the VAE mean (33); FashionMNIST latent sizes 16, 33, 64 and 128, the
denoising one and the VAE mean at Adam's default rate (1e-3). ``code_std`` (the mean over
features of the codes' standard deviation) flags a collapsed code: at seed-1's rate
(5.4e-3) the MNIST VAE's posterior collapses (its loss stays at ~52.9, every image gets the
same mean), so its 1-NN accuracy is that of ties, not of a representation.

Run: ``SKAE_DATA=../shared/data python benchmarks/code_neighbourhoods.py [--dataset fashion]
[--epochs 10]`` (writes ``results/code_neighbourhoods[_fashion].json``; the MNIST record
predates the ``poisson_100`` column)
"""

import argparse

import numpy as np
from _common import RESULTS, cached_model, report
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from skae import ConvAETransformer, VAETransformer
from skae.datasets import fetch_fashion_mnist, fetch_mnist
from skae.semi_supervised import GraphClassifier
from skae.studies import SEED1_BEST, fit_cached

N_EVAL = 10_000
N_DRAWS = 3


def loo_1nn_accuracy(Z, y):
    """Share of samples whose nearest other sample has their label."""
    _, neighbors = NearestNeighbors(n_neighbors=2).fit(Z).kneighbors(Z)
    return float(np.mean(y[neighbors[:, 1]] == y))


def poisson_accuracy(Z, y, labels_per_class=10):
    """Poisson learning's transductive accuracy on the unlabeled samples, mean of draws."""
    Z = StandardScaler().fit_transform(Z)
    accuracies = []
    for draw in range(N_DRAWS):
        rng = np.random.default_rng(draw)
        labeled = np.concatenate(
            [rng.choice(np.flatnonzero(y == c), labels_per_class, replace=False) for c in range(10)]
        )
        partial = np.full_like(y, -1)
        partial[labeled] = y[labeled]
        predicted = GraphClassifier().fit(Z, partial).transduction_
        unlabeled = partial == -1
        accuracies.append(np.mean(predicted[unlabeled] == y[unlabeled]))
    return float(np.mean(accuracies))


def dense_autoencoders(dataset, epochs):
    """The seed-1 network in the variants whose codes are compared."""
    settings = {k: SEED1_BEST[k] for k in ("lr", "batch_size")}
    settings |= {"max_epochs": epochs, "random_state": 0}
    sizes, vae_lr = (
        ((10, 16, 33), settings["lr"]) if dataset == "mnist" else ((16, 33, 64, 128), 1e-3)
    )
    return {
        **{f"dense AE, {d}": ConvAETransformer(latent_dim=d, **settings) for d in sizes},
        "denoising dense AE, 33": ConvAETransformer(latent_dim=33, noise="gaussian", **settings),
        "VAE mean, 33": VAETransformer(latent_dim=33, **settings | {"lr": vae_lr}),
    }


SEED0_AUTOENCODERS = {
    "mnist": ("ae_mnist", "sparse_ae_mnist", "random_encoder"),
    "fashion": ("sparse_ae_fashion",),
}


def main(dataset, epochs):
    fetch = {"mnist": fetch_mnist, "fashion": fetch_fashion_mnist}[dataset]
    X, y = fetch(return_X_y=True)
    X_eval, y_eval = X[:N_EVAL], y[:N_EVAL]
    encoders = {
        "pixels": None,
        "pixels, PCA 50": PCA(50, random_state=0).fit(X),
        **{
            f"seed-0 {name}": cached_model("paper/autoencoders", name)
            for name in SEED0_AUTOENCODERS[dataset]
        },
        "few-label study's dense AE, 33": cached_model(
            "few_labels/autoencoders", f"dense_ae_{dataset}"
        ),
    }
    data = {"dataset": dataset, "subset": "train", "n_images": len(X)}
    folder = RESULTS / "code_neighbourhoods"
    for name, ae in dense_autoencoders(dataset, epochs).items():
        slug = name.replace(" ", "_").replace(",", "")
        encoders[f"{name} ({epochs} epochs)"] = fit_cached(
            ae, X, name=f"{slug}_{dataset}", data=data, folder=folder, verbose=1
        )
    rows = []
    for name, encoder in encoders.items():
        Z = X_eval if encoder is None else encoder.transform(X_eval)
        rows.append(
            {
                "representation": name,
                "features": Z.shape[1],
                "epochs": getattr(encoder, "n_epochs_", "-"),
                "code_std": round(float(Z.std(axis=0).mean()), 4),  # ~0: a collapsed code
                "loo_1nn_accuracy": round(loo_1nn_accuracy(Z, y_eval), 4),
                "poisson_100": round(poisson_accuracy(Z, y_eval), 4),
            }
        )
        print(rows[-1], flush=True)
    name = "code_neighbourhoods" + ("" if dataset == "mnist" else f"_{dataset}")
    report(name, __doc__.splitlines()[0], rows, {"dataset": dataset, "n_eval": N_EVAL})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of the dense AEs")
    args = parser.parse_args()
    main(args.dataset, args.epochs)
