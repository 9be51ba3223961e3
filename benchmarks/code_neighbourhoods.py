"""Claim: which codes have class-pure neighbourhoods (what graph and kNN methods need)?

Leave-one-out 1-nearest-neighbour accuracy of each representation on 10 000 MNIST training
images (labels used only to evaluate): the share of images whose nearest other image, in
the representation's Euclidean space, has the same digit. Graph propagation (Poisson,
Laplace, label spreading) can only be as good as these neighbourhoods.

Representations: raw pixels, their 50 principal components, the seed-0 autoencoders of the
committed paper run (AE, sparse AE, untrained random encoder; 100 epochs), the few-label
study's dense AE (33 features, 30 epochs), and seed-1
dense-latent autoencoders trained here on the 60 000 training images without labels: latent
sizes 10, 16 and 33, a denoising one (Gaussian noise) and the VAE mean (33), each for
``--epochs`` epochs with seed-1's best parameters (cached in ``results/code_neighbourhoods``).
``code_std`` (the mean over features of the codes' standard deviation) flags a collapsed
code: with these parameters the VAE's posterior collapses (its loss stays at ~52.9, every
image gets the same mean), so its 1-NN accuracy is that of ties, not of a representation.

Run: ``SKAE_DATA=../shared/data python benchmarks/code_neighbourhoods.py [--epochs 10]``
"""

import argparse

import numpy as np
from _common import RESULTS, cached_model, report
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from skae import ConvAETransformer, VAETransformer
from skae.datasets import fetch_mnist
from skae.studies import SEED1_BEST, fit_cached

N_EVAL = 10_000


def loo_1nn_accuracy(Z, y):
    """Share of samples whose nearest other sample has their label."""
    _, neighbors = NearestNeighbors(n_neighbors=2).fit(Z).kneighbors(Z)
    return float(np.mean(y[neighbors[:, 1]] == y))


def dense_autoencoders(epochs):
    """The seed-1 network in the variants whose codes are compared."""
    settings = {k: SEED1_BEST[k] for k in ("lr", "batch_size")}
    settings |= {"max_epochs": epochs, "random_state": 0}
    return {
        "dense AE, 10": ConvAETransformer(latent_dim=10, **settings),
        "dense AE, 16": ConvAETransformer(latent_dim=16, **settings),
        "dense AE, 33": ConvAETransformer(latent_dim=33, **settings),
        "denoising dense AE, 33": ConvAETransformer(latent_dim=33, noise="gaussian", **settings),
        "VAE mean, 33": VAETransformer(latent_dim=33, **settings),
    }


def main(epochs):
    X, y = fetch_mnist(return_X_y=True)
    X_eval, y_eval = X[:N_EVAL], y[:N_EVAL]
    encoders = {
        "pixels": None,
        "pixels, PCA 50": PCA(50, random_state=0).fit(X),
        **{
            f"seed-0 {name}": cached_model("paper/autoencoders", name)
            for name in ("ae_mnist", "sparse_ae_mnist", "random_encoder")
        },
        "few-label study's dense AE, 33": cached_model("few_labels/autoencoders", "dense_ae_mnist"),
    }
    data = {"dataset": "mnist", "subset": "train", "n_images": len(X)}
    folder = RESULTS / "code_neighbourhoods"
    for name, ae in dense_autoencoders(epochs).items():
        slug = name.replace(" ", "_").replace(",", "")
        encoders[f"{name} ({epochs} epochs)"] = fit_cached(
            ae, X, name=slug, data=data, folder=folder, verbose=1
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
            }
        )
        print(rows[-1], flush=True)
    report("code_neighbourhoods", __doc__.splitlines()[0], rows, {"n_eval": N_EVAL})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs of the dense AEs")
    main(parser.parse_args().epochs)
