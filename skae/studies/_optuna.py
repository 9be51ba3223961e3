"""Seed-1's Optuna search: TPE over its search space, pruned trials, a resumable stored study.

Seed-1 tuned its autoencoder with Optuna (TPE, 100 trials; its Table 1 and Figure 13). Here
each trial trains a :class:`~skae.ConvAETransformer` for a few epochs; Optuna's
``SkorchPruningCallback`` reports its validation loss after every epoch and a
``MedianPruner`` stops trials that fall behind. The study lives in an RDB storage (a SQLite
file by default), so a stopped search resumes with the trials still missing and other
machines can join it through the same URL.

Optuna is optional (``pip install "skae[optuna]"``) and imported only inside these
functions: ``import skae.studies`` does not load it.
"""

import json
import warnings
from contextlib import contextmanager

from .._autoencoder import ConvAETransformer
from ._profiles import SEARCH_SPACE
from ._request import StudyError

STUDY_NAME = "skae-seed1"  # one study per storage: a second machine joins it by this name
INSTALL = 'pip install "skae[optuna]"'


def import_optuna():
    """``optuna``, or an ImportError naming the extra to install."""
    try:
        import optuna
        import optuna_integration  # noqa: F401  (SkorchPruningCallback)
    except ImportError as error:
        raise ImportError(f"the Optuna search needs Optuna: {INSTALL}") from error
    return optuna


def optuna_space(space=SEARCH_SPACE):
    """The seed-1 search space as Optuna distributions: the one mapping both searches share.

    Parameters
    ----------
    space : dict, default=SEARCH_SPACE
        Lists (categorical) and scipy ``randint``, ``uniform`` and ``loguniform``
        distributions, as :class:`~sklearn.model_selection.RandomizedSearchCV` takes them.

    Returns
    -------
    distributions : dict of str to optuna.distributions.BaseDistribution

    Raises
    ------
    TypeError
        For a scipy distribution with no Optuna counterpart here.
    """
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    def convert(name, value):
        if isinstance(value, list):
            return CategoricalDistribution(value)
        low, high = (value.support()[0].item(), value.support()[1].item())
        kind = value.dist.name
        if kind == "randint":
            return IntDistribution(low, high)  # scipy's high is exclusive, support() is not
        if kind in ("uniform", "loguniform", "reciprocal"):
            return FloatDistribution(low, high, log=kind != "uniform")
        raise TypeError(f"{name}: no Optuna distribution for scipy's {kind!r}.")

    return {name: convert(name, value) for name, value in space.items()}


def open_study(storage, *, images, epochs, random_state=0):
    """Create or load the seed-1 study in ``storage``, after checking it is the same search.

    Parameters
    ----------
    storage : str or optuna.storages.BaseStorage
        An RDB URL (``sqlite:///path/search.db``, ``postgresql://...``) or a storage object.
    images : int
        Unlabeled images each trial uses; recorded with the search space.
    epochs : int
        Epochs of each trial; recorded with the search space.
    random_state : int, default=0
        Seeds the TPE sampler (plus the number of trials already stored, so that a resumed
        search draws new settings instead of replaying its first ones).

    Returns
    -------
    study : optuna.Study
        Minimizes the validation MSE; ``MedianPruner`` (5 trials before any pruning).

    Raises
    ------
    ImportError
        Without Optuna.
    StudyError
        The storage cannot be opened (bad URL, missing driver, unreachable server), or it
        holds a ``"skae-seed1"`` study with another search space, image count or epochs.
    """
    optuna = import_optuna()
    from optuna.distributions import distribution_to_json

    if isinstance(storage, str):
        storage = _rdb_storage(storage)
    with _optuna_log(optuna.logging.WARNING):  # not "A new study created"
        study = optuna.create_study(
            storage=storage,
            study_name=STUDY_NAME,
            direction="minimize",
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5),
            load_if_exists=True,
        )
    space = {name: distribution_to_json(d) for name, d in optuna_space().items()}
    setup = {"space": space, "images": images, "epochs": epochs}
    stored = study.user_attrs.get("search")
    if stored is None:
        study.set_user_attr("search", setup)
    elif _differs(stored, setup):
        raise StudyError(
            f"the Optuna storage holds a {STUDY_NAME!r} study of another search "
            f"({_differs(stored, setup)}); use another output folder or storage."
        )
    study.sampler = optuna.samplers.TPESampler(seed=random_state + len(study.trials))
    return study


def _rdb_storage(url):
    """Optuna's RDB storage at ``url``; any failure to open it is one StudyError line."""
    import optuna
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            # the study must outlive the run: to resume, and for other machines to join
            raise ValueError("an in-memory SQLite database; give a file, sqlite:///search.db")
        # a trial whose process died (a kill, a lost machine) is marked failed after 3 minutes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, heartbeat_interval=60, grace_period=180)
    except Exception as error:  # SQLAlchemy's many errors: all mean "cannot open it"
        first_line = (str(error).strip().splitlines() or [""])[0]
        raise StudyError(
            f"cannot open the Optuna storage {_safe_url(url)}: {type(error).__name__}: {first_line}"
        ) from None


def _differs(stored, setup):
    """What differs between a stored search and this one, in words ('' when nothing does)."""
    from optuna.distributions import json_to_distribution

    def space(search):
        return {k: json_to_distribution(v) for k, v in search.get("space", {}).items()}

    old, new = space(stored), space(setup)
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    differences = [f"search space of {', '.join(changed)}"] if changed else []
    differences += [
        f"{key} {stored.get(key)} instead of {setup[key]}"
        for key in ("images", "epochs")
        if stored.get(key) != setup[key]
    ]
    return ", ".join(differences)


def _safe_url(url):
    """The URL as given, its password (if any) hidden: for messages."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # unparsable: it holds no password SQLAlchemy could find either
        return url
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def finished_trials(study):
    """Trials that count towards the budget: completed or pruned (not failed or running)."""
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))


def run_trials(study, X, *, n_trials, max_epochs, device="cpu", random_state=0, verbose=0):
    """Run the trials ``study`` still misses to reach ``n_trials`` finished ones.

    Each trial trains a :class:`~skae.ConvAETransformer` with sampled ``latent_dim``,
    ``optimizer``, ``lr``, ``batch_size`` and ``dropout`` on 80 % of ``X`` for
    ``max_epochs`` epochs; its value is the validation MSE on the other 20 % after the last
    epoch. ``SkorchPruningCallback`` reports that loss after every epoch, so that the
    study's pruner can stop the trial.

    Parameters
    ----------
    study : optuna.Study
        From :func:`open_study` (an RDB storage, so that a stopped run resumes).
    X : array of shape (n_samples, n_features)
        Unlabeled flattened images.
    n_trials : int
        Finished (completed or pruned) trials wanted in the study, counting those of
        earlier runs and of other machines; nothing runs when it holds as many.
    max_epochs : int
        Epochs of each trial.
    device : str, default="cpu"
    random_state : int, default=0
        Seeds each trial's weights and shuffling (the same for every trial).
    verbose : int, default=0
        ``1`` logs each finished trial (Optuna's log).

    Returns
    -------
    study : optuna.Study
    """
    optuna = import_optuna()
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    missing = n_trials - len(finished_trials(study))
    if missing <= 0:
        return study
    space = optuna_space()

    def objective(trial):
        from optuna_integration import SkorchPruningCallback

        params = {name: _suggest(trial, name, distribution) for name, distribution in space.items()}
        autoencoder = ConvAETransformer(
            **params,
            max_epochs=max_epochs,
            validation_fraction=0.2,
            device=device,
            random_state=random_state,
            callbacks=[("prune", SkorchPruningCallback(trial, "valid_loss"))],
        )
        return float(autoencoder.fit(X).validation_loss_curve_[-1])

    # Other machines may finish trials meanwhile: stop when the study holds n_trials.
    enough = MaxTrialsCallback(n_trials, states=(TrialState.COMPLETE, TrialState.PRUNED))
    with _optuna_log(optuna.logging.INFO if verbose else optuna.logging.WARNING):
        study.optimize(objective, n_trials=missing, callbacks=[enough])
    return study


@contextmanager
def _optuna_log(level):
    """Optuna's log level for the duration (it is global: set back afterwards)."""
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(level)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def _suggest(trial, name, distribution):
    """``trial.suggest_*`` for one Optuna distribution."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    suggest = (
        trial.suggest_int if isinstance(distribution, IntDistribution) else trial.suggest_float
    )
    return suggest(name, distribution.low, distribution.high, log=distribution.log)


def trial_records(study):
    """One JSON-ready dict per trial: number, state, params, value, epochs run, seconds."""
    return [
        {
            "number": trial.number,
            "state": trial.state.name,
            "params": trial.params,
            "value": trial.value,  # validation MSE; None unless completed
            "epochs": len(trial.intermediate_values),
            "seconds": trial.duration.total_seconds() if trial.duration else None,
        }
        for trial in study.get_trials(deepcopy=False)
    ]


def summarize_study(study):
    """Counts of trials by state and the best completed trial."""
    records = trial_records(study)
    states = [record["state"].lower() for record in records]
    complete = [record for record in records if record["state"] == "COMPLETE"]
    best = min(complete, key=lambda record: record["value"]) if complete else {}
    return {
        "method": "optuna: TPE, MedianPruner on the per-epoch validation loss",
        "study_name": study.study_name,
        "trials": {state: states.count(state) for state in sorted(set(states))},
        "best_value": best.get("value"),
        "best_trial": best.get("number"),
    }


def write_trials(study, path):
    """Write :func:`trial_records` as JSON to ``path``."""
    from ._files import write_atomic

    with write_atomic(path) as file:
        json.dump(trial_records(study), file, indent=1)


def search_figures(study):
    """Parallel coordinates (seed-1's Figure 13), optimisation history, importances.

    Drawn by ``optuna.visualization.matplotlib`` (its ggplot style stays inside these
    figures, its warnings about empty studies are silenced). Importances need two
    completed trials with different values; until then that figure says so.

    Returns
    -------
    figures : dict of str to matplotlib.figure.Figure
    """
    import matplotlib
    from optuna.logging import ERROR
    from optuna.visualization import matplotlib as optuna_plots

    values = {record["value"] for record in trial_records(study) if record["state"] == "COMPLETE"}
    named = {"target_name": "validation MSE"}
    with matplotlib.rc_context(), warnings.catch_warnings(), _optuna_log(ERROR):
        warnings.simplefilter("ignore")  # experimental API, empty legends, flat axes
        axes = {
            "search_parallel_coordinates": optuna_plots.plot_parallel_coordinate(study, **named),
            "search_history": optuna_plots.plot_optimization_history(study, **named),
            "search_importances": (
                optuna_plots.plot_param_importances(study, **named)
                if len(values) >= 2
                else _note(
                    "Parameter importances need two completed trials with different "
                    f"values; this study has {len(values)} distinct value(s) so far."
                )
            ),
        }
        for figure in (a.figure for a in axes.values()):
            figure.set_size_inches(8, 5)
            figure.tight_layout()  # Optuna's labels and legend would be cut off
    return {name: a.figure for name, a in axes.items()}


def _note(text):
    """Axes of a figure that only says ``text``."""
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots()
    axes.axis("off")
    axes.text(0.5, 0.5, text, ha="center", va="center", wrap=True)
    return axes
