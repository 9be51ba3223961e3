"""The seed-1 studies: dense-latent, denoising and variational autoencoders, search, transfer.

:func:`run_seed1` trains each model once on unlabeled MNIST, measures test reconstruction
errors and the transfer-learning accuracy, and writes ``metrics.json``, the search's
``cv_results.json`` and PNG figures. Finished models are cached in ``<out>/models``.
"""

import json
from pathlib import Path

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import make_pipeline

from .._autoencoder import ConvAETransformer, VAETransformer
from .._classifiers import SoftmaxClassifier
from ..noise import NOISE_TYPES, add_noise
from ._cache import fit_cached
from ._files import environment, locked, write_atomic
from ._profiles import SEARCH_SPACE, SEED1_BEST, SEED1_PROFILES, SEED1_TARGETS
from ._request import StudyError, check_device, load_images, resolve_profile


def search_autoencoder(
    X, *, n_iter=20, max_epochs=3, cv=2, n_jobs=1, device="cpu", random_state=0, verbose=0
):
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
    device : str, default="cpu"
        Torch device of the candidates.
    random_state : int, default=0
    verbose : int, default=0

    Returns
    -------
    search : RandomizedSearchCV
        Fitted; ``cv_results_`` feeds :func:`skae.plots.plot_search_results`.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.studies import search_autoencoder
    >>> X = np.random.default_rng(0).random((40, 784), dtype=np.float32)
    >>> search = search_autoencoder(X, n_iter=2, max_epochs=1)
    >>> sorted(search.best_params_)
    ['batch_size', 'dropout', 'latent_dim', 'lr', 'optimizer']
    """
    base = ConvAETransformer(
        latent_dim=33, max_epochs=max_epochs, device=device, random_state=random_state
    )
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


def run_seed1(
    profile="quick",
    *,
    out="results/seed1",
    ae_params="paper",
    data_home=None,
    n_jobs=1,
    device="cpu",
    verbose=1,
):
    """Run the seed-1 studies and write metrics, tables and figures.

    The autoencoders are trained with seed-1's published best parameters (its Table 1:
    ``SEED1_BEST``) unless ``ae_params="search"``; the random search always runs, and its
    best parameters are reported beside the ones used. Fitted models are cached in
    ``<out>/models`` (see :func:`skae.studies.fit_cached`); the folder is locked while a run
    uses it.

    Parameters
    ----------
    profile : {"quick", "paper", "tiny"} or Seed1Profile, default="quick"
        ``"paper"``: 60 000 images, 50 epochs with early stopping; ``"quick"``: minutes.
    out : path-like, default="results/seed1"
        Output folder (``metrics.json``, ``cv_results.json``, ``figures/``, ``models/``).
    ae_params : {"paper", "search"}, default="paper"
        Parameters of the dense-latent autoencoders (plain, denoising, 2-D): the seed's
        Table 1, or the best of this run's own search (scored by reconstruction error).
    data_home : path-like, default=None
    n_jobs : int, default=1
        Parallel candidates of the hyperparameter search.
    device : str, default="cpu"
        Torch device of every fit.
    verbose : int, default=1

    Returns
    -------
    metrics : dict
        Test reconstruction MSEs, transfer accuracy and head size, with the seed's targets,
        the autoencoder parameters used and what produced the run (``environment``).

    Examples
    --------
    >>> from skae.studies import run_seed1
    >>> metrics = run_seed1("tiny", out="results/seed1-tiny")  # doctest: +SKIP
    """
    profile = resolve_profile(profile, SEED1_PROFILES)
    if ae_params not in ("paper", "search"):
        raise StudyError(f"ae_params must be 'paper' or 'search', got {ae_params!r}.")
    check_device(device)
    X, y = load_images("mnist", "train", data_home)
    X_test, y_test = load_images("mnist", "test", data_home)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with locked(out):
        run = environment(device, n_jobs=n_jobs)
        return _seed1(profile, ae_params, X, y, X_test, y_test, out, run, n_jobs, device, verbose)


def _seed1(profile, ae_params, X, y, X_test, y_test, out, run, n_jobs, device, verbose):
    X_unlabeled = X[: profile.n_train]

    def log(message):
        if verbose:
            print(message, flush=True)

    def autoencoder(name, estimator):
        estimator.set_params(
            max_epochs=profile.epochs,
            validation_fraction=0.1,
            patience=10,
            device=device,
            random_state=0,
            verbose=verbose,
        )
        data = {"dataset": "mnist", "subset": "train", "images": profile.n_train}
        folder = out / "models"
        return fit_cached(
            estimator, X_unlabeled, name=name, data=data, folder=folder, verbose=verbose
        )

    log("hyperparameter search")
    search = search_autoencoder(
        X_unlabeled[: profile.search_images],
        n_iter=profile.search_trials,
        max_epochs=profile.search_epochs,
        n_jobs=n_jobs,
        device=device,
    )
    best = {k: _plain(v) for k, v in search.best_params_.items()}
    params = SEED1_BEST if ae_params == "paper" else best
    log(f"autoencoders use {_describe(ae_params)}: {params}")
    ae = autoencoder("ae", ConvAETransformer(**params))
    denoising = {
        kind: autoencoder(f"denoising_{kind}", ConvAETransformer(**params, noise=kind))
        for kind in NOISE_TYPES
    }
    vae = autoencoder("vae", VAETransformer(latent_dim=33, lr=1e-3, batch_size=128))
    ae_2d = autoencoder("ae_2d", ConvAETransformer(**{**params, "latent_dim": 2}))
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
        "ae_params_source": _describe(ae_params),
        "ae_params": params,
        "ae_test_mse": -ae.score(X_test),
        "vae_test_mse": -vae.score(X_test),
        "denoising_test_mse": {
            kind: float(np.mean((model.reconstruct(noisy_test[kind]) - X_test) ** 2))
            for kind, model in denoising.items()
        },
        "transfer_accuracy": float(transfer.score(X_test, y_test)),
        "transfer_head_parameters": sum(p.numel() for p in head.net_.module_.parameters()),
        "transfer_epochs": head.n_epochs_,
        "search_best_params": best,
        "seed_targets": SEED1_TARGETS,
        "environment": run,
    }
    with write_atomic(out / "metrics.json") as file:
        json.dump(metrics, file, indent=1)
    results = {
        "params": [{k: _plain(v) for k, v in p.items()} for p in search.cv_results_["params"]],
        "mean_test_score": search.cv_results_["mean_test_score"].tolist(),
    }
    with write_atomic(out / "cv_results.json") as file:
        json.dump(results, file, indent=1)
    _save_figures(out / "figures", search, ae, denoising, vae, ae_2d, vae_2d, X_test, y_test)
    return metrics


def _describe(ae_params):
    if ae_params == "paper":
        return "seed-1's published best parameters (Table 1)"
    return "the best parameters of this run's random search"


def _plain(value):
    """numpy scalars to Python ones, for JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _save_figures(folder, search, ae, denoising, vae, ae_2d, vae_2d, X_test, y_test):
    from .. import plots
    from ._figures import save_figures

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
    save_figures(figures, folder)
