"""The seed-1 studies: dense-latent, denoising and variational autoencoders, search, transfer.

:func:`run_seed1` trains each model once on unlabeled MNIST, measures test reconstruction
errors and the transfer-learning accuracy, and writes ``metrics.json``, the search's
results (``cv_results.json`` for the random search, ``trials.json`` and the ``search.db``
study for Optuna's) and PNG figures. Finished models are cached in ``<out>/models``.
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
from ._files import environment, locked, with_precision, write_atomic
from ._optuna import open_study, run_trials, search_figures, summarize_study, write_trials
from ._profiles import SEARCH_SPACE, SEED1_BEST, SEED1_PROFILES, SEED1_TARGETS
from ._request import (
    StudyError,
    check_device,
    check_precision,
    check_run_options,
    load_images,
    resolve_profile,
)


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
    search="random",
    storage=None,
    data_home=None,
    n_jobs=1,
    device="cpu",
    precision="float32",
    verbose=1,
):
    """Run the seed-1 studies and write metrics, tables and figures.

    The autoencoders are trained with seed-1's published best parameters (its Table 1:
    ``SEED1_BEST``) unless ``ae_params="search"``; the hyperparameter search always runs
    first, and its best parameters are reported beside the ones used. Fitted models are
    cached in ``<out>/models`` (see :func:`skae.studies.fit_cached`); the folder is locked
    while a run uses it.

    ``search="optuna"`` is seed-1's own search: Optuna's TPE sampler over the same space,
    ``optuna_trials`` trials of the profile (100 for ``"paper"``, as the seed) pruned by a
    median rule on their per-epoch validation loss (see :mod:`skae.studies._optuna`). The
    study is stored in ``<out>/search.db`` (SQLite): a stopped run resumes with the trials
    still missing, and a finished one trains none. Optuna is an optional extra
    (``pip install "skae[optuna]"``).

    Parameters
    ----------
    profile : {"quick", "paper", "tiny"} or Seed1Profile, default="quick"
        ``"paper"``: 60 000 images, 50 epochs with early stopping; ``"quick"``: minutes.
    out : path-like, default="results/seed1"
        Output folder (``metrics.json``, ``cv_results.json``, ``figures/``, ``models/``).
    ae_params : {"paper", "search"}, default="paper"
        Parameters of the dense-latent autoencoders (plain, denoising, 2-D): the seed's
        Table 1, or the best of this run's own search (scored by reconstruction error).
    search : {"random", "optuna"}, default="random"
        ``"random"``: scikit-learn's ``RandomizedSearchCV`` (``search_trials`` settings,
        2-fold CV; ``cv_results.json``). ``"optuna"``: TPE with pruning (``trials.json``,
        ``search.db``; figures ``search_parallel_coordinates``, ``search_history`` and
        ``search_importances``).
    storage : str or None, default=None
        ``search="optuna"`` only: the study's RDB URL instead of ``<out>/search.db``, e.g.
        ``postgresql://user@host/db`` or another folder's ``sqlite:///.../search.db``, so
        that several machines (one ``out`` each) share one study, Optuna's distributed
        optimisation. Trials then add up across machines to the profile's count.
    data_home : path-like, default=None
    n_jobs : int, default=1
        Parallel candidates of the random search (Optuna trials run one at a time; run
        more processes on the same ``storage`` instead).
    device : str, default="cpu"
        Torch device of every fit.
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Arithmetic of the autoencoders' training (autocast; see the estimators'
        ``precision``), part of their cache keys. The search and the transfer head stay
        float32, so that a stored study's scores stay comparable across runs. Another
        precision than float32 writes ``metrics_<precision>.json`` and
        ``figures_<precision>/`` (the search's figures stay in ``figures/``).
    verbose : int, default=1

    Returns
    -------
    metrics : dict
        Test reconstruction MSEs, transfer accuracy and head size, with the seed's targets,
        the autoencoder parameters used and what produced the run (``environment``).

    Raises
    ------
    StudyError
        Before any training: an unknown ``profile``, ``ae_params``, ``search``, ``device``
        or ``precision``, ``n_jobs`` 0, ``storage`` without ``search="optuna"``, missing
        Optuna, a storage that cannot be opened or that holds a study of another search
        space, missing data, or an ``out`` folder in use by another run.

    Examples
    --------
    >>> from skae.studies import run_seed1
    >>> metrics = run_seed1("tiny", out="results/seed1-tiny")  # doctest: +SKIP
    """
    profile = resolve_profile(profile, SEED1_PROFILES)
    if ae_params not in ("paper", "search"):
        raise StudyError(f"ae_params must be 'paper' or 'search', got {ae_params!r}.")
    if search not in ("random", "optuna"):
        raise StudyError(f"search must be 'random' or 'optuna', got {search!r}.")
    if storage is not None and search != "optuna":
        raise StudyError("a storage URL applies to search='optuna' only.")
    check_run_options(n_jobs)
    check_device(device)
    check_precision(precision, device)
    X, y = load_images("mnist", "train", data_home)
    X_test, y_test = load_images("mnist", "test", data_home)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with locked(out):
        study = None if search == "random" else _open_study(profile, out, storage)
        run = environment(device, precision=precision, n_jobs=n_jobs)
        return _seed1(profile, ae_params, study, X, y, X_test, y_test, out, run, verbose)


def _open_study(profile, out, storage):
    """The Optuna study of this run; a bad storage or another search fails here, untrained."""
    try:
        return open_study(
            storage or f"sqlite:///{(out / 'search.db').resolve()}",
            images=profile.search_images,
            epochs=profile.optuna_epochs,
        )
    except ImportError as error:
        raise StudyError(str(error)) from None


def _seed1(profile, ae_params, study, X, y, X_test, y_test, out, run, verbose):
    device, n_jobs = run["device"], run["n_jobs"]
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
            precision=run["precision"],
            random_state=0,
            verbose=verbose,
        )
        data = {"dataset": "mnist", "subset": "train", "images": profile.n_train}
        folder = out / "models"
        return fit_cached(
            estimator, X_unlabeled, name=name, data=data, folder=folder, verbose=verbose
        )

    log(f"hyperparameter search ({'random' if study is None else 'Optuna, TPE'})")
    X_search = X_unlabeled[: profile.search_images]
    if study is None:
        best, search_summary = _random_search(X_search, profile, out, n_jobs, device)
    else:
        best, search_summary = _optuna_search(X_search, profile, study, out, device, verbose)
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
        "search": search_summary,
        "seed_targets": SEED1_TARGETS,
        "environment": run,
    }
    with write_atomic(out / f"{with_precision('metrics', run['precision'])}.json") as file:
        json.dump(metrics, file, indent=1)
    figures = out / with_precision("figures", run["precision"])
    _save_figures(figures, ae, denoising, vae, ae_2d, vae_2d, X_test, y_test)
    return metrics


def _random_search(X, profile, out, n_jobs, device):
    """Run the random search; write ``cv_results.json`` and its figure; ``(best, summary)``."""
    from .. import plots
    from ._figures import save_figures

    search = search_autoencoder(
        X, n_iter=profile.search_trials, max_epochs=profile.search_epochs, n_jobs=n_jobs,
        device=device,
    )  # fmt: skip
    results = {
        "params": [{k: _plain(v) for k, v in p.items()} for p in search.cv_results_["params"]],
        "mean_test_score": search.cv_results_["mean_test_score"].tolist(),
    }
    with write_atomic(out / "cv_results.json") as file:
        json.dump(results, file, indent=1)
    figure = plots.plot_search_results(search.cv_results_)
    save_figures({"search_parallel_coordinates": figure}, out / "figures")
    summary = {"method": "random (RandomizedSearchCV, 2-fold CV)", "trials": profile.search_trials}
    return {k: _plain(v) for k, v in search.best_params_.items()}, summary


def _optuna_search(X, profile, study, out, device, verbose):
    """Run the trials the study misses; write ``trials.json`` and the three figures."""
    from ._figures import save_figures

    run_trials(
        study, X, n_trials=profile.optuna_trials, max_epochs=profile.optuna_epochs,
        device=device, verbose=verbose,
    )  # fmt: skip
    write_trials(study, out / "trials.json")
    save_figures(search_figures(study), out / "figures")
    summary = summarize_study(study)
    if summary["best_trial"] is None:
        raise StudyError(
            f"none of the {sum(summary['trials'].values())} Optuna trials completed "
            f"({summary['trials']}); see {out / 'trials.json'}."
        )
    return study.best_params, summary


def _describe(ae_params):
    if ae_params == "paper":
        return "seed-1's published best parameters (Table 1)"
    return "the best parameters of this run's hyperparameter search"


def _plain(value):
    """numpy scalars to Python ones, for JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _save_figures(folder, ae, denoising, vae, ae_2d, vae_2d, X_test, y_test):
    from .. import plots
    from ._figures import save_figures

    shown = slice(0, 2000)  # the t-SNE is quadratic
    zero, nine = X_test[y_test == 0][0], X_test[y_test == 9][0]
    figures = {
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
