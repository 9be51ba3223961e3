"""Graph heads on degenerate graphs: several components, exact duplicates, extreme scales."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from skae.semi_supervised import METHODS, GraphClassifier, PseudoLabelClassifier

pytest.importorskip("graphlearning")


def blobs(*centres, n=50, seed=0):
    """``n`` 2-D Gaussian points (sd 1) around each ``(c, c)``, and their blob's number."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, 1, (n, 2)) for c in centres])
    return X, np.repeat(np.arange(len(centres)), n)


def fit_quietly(model, X, y):
    """Fit, failing on any warning, and check what no graph head may ever give."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y)
    check_finite_and_own_labels(model, X, y)
    return model


def check_finite_and_own_labels(model, X, y):
    labeled = y != -1
    assert np.array_equal(model.transduction_[labeled], y[labeled])
    assert np.isfinite(model.label_scores_).all()
    assert np.isfinite(model.predict_proba(X)).all()


@pytest.mark.parametrize("method", METHODS)
def test_each_component_gets_its_labels_answer(method):
    """Two blobs 10 apart (two components), one label each: every sample right."""
    X, truth = blobs(0, 10)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    model = fit_quietly(GraphClassifier(method=method), X, y)
    assert (model.transduction_ == truth).mean() == 1.0
    assert model.score(X, truth) == 1.0


@pytest.mark.parametrize("method", METHODS)
def test_components_are_solved_as_separate_graphs(method):
    """Two far-apart pairs of touching blobs, labels unbalanced differently in each pair:
    the joint fit gives each pair exactly what a fit on that pair alone gives (Poisson's
    labels are centred by each component's own mean)."""
    X, blob = blobs(0, 3, 100, 103, n=40)
    y = np.full(len(X), -1)
    y[[0, 1, 2, 40]] = [0, 0, 0, 1]  # first pair: three labels of class 0, one of class 1
    y[[80, 120, 121, 122]] = [0, 1, 1, 1]  # second pair: the other way round
    joint = fit_quietly(GraphClassifier(method=method), X, y)
    for part in (blob < 2, blob >= 2):
        alone = fit_quietly(GraphClassifier(method=method), X[part], y[part])
        assert np.array_equal(joint.transduction_[part], alone.transduction_)
        np.testing.assert_allclose(joint.label_scores_[part], alone.label_scores_, atol=1e-8)
    assert (joint.transduction_ == blob % 2).mean() > 0.9


@pytest.mark.parametrize("method", METHODS)
def test_a_component_without_labels_warns_and_gets_the_most_frequent_label(method):
    X, blob = blobs(0, 10, 20)
    y = np.full(len(X), -1)
    y[[0, 1, 50]] = [0, 0, 1]
    with pytest.warns(UserWarning, match="50 samples are in components .* without a label"):
        model = GraphClassifier(method=method).fit(X, y)
    check_finite_and_own_labels(model, X, y)
    assert np.array_equal(model.transduction_, np.r_[np.zeros(50), np.ones(50), np.zeros(50)])
    np.testing.assert_allclose(model.label_scores_[blob == 2], [[2 / 3, 1 / 3]] * 50)


@pytest.mark.parametrize("method", METHODS)
def test_labeled_samples_keep_their_own_label(method):
    """A label of class 1 deep inside many labels of class 0 still reads 1."""
    X, _ = blobs(0, 10)
    y = np.full(100, -1)
    y[:10] = 0
    y[[10, 50]] = 1
    model = fit_quietly(GraphClassifier(method=method), X, y)
    assert model.transduction_[10] == 1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("copied", [5, 0], ids=["unlabeled", "labeled"])
def test_exact_duplicates_are_neighbours_not_nan(method, copied):
    """n_neighbors + 1 copies of a point made graphlearning's weights 0/0 = NaN."""
    X, truth = blobs(0, 10)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    X = np.r_[X, np.repeat(X[[copied]], 11, axis=0)]
    y, truth = np.r_[y, np.full(11, -1)], np.r_[truth, np.zeros(11, int)]
    model = fit_quietly(GraphClassifier(method=method), X, y)
    assert (model.transduction_ == truth).mean() == 1.0


@pytest.mark.parametrize("method", METHODS)
def test_duplicates_connected_to_both_classes(method):
    """Copies in one connected graph (blobs 3 apart) are samples like the others: the copies
    get their original's label, and the accuracy barely moves (Poisson learning weighs
    density: 98 % right with and without them when written)."""
    X, truth = blobs(0, 3)
    y = np.full(100, -1)
    y[[0, 1, 50, 51]] = [0, 0, 1, 1]
    plain = fit_quietly(GraphClassifier(method=method), X, y)
    X2 = np.r_[X, np.repeat(X[[5, 50]], 11, axis=0)]  # one unlabeled, one labeled point
    y2 = np.r_[y, np.full(22, -1)]
    model = fit_quietly(GraphClassifier(method=method), X2, y2)
    accuracy = (model.transduction_[:100] == truth).mean()
    assert accuracy >= (plain.transduction_ == truth).mean() - 0.03
    assert (model.transduction_[100:111] == model.transduction_[5]).all()
    assert (model.transduction_[111:] == 1).all()


@pytest.mark.parametrize("method", METHODS)
def test_all_identical_points(method):
    X = np.ones((30, 4))
    y = np.full(30, -1)
    y[[0, 1]] = [0, 1]
    model = fit_quietly(GraphClassifier(method=method), X, y)
    assert set(model.predict(X)) <= {0, 1}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_extreme_scales_give_the_same_labels(method, scale):
    """kNN graphs and their Gaussian weights are scale-free: no underflow, no overflow."""
    X, truth = blobs(0, 3)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    plain = fit_quietly(GraphClassifier(method=method), X, y)
    scaled = fit_quietly(GraphClassifier(method=method), X * scale, y)
    assert np.array_equal(scaled.transduction_, plain.transduction_)
    X_test = blobs(0, 3, seed=1)[0]
    assert np.array_equal(scaled.predict(X_test * scale), plain.predict(X_test))


def test_non_finite_scores_raise(monkeypatch):
    import graphlearning

    monkeypatch.setattr(graphlearning.ssl.poisson, "fit", lambda self, *a: np.full((99, 2), np.nan))
    X, _ = blobs(0, 3)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    with pytest.raises(ValueError, match="poisson learning's scores hold NaN or infinite"):
        GraphClassifier().fit(X[:99], y[:99])


class NaNLabeler(GraphClassifier):
    def fit(self, X, y):
        super().fit(X, y)
        self.label_scores_[3] = np.nan
        return self


class NaNClassifier(SVC):
    def predict_proba(self, X):
        return np.full((len(X), 2), np.nan)


def test_pseudo_labels_never_come_from_nan():
    X, truth = blobs(0, 10)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    with pytest.raises(ValueError, match="NaNLabeler's class scores hold NaN"):
        PseudoLabelClassifier(NaNLabeler(), SVC()).fit(X, y)
    model = PseudoLabelClassifier(GraphClassifier(), NaNClassifier()).fit(X, y)
    with pytest.raises(ValueError, match="NaNClassifier's probabilities hold NaN"):
        model.predict_proba(X)


def test_pseudo_labels_from_duplicates():
    X, truth = blobs(0, 10)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    X, y = np.r_[X, np.repeat(X[[5]], 11, axis=0)], np.r_[y, np.full(11, -1)]
    model = PseudoLabelClassifier(GraphClassifier(), LogisticRegression()).fit(X, y)
    assert (model.transduction_[:100] == truth).all() and (model.transduction_[100:] == 0).all()
    assert np.isfinite(model.predict_proba(X)).all()
    assert model.score(X[:100], truth) == 1.0
