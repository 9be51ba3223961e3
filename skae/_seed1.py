"""The seed-1 studies: dense-latent, denoising and variational autoencoders, search, transfer.

:func:`run_seed1` trains each model once on unlabeled MNIST, measures test reconstruction
errors and the transfer-learning accuracy, and writes ``metrics.json``, the search's
``cv_results.json`` and PNG figures. Finished models are cached in ``<out>/models``.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from matplotlib import pyplot as plt
from scipy.stats import loguniform, randint, uniform
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import make_pipeline

from ._autoencoder import ConvAETransformer, VAETransformer
from ._base import raise_if_interrupted
from ._classifiers import SoftmaxClassifier
from .datasets import fetch_mnist
from .noise import NOISE_TYPES, add_noise

# Seed-1 Table 1: the best of 100 Optuna trials; used for every model unless stated otherwise.
SEED1_BEST = {
    "latent_dim": 33,
    "optimizer": "adam",
    "lr": 5.4e-3,
    "batch_size": 128,
    "dropout": 0.012,
}
SEARCH_SPACE = {
    "latent_dim": randint(2, 51),
    "optimizer": ["adam", "sgd"],
    "lr": loguniform(1e-5, 1e-2),
    "batch_size": [64, 128, 256],
    "dropout": uniform(0, 1),
}
SEED1_TARGETS = {"ae_test_mse": 0.0087, "denoising_test_mse": 0.03, "transfer_accuracy": 0.981}


@dataclass(frozen=True)
class Seed1Profile:
    """How much of the seed-1 studies to run."""

    n_train: int  # unlabeled training images for the autoencoders
    epochs: int  # autoencoder epochs (early stopping with patience 10 on 10 % validation)
    search_trials: int
    search_epochs: int
    search_images: int
    head_epochs: int  # transfer head (early stopping with patience 5)
    n_labeled: int = 60_000  # labeled training images of the transfer head


SEED1_PROFILES = {
    "paper": Seed1Profile(60_000, 50, 20, 3, 10_000, 50),
    "quick": Seed1Profile(10_000, 3, 6, 1, 3_000, 5),
    "tiny": Seed1Profile(600, 1, 2, 1, 300, 1, n_labeled=1_000),
}


def search_autoencoder(X, *, n_iter=20, max_epochs=3, cv=2, n_jobs=1, random_state=0, verbose=0):
    """Random search over the seed-1 space, scored by reconstruction error (no labels).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Unlabeled flattened images.
    n_iter : int, default=20
        Number of sampled settings.
    max_epochs : int, default=3
        Epochs of each candidate.
    cv : int, default=2
        Folds; each candidate is scored by ``ConvAETransformer.score`` on held-out images.
    n_jobs : int, default=1
        Candidates trained in parallel with joblib.
    random_state : int, default=0
    verbose : int, default=0

    Returns
    -------
    search : RandomizedSearchCV
        Fitted; ``cv_results_`` feeds :func:`skae.plots.plot_search_results`.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import search_autoencoder
    >>> X = np.random.default_rng(0).random((40, 784), dtype=np.float32)
    >>> search = search_autoencoder(X, n_iter=2, max_epochs=1)
    >>> sorted(search.best_params_)
    ['batch_size', 'dropout', 'latent_dim', 'lr', 'optimizer']
    """
    base = ConvAETransformer(latent_dim=33, max_epochs=max_epochs, random_state=random_state)
    search = RandomizedSearchCV(
        base,
        SEARCH_SPACE,
        n_iter=n_iter,
        cv=cv,
        n_jobs=n_jobs,
        random_state=random_state,
        verbose=verbose,
    )
    return search.fit(X)


def _cached(path, make):
    """Load ``path`` if it exists, else build it with ``make()`` and save it."""
    if path.exists():
        return joblib.load(path)
    model = make()
    raise_if_interrupted(model)  # never cache a half-trained model
    joblib.dump(model, path)
    return model


def run_seed1(
    profile="quick", *, out="results/seed1", data_home=None, n_jobs=1, device="cpu", verbose=1
):
    """Run the seed-1 studies and write metrics, tables and figures.

    Parameters
    ----------
    profile : {"quick", "paper", "tiny"} or Seed1Profile, default="quick"
        ``"paper"``: 60 000 images, 50 epochs with early stopping; ``"quick"``: minutes.
    out : path-like, default="results/seed1"
        Output folder (``metrics.json``, ``cv_results.json``, ``figures/``, ``models/``).
    data_home : path-like, default=None
    n_jobs : int, default=1
        Parallel candidates of the hyperparameter search.
    device : str, default="cpu"
    verbose : int, default=1

    Returns
    -------
    metrics : dict
        Test reconstruction MSEs, transfer accuracy and head size, with the seed's targets.

    Examples
    --------
    >>> from skae import run_seed1
    >>> metrics = run_seed1("tiny", out="results/seed1-tiny")  # doctest: +SKIP
    """
    profile = SEED1_PROFILES[profile] if isinstance(profile, str) else profile
    out = Path(out)
    (out / "models").mkdir(parents=True, exist_ok=True)
    X, y = fetch_mnist(data_home=data_home, subset="train", return_X_y=True)
    X_test, y_test = fetch_mnist(data_home=data_home, subset="test", return_X_y=True)
    X_unlabeled = X[: profile.n_train]

    def log(message):
        if verbose:
            print(message, flush=True)

    def autoencoder(name, estimator):
        def fit():
            log(f"training {name}")
            return estimator.set_params(
                max_epochs=profile.epochs,
                validation_fraction=0.1,
                patience=10,
                device=device,
                random_state=0,
                verbose=verbose,
            ).fit(X_unlabeled)

        tag = f"{profile.n_train}-{profile.epochs}epochs"  # another profile trains anew
        return _cached(out / "models" / f"{name}-{tag}.joblib", fit)

    log("hyperparameter search")
    search = search_autoencoder(
        X_unlabeled[: profile.search_images],
        n_iter=profile.search_trials,
        max_epochs=profile.search_epochs,
        n_jobs=n_jobs,
    )
    ae = autoencoder("ae", ConvAETransformer(**SEED1_BEST))
    denoising = {
        kind: autoencoder(f"denoising_{kind}", ConvAETransformer(**SEED1_BEST, noise=kind))
        for kind in NOISE_TYPES
    }
    vae = autoencoder("vae", VAETransformer(latent_dim=33, lr=1e-3, batch_size=128))
    ae_2d = autoencoder("ae_2d", ConvAETransformer(**{**SEED1_BEST, "latent_dim": 2}))
    vae_2d = autoencoder("vae_2d", VAETransformer(latent_dim=2, lr=1e-3, batch_size=128))

    log("transfer learning: frozen encoder + 128-10 head")
    head = SoftmaxClassifier(
        hidden_units=(128,),
        lr=5e-3,
        batch_size=128,
        max_epochs=profile.head_epochs,
        validation_fraction=0.1,
        patience=5,
        device=device,
        random_state=0,
    )
    labeled = slice(0, profile.n_labeled)
    transfer = make_pipeline(FrozenEstimator(ae), head).fit(X[labeled], y[labeled])
    noisy_test = {kind: add_noise(X_test, kind, random_state=0) for kind in NOISE_TYPES}
    metrics = {
        "profile": profile.__dict__,
        "ae_test_mse": -ae.score(X_test),
        "vae_test_mse": -vae.score(X_test),
        "denoising_test_mse": {
            kind: float(np.mean((model.reconstruct(noisy_test[kind]) - X_test) ** 2))
            for kind, model in denoising.items()
        },
        "transfer_accuracy": float(transfer.score(X_test, y_test)),
        "transfer_head_parameters": sum(p.numel() for p in head.net_.module_.parameters()),
        "transfer_epochs": head.n_epochs_,
        "search_best_params": {k: _plain(v) for k, v in search.best_params_.items()},
        "seed_targets": SEED1_TARGETS,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    results = {
        "params": [{k: _plain(v) for k, v in p.items()} for p in search.cv_results_["params"]],
        "mean_test_score": search.cv_results_["mean_test_score"].tolist(),
    }
    (out / "cv_results.json").write_text(json.dumps(results, indent=1))
    _save_figures(out / "figures", search, ae, denoising, vae, ae_2d, vae_2d, X_test, y_test)
    return metrics


def _plain(value):
    """numpy scalars to Python ones, for JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _save_figures(folder, search, ae, denoising, vae, ae_2d, vae_2d, X_test, y_test):
    from . import plots  # plots imports the studies; import here to keep module order simple

    folder.mkdir(parents=True, exist_ok=True)
    shown = slice(0, 2000)  # the t-SNE is quadratic
    zero, nine = X_test[y_test == 0][0], X_test[y_test == 9][0]
    figures = {
        "search_parallel_coordinates": plots.plot_search_results(search.cv_results_),
        "reconstructions_ae": plots.plot_reconstructions(ae, X_test, title="conv AE"),
        "noise_types": plots.plot_noise_examples(X_test),
        **{
            f"denoising_{kind}": plots.plot_denoising(model, X_test, kind)
            for kind, model in denoising.items()
        },
        "reconstructions_vae": plots.plot_reconstructions(vae, X_test, title="VAE"),
        "vae_interpolation_0_to_9": plots.plot_interpolation(vae, zero, nine),
        "loss_curves": plots.plot_ae_losses({"conv AE": ae, "VAE": vae}),
        "latent_pca": plots.plot_latent_space(ae.transform(X_test[shown]), y_test[shown]),
        "latent_tsne": plots.plot_latent_space(
            ae.transform(X_test[shown]), y_test[shown], method="tsne"
        ),
        "latent_2d_ae": plots.plot_latent_space(
            ae_2d.transform(X_test[shown]), y_test[shown], method=None, title="2-D conv AE"
        ),
        "latent_2d_vae": plots.plot_latent_space(
            vae_2d.transform(X_test[shown]), y_test[shown], method=None, title="2-D VAE"
        ),
    }
    for name, figure in figures.items():
        figure.savefig(folder / f"{name}.png", dpi=110)
        plt.close(figure)
