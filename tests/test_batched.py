"""Batched training: K models trained as one computation are the K models lone fits make."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import learning_curve as sklearn_learning_curve
from sklearn.model_selection import validation_curve as sklearn_validation_curve
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skae import CNNClassifier, ConvAETransformer, SoftmaxClassifier, model_selection
from skae._batched import fit_batched

RNG = np.random.default_rng(0)
X = RNG.random((260, 784), dtype=np.float32)
Y = (X[:, :392].mean(1) > 0.5) + 2 * (X[:, 392:].mean(1) > 0.5)
ROWS = [np.arange(40), np.arange(37, 260), np.arange(100, 215)]  # 3, 14 and 8 steps an epoch

MODELS = {
    "softmax head, Adam, clipping": lambda seed, lr=1e-3: SoftmaxClassifier(
        max_epochs=2, lr=lr, random_state=seed
    ),
    "MLP head, SGD": lambda seed, lr=0.05: SoftmaxClassifier(
        hidden_units=(7,),
        optimizer="sgd",
        lr=lr,
        clip_grad_norm=None,
        max_epochs=2,
        random_state=seed,
    ),  # fmt: skip
    "CNN, SGD": lambda seed, lr=0.1: CNNClassifier(
        dropout=0.0, max_epochs=2, lr=lr, random_state=seed
    ),
    "head, Adam, weight decay": lambda seed, lr=1e-2: SoftmaxClassifier(
        max_epochs=2, lr=lr, weight_decay=0.01 * (seed + 1), random_state=seed
    ),
    "CNN, SGD, momentum, weight decay": lambda seed, lr=0.05: CNNClassifier(
        dropout=0.0, max_epochs=2, lr=lr, momentum=0.9, weight_decay=1e-3, random_state=seed
    ),
    "CNN, SGD, dropout": lambda seed, lr=0.1: CNNClassifier(
        dropout=0.3, max_epochs=2, lr=lr, random_state=seed
    ),  # each model's masks from its own generator, as a lone fit draws them
}


def assert_same_model(lone, batched):
    lone_weights = lone.net_.module_.state_dict()
    for name, weights in batched.net_.module_.state_dict().items():
        np.testing.assert_allclose(weights, lone_weights[name], atol=1e-5, err_msg=name)
    np.testing.assert_allclose(batched.loss_curve_, lone.loss_curve_, rtol=1e-5)
    assert batched.n_epochs_ == lone.n_epochs_
    for lone_row, batched_row in zip(lone.net_.history, batched.net_.history, strict=True):
        assert batched_row.keys() == lone_row.keys()  # train_batch_count was missing
        assert batched_row["train_batch_count"] == lone_row["train_batch_count"]
        assert batched_row["train_loss_best"] == lone_row["train_loss_best"]
        assert batched_row["fit_data"] == lone_row["fit_data"]  # a warm fit compares losses
    np.testing.assert_array_equal(batched.classes_, lone.classes_)
    lone_state = lone.net_.optimizer_.state_dict()["state"]  # a warm fit goes on from it
    batched_state = batched.net_.optimizer_.state_dict()["state"]
    assert batched_state.keys() == lone_state.keys()
    for i, slots in batched_state.items():
        assert slots.keys() == lone_state[i].keys()
        for slot, value in slots.items():
            np.testing.assert_allclose(value, lone_state[i][slot], atol=1e-5, err_msg=slot)


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_batched_models_are_the_lone_fits(make):
    """Own seeds, own shuffling, own number of steps: a model whose epoch ended stays put."""
    lrs = [None, None, 0.5]  # learning rates may differ within a batch
    kwargs = [{} if lr is None else {"lr": lr * make(0).lr} for lr in lrs]
    lone = [
        make(seed, **kw).fit(X[rows], Y[rows]) for seed, kw, rows in zip([0, 1, 2], kwargs, ROWS)
    ]
    batched = fit_batched([make(seed, **kw) for seed, kw in zip([0, 1, 2], kwargs)], X, Y, ROWS)
    for a, b in zip(lone, batched):
        assert_same_model(a, b)


def test_batched_model_is_an_ordinary_fitted_estimator():
    (model,) = fit_batched([SoftmaxClassifier(max_epochs=2, random_state=0)], X, Y, ROWS[:1])
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.predict_proba(X[:3]).shape == (3, 4)
    assert len(model.net_.history) == 2


def test_string_labels_and_models_missing_a_class():
    labels = np.array(["a", "b", "c", "d"])[Y]
    rows = [np.flatnonzero(Y < 2)[:30], np.arange(60)]  # 2 classes, then 4: two architectures
    lone = [SoftmaxClassifier(max_epochs=1, random_state=0).fit(X[r], labels[r]) for r in rows]
    batched = fit_batched(
        [SoftmaxClassifier(max_epochs=1, random_state=0) for _ in rows], X, labels, rows
    )
    for a, b in zip(lone, batched):
        assert_same_model(a, b)
        np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_fit_batched_refuses_what_it_cannot_batch():
    with pytest.raises(TypeError, match="cannot be trained batched"):
        fit_batched([SoftmaxClassifier(validation_fraction=0.2)], X, Y, ROWS[:1])
    with pytest.raises(ValueError, match="2 index arrays"):
        fit_batched([SoftmaxClassifier()], X, Y, ROWS[:2])
    with pytest.raises(ValueError, match="max_epochs"):
        fit_batched([SoftmaxClassifier(max_epochs=-1)], X, Y, ROWS[:1])
    twice = SoftmaxClassifier(max_epochs=1)  # held the model of one of its row sets
    with pytest.raises(ValueError, match="appears twice"):
        fit_batched([twice, twice], X, Y, ROWS[:2])
    assert not hasattr(twice, "classes_")


@pytest.mark.parametrize("failure", ["a later model's check", "Ctrl-C in training"])
def test_fit_batched_that_fails_leaves_every_estimator_as_it_was(failure, monkeypatch):
    """The models checked before the failure kept classes_ (and n_features_in_) without a net:
    half fitted, while the docstring promised them unfitted."""
    fitted = SoftmaxClassifier(max_epochs=1, random_state=0).fit(X, Y)
    before = dict(vars(fitted))
    estimators = [fitted, SoftmaxClassifier(max_epochs=1)]
    if failure == "Ctrl-C in training":

        def interrupt(*args):
            raise KeyboardInterrupt

        monkeypatch.setattr("skae._batched._train_group", interrupt)
    else:
        estimators.append(SoftmaxClassifier(max_epochs=-1))
    with pytest.raises((KeyboardInterrupt, ValueError)):
        fit_batched(estimators, X, Y, ROWS[: len(estimators)])
    assert vars(fitted) == before
    assert not [key for key in vars(estimators[1]) if key.endswith("_")]


@pytest.fixture(scope="module")
def frozen_ae():
    return FrozenEstimator(ConvAETransformer(max_epochs=1, random_state=0).fit(X))


@pytest.mark.parametrize("shuffle", [False, True])
def test_learning_curve_matches_sklearn(frozen_ae, shuffle):
    pipe = make_pipeline(frozen_ae, FunctionTransformer(), SoftmaxClassifier(max_epochs=3))
    pipe.set_params(softmaxclassifier__random_state=0)
    kwargs = dict(train_sizes=[0.2, 1.0], cv=3, shuffle=shuffle, random_state=0)
    expected = sklearn_learning_curve(pipe, X, Y, return_times=True, **kwargs)
    got = model_selection.learning_curve(pipe, X, Y, return_times=True, **kwargs)
    np.testing.assert_array_equal(got[0], expected[0])
    for a, b in zip(got[1:], expected[1:]):
        assert a.shape == b.shape == (2, 3)
    np.testing.assert_allclose(got[1], expected[1], atol=1e-6)
    np.testing.assert_allclose(got[2], expected[2], atol=1e-6)


class ZeroedSoftmax(SoftmaxClassifier):
    """A user's subclass whose ``fit`` changes what trains: batching would skip it."""

    def fit(self, X, y):
        return super().fit(np.zeros_like(X), y)


class HalfPipeline(Pipeline):
    def fit(self, X, y):
        return super().fit(X[: len(X) // 2], y[: len(y) // 2])


class RowCountingEncoder(ConvAETransformer):
    """Its ``transform`` looks at all its rows: not fixed row by row."""

    def transform(self, X):
        return super().transform(X) * len(X)


@pytest.mark.parametrize(
    "estimator",
    [
        make_pipeline(StandardScaler(), SoftmaxClassifier(max_epochs=1, random_state=0)),
        LogisticRegression(max_iter=1000),
        SoftmaxClassifier(max_epochs=1, validation_fraction=0.2, random_state=0),
        ZeroedSoftmax(max_epochs=1, random_state=0),
        HalfPipeline([("clf", SoftmaxClassifier(max_epochs=1, random_state=0))]),
        make_pipeline(
            FrozenEstimator(RowCountingEncoder(max_epochs=0, random_state=0).fit(X)),
            SoftmaxClassifier(max_epochs=1, random_state=0),
        ),
    ],
    ids=[
        "fitted-step",
        "not-skae",
        "validation-split",
        "subclass",
        "pipeline-subclass",
        "encoder-subclass",
    ],
)
def test_learning_curve_falls_back_to_sklearn(estimator, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("batched although it cannot be")

    monkeypatch.setattr(model_selection, "train_batched", refuse)
    kwargs = dict(train_sizes=[60, 120], cv=2)
    got = model_selection.learning_curve(estimator, X, Y, **kwargs)
    expected = sklearn_learning_curve(estimator, X, Y, **kwargs)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


VALUES = {"lr": [1e-3, 1e-2], "weight_decay": [0.0, 0.1], "max_epochs": [1, 2]}


@pytest.mark.parametrize("param", VALUES)
def test_validation_curve_matches_sklearn(frozen_ae, param, monkeypatch):
    """The head's learning rate and weight decay are batched; others go to scikit-learn."""
    pipe = make_pipeline(frozen_ae, SoftmaxClassifier(max_epochs=2, random_state=0))
    param_name, values = "softmaxclassifier__" + param, VALUES[param]
    if param == "max_epochs":
        monkeypatch.setattr(model_selection, "train_batched", None)  # would fail if called
    kwargs = dict(param_name=param_name, param_range=values, cv=2)
    got = model_selection.validation_curve(pipe, X, Y, **kwargs)
    expected = sklearn_validation_curve(pipe, X, Y, **kwargs)
    for a, b in zip(got, expected):
        assert a.shape == b.shape == (2, 2)
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        fit_batched([SoftmaxClassifier(device="cuda")], X, Y, ROWS[:1])


def test_verbose_prints_the_sizes_as_scikit_learn(capsys):
    head = SoftmaxClassifier(max_epochs=1, random_state=0)
    model_selection.learning_curve(head, X, Y, train_sizes=[60, 120], cv=2, verbose=1)
    assert "[learning_curve] Training set sizes: [ 60 120]" in capsys.readouterr().out


def test_empty_param_range_is_a_clear_error():
    with pytest.raises(ValueError, match="param_range is empty"):
        model_selection.validation_curve(
            SoftmaxClassifier(), X, Y, param_name="lr", param_range=[], cv=2
        )
