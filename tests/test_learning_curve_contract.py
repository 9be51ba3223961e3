"""skae's learning_curve / validation_curve keep scikit-learn's contract in the batched route.

Each test runs scikit-learn's own function on the same estimator and data and asserts the
same values, warnings and errors.
"""

import re
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score, f1_score, make_scorer
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold
from sklearn.model_selection import learning_curve as sklearn_learning_curve
from sklearn.model_selection import validation_curve as sklearn_validation_curve
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, Normalizer
from sklearn.utils._param_validation import InvalidParameterError

from skae import CNNClassifier, ConvAETransformer, SoftmaxClassifier, model_selection
from skae._batched import prepare, train_batched

RNG = np.random.default_rng(0)
X = RNG.random((120, 784), dtype=np.float32)
Y = (X[:, :392].mean(1) > 0.5) + 2 * (X[:, 392:].mean(1) > 0.5)
SORTED = np.argsort(Y, kind="stable")  # training rows class by class: small sizes miss classes
CV = [(SORTED[:80], SORTED[80:]), (SORTED[40:], SORTED[:40])]


@pytest.fixture(scope="module")
def pipe():
    encoder = ConvAETransformer(max_epochs=0, random_state=0).fit(X[:8])  # a random encoder
    return make_pipeline(FrozenEstimator(encoder), SoftmaxClassifier(max_epochs=2, random_state=0))


def both(function, *args, **kwargs):
    """``function`` of skae and of scikit-learn: their results and their warnings."""
    out = {}
    for name, module in {"skae": model_selection, "sklearn": sklearn.model_selection}.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = getattr(module, function)(*args, **kwargs)
        out[name] = result, [_summary(w) for w in caught]
    return out["skae"], out["sklearn"]


def _summary(warning):
    """A warning's category, its text before the tracebacks and the errors they end with."""
    text = str(warning.message)
    errors = [line for line in text.splitlines() if re.match(r"\w+Error: ", line)]
    return warning.category, text.split("Below")[0].split("Details")[0], errors


def assert_same_results(got, expected, rtol=1e-5):
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6)  # NaN where NaN


def seen_by(log):
    """A scorer recording what it is shown, then scoring corrupted images by accuracy."""

    def scorer(estimator, X, y):
        steps = list(estimator.named_steps)  # a Pipeline, as scikit-learn shows it
        log.append((type(estimator), steps, X.shape, float(X.max()), estimator.n_features_in_))
        return accuracy_score(y, estimator.predict(np.clip(X + 0.3, 0, 1)))

    return scorer


SCORERS = {
    "default": None,
    "accuracy": "accuracy",
    "neg_log_loss": "neg_log_loss",
    "make_scorer": make_scorer(f1_score, average="macro"),
}


@pytest.mark.parametrize("scoring", SCORERS.values(), ids=SCORERS.keys())
def test_scorers_give_sklearns_numbers(pipe, scoring):
    kwargs = dict(train_sizes=[0.5, 1.0], cv=3, scoring=scoring)
    (got, _), (expected, _) = both("learning_curve", pipe, X, Y, **kwargs)
    assert_same_results(got, expected)


def test_accuracy_on_codes_is_accuracy_on_pixels(pipe, monkeypatch):
    """Accuracy is computed on the codes computed once: the numbers of the pixels' route."""
    kwargs = dict(train_sizes=[0.5, 1.0], cv=3)
    fast = model_selection.learning_curve(pipe, X, Y, **kwargs)
    monkeypatch.setattr(model_selection, "_accuracy", lambda *args: False)
    for scoring in [None, "accuracy"]:
        slow = model_selection.learning_curve(pipe, X, Y, scoring=scoring, **kwargs)
        for a, b in zip(fast, slow, strict=True):
            np.testing.assert_array_equal(a, b)


def test_callable_scorer_sees_the_fitted_pipeline_and_raw_rows(pipe):
    """It gets the Pipeline (not its head) and the 784 pixels (not 196 codes)."""
    logs = {"skae": [], "sklearn": []}
    for name, function in [("skae", model_selection), ("sklearn", sklearn.model_selection)]:
        scores = function.learning_curve(
            pipe, X, Y, train_sizes=[0.5, 1.0], cv=2, scoring=seen_by(logs[name])
        )
        logs[name + " scores"] = scores
    assert logs["skae"] == logs["sklearn"]
    assert logs["skae"][0][:3] == (Pipeline, ["frozenestimator", "softmaxclassifier"], (60, 784))
    assert_same_results(logs["skae scores"], logs["sklearn scores"])
    (got, _), (expected, _) = both(
        "validation_curve", pipe, X, Y, param_name="softmaxclassifier__lr",
        param_range=[1e-3, 1e-2], cv=2, scoring=seen_by([]),
    )  # fmt: skip
    assert_same_results(got, expected)


def test_scorer_sees_the_trained_head(pipe):
    """The head inside the scored Pipeline is the lone fit on the fit's training rows."""
    heads = []

    def scorer(estimator, X, y):
        heads.append(estimator[-1])
        return 0.0

    cv = list(KFold(2, shuffle=True, random_state=0).split(X))
    model_selection.learning_curve(pipe, X, Y, train_sizes=[30, 60], cv=cv, scoring=scorer)
    assert heads[::2] == heads[1::2]  # one model, scored on its test then its train rows
    rows = [train[:size] for train, _ in cv for size in (30, 60)]
    for head, train in zip(heads[::2], rows):
        lone = clone(pipe).fit(X[train], Y[train])[-1].net_.module_.state_dict()
        for name, weights in head.net_.module_.state_dict().items():
            np.testing.assert_allclose(weights, lone[name], atol=1e-5)


def test_failed_fits_get_error_score_with_sklearns_warning(pipe):
    """A training set of one class cannot be fitted: NaN and a FitFailedWarning."""
    kwargs = dict(train_sizes=[10, 40], cv=CV)
    (got, warned), (expected, expected_warned) = both("learning_curve", pipe, X, Y, **kwargs)
    assert_same_results(got, expected)
    assert np.isnan(got[1][0]).all() and np.isfinite(got[1][1]).all()
    assert warned == expected_warned
    assert [w[0] for w in warned] == [FitFailedWarning]
    assert "2 fits failed out of a total of 4" in warned[0][1]
    with pytest.warns(FitFailedWarning, match="will be set to -1.0"):
        got = model_selection.learning_curve(pipe, X, Y, error_score=-1.0, **kwargs)
    assert (got[1][0] == -1).all() and (got[2][0] == -1).all()


def test_error_score_raise_raises(pipe):
    with pytest.raises(ValueError, match="at least 2 classes"):
        model_selection.learning_curve(pipe, X, Y, train_sizes=[10, 40], cv=CV, error_score="raise")
    with pytest.raises(InvalidParameterError, match="lr"):
        model_selection.validation_curve(
            pipe, X, Y, param_name="softmaxclassifier__lr", param_range=[1e-2, 0.0], cv=2,
            error_score="raise",
        )  # fmt: skip


@pytest.mark.parametrize("unfitted_encoder", [False, True])
def test_all_fits_failing_raises_as_sklearn(pipe, unfitted_encoder):
    """Every training set of one class, or an encoder that was never fitted."""
    if unfitted_encoder:
        pipe = make_pipeline(FrozenEstimator(ConvAETransformer()), SoftmaxClassifier())
    kwargs = dict(train_sizes=[40, 80] if unfitted_encoder else [5, 10], cv=CV)
    with pytest.raises(ValueError, match="All the 4 fits failed") as expected:
        sklearn_learning_curve(pipe, X, Y, **kwargs)
    with pytest.raises(ValueError, match="All the 4 fits failed") as got:
        model_selection.learning_curve(pipe, X, Y, **kwargs)
    assert str(got.value).split("Below")[0] == str(expected.value).split("Below")[0]
    assert str(got.value).splitlines()[-1] == str(expected.value).splitlines()[-1]


def test_failing_scores_get_error_score_with_sklearns_warning(pipe):
    """neg_log_loss of a model that saw 3 of 4 classes fails on a test fold with all 4."""
    cv = [(np.flatnonzero(Y < 3), np.arange(len(Y)))]
    kwargs = dict(train_sizes=[0.5, 1.0], cv=cv, scoring="neg_log_loss")
    (got, warned), (expected, expected_warned) = both("learning_curve", pipe, X, Y, **kwargs)
    assert_same_results(got, expected)
    assert np.isnan(got[2]).all() and np.isfinite(got[1]).all()
    assert warned == expected_warned
    assert any("Scoring failed" in w[1] for w in warned)


def test_validation_curve_invalid_value_gets_error_score(pipe):
    """lr=0 fails its fits: NaN cells, the others trained, as scikit-learn's (which is silent)."""
    kwargs = dict(param_name="softmaxclassifier__lr", param_range=[1e-2, 0.0, 1e-1], cv=2)
    (got, warned), (expected, expected_warned) = both("validation_curve", pipe, X, Y, **kwargs)
    assert_same_results(got, expected)
    assert np.isnan(got[1][1]).all() and np.isfinite(got[1][[0, 2]]).all()
    assert warned == expected_warned


def test_fit_times_are_each_models_share(pipe):
    """A model's time grows with its steps: no longer one number in every cell."""
    pipe = clone(pipe).set_params(softmaxclassifier__max_epochs=5)
    sizes, *_, fit_times, score_times = model_selection.learning_curve(
        pipe, X, Y, train_sizes=[16, 80], cv=3, return_times=True
    )
    assert fit_times.shape == score_times.shape == (2, 3)
    assert (fit_times[1] > 2 * fit_times[0]).all()  # 5 steps an epoch against 1
    assert (score_times > 0).all()


def test_train_batched_splits_time_by_steps():
    heads = [SoftmaxClassifier(max_epochs=1, random_state=0) for _ in range(3)]
    rows = [np.arange(16), np.arange(40), np.arange(100)]  # 1, 3 and 7 steps an epoch
    seconds = train_batched([prepare(h, X, Y, r) for h, r in zip(heads, rows)], X)
    np.testing.assert_allclose(seconds / seconds[0], [1, 3, 7])


BAD_ARGUMENTS = {
    "shuffle": {"shuffle": "no"},
    "list of scorers": {"scoring": ["accuracy", "f1_macro"]},
    "dict of scorers": {"scoring": {"acc": "accuracy"}},
    "error_score": {"error_score": "nan"},
    "return_times": {"return_times": "yes"},
}


@pytest.mark.parametrize("kwargs", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_arguments_are_checked_as_sklearn(pipe, kwargs):
    with pytest.raises(InvalidParameterError) as expected:
        sklearn_learning_curve(pipe, X, Y, cv=2, **kwargs)
    with pytest.raises(InvalidParameterError) as got:
        model_selection.learning_curve(pipe, X, Y, cv=2, **kwargs)
    assert str(got.value) == str(expected.value)


def test_validation_curve_arguments_are_checked_as_sklearn(pipe):
    kwargs = dict(param_name="softmaxclassifier__lr", param_range=[1e-2], scoring=["accuracy"])
    with pytest.raises(InvalidParameterError) as expected:
        sklearn_validation_curve(pipe, X, Y, **kwargs)
    with pytest.raises(InvalidParameterError) as got:
        model_selection.validation_curve(pipe, X, Y, **kwargs)
    assert str(got.value) == str(expected.value)


def test_groups_with_metadata_routing_behave_as_sklearn(pipe):
    groups = np.arange(len(X)) % 4
    with sklearn.config_context(enable_metadata_routing=True):
        for function in (sklearn_learning_curve, model_selection.learning_curve):
            with pytest.raises(ValueError, match="`groups` can only be passed"):
                function(pipe, X, Y, groups=groups, cv=GroupKFold(2))
        with pytest.raises(ValueError, match="`groups` can only be passed"):
            model_selection.validation_curve(
                pipe, X, Y, param_name="softmaxclassifier__lr", param_range=[1e-2],
                groups=groups, cv=GroupKFold(2),
            )  # fmt: skip
        kwargs = dict(train_sizes=[30, 60], cv=GroupKFold(2), params={"groups": groups})
        (got, _), (expected, _) = both("learning_curve", pipe, X, Y, **kwargs)
    assert_same_results(got, expected)


STEPS = {
    "function of all rows": FunctionTransformer(lambda Z: Z / Z.max()),
    "frozen, not row by row": FrozenEstimator(FunctionTransformer(lambda Z: Z / Z.max())),
}


@pytest.mark.parametrize("step", STEPS.values(), ids=STEPS.keys())
def test_steps_that_may_mix_rows_go_to_sklearn(pipe, step, monkeypatch):
    """``Z / Z.max()`` on all rows is not its value on each training set: not batched."""
    monkeypatch.setattr(model_selection, "train_batched", None)  # would fail if called
    model = Pipeline([*pipe.steps[:-1], ("scale", step), pipe.steps[-1]])
    kwargs = dict(train_sizes=[30, 60], cv=StratifiedKFold(2))
    (got, _), (expected, _) = both("learning_curve", model, X, Y, **kwargs)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_row_by_row_steps_are_batched(pipe):
    model = Pipeline([*pipe.steps[:-1], ("norm", Normalizer()), pipe.steps[-1]])
    kwargs = dict(train_sizes=[30, 60], cv=2)
    (got, _), (expected, _) = both("learning_curve", model, X, Y, **kwargs)
    assert_same_results(got, expected)


def test_cnn_with_dropout_matches_sklearn():
    """Each batched CNN draws its dropout masks as its lone fit does."""
    cnn = CNNClassifier(max_epochs=2, random_state=0)  # dropout=0.2
    kwargs = dict(train_sizes=[40, 80], cv=3, scoring="neg_log_loss")
    (got, _), (expected, _) = both("learning_curve", cnn, X, Y, **kwargs)
    # 2 epochs through vmapped convolutions: their float32 sums, in another order than a
    # lone network's, move a loss by up to 1e-4 on some CPUs (AMD EPYC: 7.8e-5)
    assert_same_results(got, expected, rtol=1e-3)


@pytest.mark.parametrize("image_shape", [(1, 8, 8), None])
@pytest.mark.parametrize("shape", [(8, 8), (1, 8, 8), (2, 4, 8)])
def test_image_shaped_x_gives_sklearns_curves(shape, image_shape):
    """Images are flattened as ``fit`` flattens them; ``None`` resolves from their shape."""
    images = X[:60, :64].reshape(-1, *shape)  # (2, 4, 8): None must not infer (1, 8, 8)
    if image_shape is not None and len(shape) == 3:
        image_shape = shape
    cnn = CNNClassifier(image_shape=image_shape, channels=(4, 4), max_epochs=1, random_state=0)
    (got, warned), (expected, _) = both("learning_curve", cnn, images, Y[:60], cv=3)
    assert_same_results(got, expected)
    assert not warned and not np.isnan(got[2]).any()
    kwargs = dict(param_name="lr", param_range=[1e-3, 1e-2], cv=3)
    (got, _), (expected, _) = both("validation_curve", cnn, images, Y[:60], **kwargs)
    assert_same_results(got, expected)
