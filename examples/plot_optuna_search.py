"""
===================================================
Hyperparameter search with Optuna, pruning included
===================================================

Seed-1 tuned its autoencoder with `Optuna <https://optuna.org>`_ (TPE sampler, 100 trials).
skae's estimators are scikit-learn estimators with ``partial_fit`` and skorch ``callbacks``,
so Optuna's own integrations work on them unchanged (``pip install "skae[optuna]"``):

1. :class:`optuna_integration.OptunaSearchCV` over a pipeline (autoencoder codes and a
   softmax head), choosing encoder parameters and the head's learning rate by accuracy;
2. the same search with ``enable_pruning=True`` on an autoencoder alone (no labels, scored
   by reconstruction): it trains one epoch per ``partial_fit`` call and stops settings that
   fall behind;
3. :class:`optuna_integration.SkorchPruningCallback` in a plain skae estimator, for your
   own objective function.

``skae seed1 --search optuna`` runs seed-1's search this way on MNIST (see the user guide).
"""

# %%
# Load a small MNIST subset
# -------------------------
import tempfile
import warnings

import matplotlib.pyplot as plt
import optuna
from optuna.distributions import FloatDistribution, IntDistribution
from optuna_integration import OptunaSearchCV, SkorchPruningCallback
from sklearn.pipeline import Pipeline

from skae import ConvAETransformer, SoftmaxClassifier
from skae.datasets import load_dataset

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", message=".*optuna.terminator", category=FutureWarning)
optuna.logging.set_verbosity(optuna.logging.WARNING)
mnist = load_dataset("mnist")
X, y = mnist.data[:1000], mnist.target[:1000]
X_test, y_test = mnist.data_test[:1000], mnist.target_test[:1000]

# %%
# 1. Encoder and head tuned together, by downstream accuracy
# ----------------------------------------------------------
# Parameters of a pipeline step are named ``<step>__<parameter>``; ``OptunaSearchCV`` takes
# Optuna distributions and cross-validates each setting (the pipeline's ``score`` is the
# head's accuracy). The encoder is seed-0's convolutional one, whose 196 code features
# are useful after two epochs.
pipeline = Pipeline(
    [
        ("ae", ConvAETransformer(max_epochs=2, random_state=0)),
        ("head", SoftmaxClassifier(max_epochs=20, random_state=0)),
    ]
)
search = OptunaSearchCV(
    pipeline,
    {
        "ae__lr": FloatDistribution(1e-4, 3e-2, log=True),
        "ae__sparsity": FloatDistribution(1e-5, 1e-1, log=True),
        "head__lr": FloatDistribution(1e-3, 1e-1, log=True),
    },
    cv=2,
    n_trials=6,
    random_state=0,
).fit(X, y)
print(f"best: {search.best_params_}, CV accuracy {search.best_score_:.3f}")
print(f"test accuracy of the refitted pipeline: {search.score(X_test, y_test):.3f}")
encoder = search.best_estimator_["ae"]  # refitted on all 1 000 images: used in part 3

# %%
# Seed-1's Figure 13 is this plot: one line per trial through its parameter values, coloured
# by its score.
optuna.visualization.matplotlib.plot_parallel_coordinate(search.study_)
plt.tight_layout()

# %%
# 2. Pruning through ``partial_fit``
# ----------------------------------
# With ``enable_pruning=True`` each trial calls ``partial_fit`` (one epoch) ``max_iter``
# times, reports the mean validation score after each and asks the study's pruner whether
# to go on. A ``Pipeline`` has no ``partial_fit``, but every skae estimator has: here
# seed-1's dense-latent autoencoder, scored by ``score`` (minus the reconstruction MSE),
# without labels.
study = optuna.create_study(
    direction="maximize",
    sampler=optuna.samplers.TPESampler(seed=0),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=3),
)
search = OptunaSearchCV(
    ConvAETransformer(latent_dim=33, random_state=0),
    {
        "latent_dim": IntDistribution(2, 50),
        "lr": FloatDistribution(1e-5, 1e-2, log=True),
        "dropout": FloatDistribution(0.0, 0.5),
    },
    cv=2,
    enable_pruning=True,
    max_iter=3,
    n_trials=8,
    study=study,
    refit=False,
).fit(X)
pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
print(f"best MSE {-search.best_score_:.4f} with {search.best_params_}")
epochs = [len(t.intermediate_values) for t in pruned]
print(f"{len(pruned)} of {len(study.trials)} trials pruned, after {epochs} of 3 epochs")

# %%
# 3. ``SkorchPruningCallback`` in a skae estimator
# ------------------------------------------------
# For your own objective, give the callback to the estimator's ``callbacks``: it reports the
# monitored score (``valid_loss``, which needs ``validation_fraction``) after every epoch
# and raises ``optuna.TrialPruned`` when the pruner says so. Here the head is tuned on the
# frozen codes of part 1's best encoder.
#
# skae runs a copy of each callback in every fit (the estimator's parameter stays as set),
# so the study is kept in a database that the copy reports to as well: a SQLite file here,
# or any URL Optuna's ``RDBStorage`` takes (several machines can share a PostgreSQL one).
Z, Z_test = encoder.transform(X), encoder.transform(X_test)


def objective(trial):
    head = SoftmaxClassifier(
        lr=trial.suggest_float("lr", 1e-4, 1e-1, log=True),
        hidden_units=(trial.suggest_int("hidden_units", 16, 256, log=True),),
        max_epochs=15,
        validation_fraction=0.2,
        random_state=0,
        callbacks=[SkorchPruningCallback(trial, "valid_loss")],
    )
    return head.fit(Z, y).validation_loss_curve_[-1]


folder = tempfile.mkdtemp()
study = optuna.create_study(
    storage=f"sqlite:///{folder}/head.db",
    sampler=optuna.samplers.TPESampler(seed=0),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
)
study.optimize(objective, n_trials=10)
pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
print(f"best validation loss {study.best_value:.3f} with {study.best_params}")
epochs = [len(t.intermediate_values) for t in pruned]
print(f"{len(pruned)} of {len(study.trials)} trials pruned, after {epochs} of 15 epochs")
best = study.best_params
head = SoftmaxClassifier(
    lr=best["lr"], hidden_units=(best["hidden_units"],), max_epochs=15, random_state=0
).fit(Z, y)
print(f"test accuracy of the best head on the frozen codes: {head.score(Z_test, y_test):.3f}")

# %%
# Each trial's validation loss, epoch by epoch: the pruned ones stop early.
optuna.visualization.matplotlib.plot_intermediate_values(study)
plt.tight_layout()
