"""Graph heads on degenerate graphs: several components, exact duplicates, extreme scales."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from skae.semi_supervised import GraphClassifier, PseudoLabelClassifier

pytest.importorskip("graphlearning")

HEADS = {  # every graph head: Poisson learning by each solver, Laplace learning
    "poisson": {"method": "poisson"},
    "poisson_cg": {"method": "poisson", "solver": "conjugate_gradient"},
    "laplace": {"method": "laplace"},
}


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
    assert np.array_equal(model.predict(X), model.transduction_)  # a node: its own label
    return model


def fit_warned(model, X, y, match):
    """Fit expecting a UserWarning matching ``match`` (``None``: no warning at all)."""
    if match is None:
        return fit_quietly(model, X, y)
    with pytest.warns(UserWarning, match=match):
        model.fit(X, y)
    check_finite_and_own_labels(model, X, y)
    return model


def check_finite_and_own_labels(model, X, y):
    labeled = y != -1
    assert np.array_equal(model.transduction_[labeled], y[labeled])
    assert np.isfinite(model.label_scores_).all()
    assert np.isfinite(model.predict_proba(X)).all()


@pytest.mark.parametrize("method", HEADS)
def test_each_component_gets_its_labels_answer(method):
    """Two blobs 10 apart (two components), one label each: every sample right."""
    X, truth = blobs(0, 10)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    model = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    assert (model.transduction_ == truth).mean() == 1.0
    assert model.score(X, truth) == 1.0


@pytest.mark.parametrize("method", HEADS)
def test_components_are_solved_as_separate_graphs(method):
    """Two far-apart pairs of touching blobs, labels unbalanced differently in each pair:
    the joint fit gives each pair exactly what a fit on that pair alone gives (Poisson's
    labels are centred by each component's own mean)."""
    X, blob = blobs(0, 3, 100, 103, n=40)
    y = np.full(len(X), -1)
    y[[0, 1, 2, 40]] = [0, 0, 0, 1]  # first pair: three labels of class 0, one of class 1
    y[[80, 120, 121, 122]] = [0, 1, 1, 1]  # second pair: the other way round
    joint = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    for part in (blob < 2, blob >= 2):
        alone = fit_quietly(GraphClassifier(**HEADS[method]), X[part], y[part])
        assert np.array_equal(joint.transduction_[part], alone.transduction_)
        np.testing.assert_allclose(joint.label_scores_[part], alone.label_scores_, atol=1e-8)
    assert (joint.transduction_ == blob % 2).mean() > 0.9


@pytest.mark.parametrize("method", HEADS)
def test_a_component_without_labels_warns_and_gets_the_most_frequent_label(method):
    X, blob = blobs(0, 10, 20)
    y = np.full(len(X), -1)
    y[[0, 1, 50]] = [0, 0, 1]
    with pytest.warns(UserWarning, match="50 samples are in components .* without a label"):
        model = GraphClassifier(**HEADS[method]).fit(X, y)
    check_finite_and_own_labels(model, X, y)
    assert np.array_equal(model.transduction_, np.r_[np.zeros(50), np.ones(50), np.zeros(50)])
    np.testing.assert_allclose(model.label_scores_[blob == 2], [[2 / 3, 1 / 3]] * 50)


@pytest.mark.parametrize("method", HEADS)
@pytest.mark.parametrize("n", [300, 1200])
def test_a_chain_labeled_at_one_end_goes_to_the_nearer_label(method, n):
    """Labels on the first two nodes only: every node past them is nearer the second. Far
    nodes were once left at 0 (graphlearning's conjugate gradient stops at a residual of
    1e-3, some 30 hops out), and 0 for every class sent them to the first class."""
    X = np.c_[np.arange(float(n)), np.zeros(n)]
    y = np.full(n, -1)
    y[[0, 1]] = [0, 1]
    warning = "would need 1198 steps" if method == "poisson" and n > 1000 else None
    model = fit_warned(GraphClassifier(n_neighbors=2, **HEADS[method]), X, y, warning)
    assert (model.transduction_[1:] == 1).all()


@pytest.mark.parametrize("method", HEADS)
def test_tight_clusters_linked_weakly_go_to_the_nearer_label(method):
    """200 clusters of 10 points (spread 0.01) one unit apart on a line, a label in each of
    the first two: every later cluster is nearer the second label (as an exact solve of
    the Poisson equation says). The random walk's mass underflows to 0 beyond ~170
    clusters though every node is within its steps: solved to convergence, with a warning."""
    rng = np.random.default_rng(0)
    X = np.repeat(np.c_[np.arange(200.0), np.zeros(200)], 10, axis=0)
    X[np.arange(len(X)) % 10 > 0] += rng.normal(0, 0.01, (9 * 200, 2))
    cluster = np.repeat(np.arange(200), 10)
    y = np.full(len(X), -1)
    y[[0, 10]] = [0, 1]
    warning = "underflowed to 0 at 3.. of the 2000 nodes" if method == "poisson" else None
    model = fit_warned(GraphClassifier(**HEADS[method]), X, y, warning)
    assert (model.transduction_[cluster >= 2] == 1).all()


@pytest.mark.parametrize("method", HEADS)
@pytest.mark.parametrize(
    "X, y",
    [
        ([[0], [0], [0], [1], [1], [0.5]], [0, -1, -1, 1, -1, -1]),
        ([[0], [1], [2], [3], [4]], [0, -1, -1, -1, 1]),
    ],
    ids=["copies", "line"],
)
def test_predict_on_training_samples_gives_their_graph_labels(method, X, y):
    """With fewer distinct rows than voters, a vote of everything would overrule the labels."""
    X, y = np.array(X, dtype=float), np.array(y)
    model = GraphClassifier(**HEADS[method]).fit(X, y)
    assert np.array_equal(model.predict(X), model.transduction_)
    assert np.array_equal(model.predict(X)[y != -1], y[y != -1])


@pytest.mark.parametrize("model", [GraphClassifier(**head) for head in HEADS.values()])
def test_string_labels_with_minus_one_for_unlabeled(model):
    """scikit-learn's convention: an object array, the integer -1 for unlabeled samples."""
    X, blob = blobs(0, 10)
    y = np.array(["left", "right"], dtype=object)[blob]
    y[np.r_[5:50, 55:100]] = -1
    model = fit_quietly(model, X, y)
    assert list(model.classes_) == ["left", "right"]
    assert (model.transduction_ == np.array(["left", "right"], dtype=object)[blob]).all()
    for strings in (y.astype(str), y.astype(str).astype(object)):  # "-1" is not a class
        with pytest.raises(ValueError, match="the string '-1'.* the integer -1"):
            clone(model).fit(X, strings)


@pytest.mark.parametrize("method", HEADS)
def test_labeled_samples_keep_their_own_label(method):
    """A label of class 1 deep inside many labels of class 0 still reads 1."""
    X, _ = blobs(0, 10)
    y = np.full(100, -1)
    y[:10] = 0
    y[[10, 50]] = 1
    model = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    assert model.transduction_[10] == 1


@pytest.mark.parametrize("method", HEADS)
@pytest.mark.parametrize("copied", [5, 0], ids=["unlabeled", "labeled"])
def test_exact_duplicates_are_neighbours_not_nan(method, copied):
    """n_neighbors + 1 copies of a point made graphlearning's weights 0/0 = NaN."""
    X, truth = blobs(0, 10)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    X = np.r_[X, np.repeat(X[[copied]], 11, axis=0)]
    y, truth = np.r_[y, np.full(11, -1)], np.r_[truth, np.zeros(11, int)]
    model = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    assert (model.transduction_ == truth).mean() == 1.0


@pytest.mark.parametrize("method", HEADS)
def test_duplicates_connected_to_both_classes(method):
    """Copies in one connected graph (blobs 3 apart) are samples like the others: the copies
    get their original's label, and the accuracy barely moves (Poisson learning weighs
    density: 98 % right with and without them when written)."""
    X, truth = blobs(0, 3)
    y = np.full(100, -1)
    y[[0, 1, 50, 51]] = [0, 0, 1, 1]
    plain = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    X2 = np.r_[X, np.repeat(X[[5, 50]], 11, axis=0)]  # one unlabeled, one labeled point
    y2 = np.r_[y, np.full(22, -1)]
    model = fit_quietly(GraphClassifier(**HEADS[method]), X2, y2)
    accuracy = (model.transduction_[:100] == truth).mean()
    assert accuracy >= (plain.transduction_ == truth).mean() - 0.03
    assert (model.transduction_[100:111] == model.transduction_[5]).all()
    assert (model.transduction_[111:] == 1).all()


@pytest.mark.parametrize("method", HEADS)
def test_all_identical_points(method):
    """One distinct row labeled 0 and 1: it takes the smaller label, with a warning."""
    X = np.ones((30, 4))
    y = np.full(30, -1)
    y[[0, 1]] = [0, 1]
    with pytest.warns(UserWarning, match="1 distinct rows of X have copies with different"):
        model = GraphClassifier(**HEADS[method]).fit(X, y)
    check_finite_and_own_labels(model, X, y)
    assert (model.transduction_[2:] == 0).all() and (model.predict(X[:3]) == 0).all()


def touching_blobs(n_copies=0, copied=70, label=1):
    """Two touching blobs (5 apart, 60 points each, 3 labels each) and ``n_copies`` more
    copies of sample ``copied``, labeled ``label``."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal([5, 0], 1, (60, 2))]
    y = np.full(120, -1)
    y[[0, 1, 2, 60, 61, 62]] = [0, 0, 0, 1, 1, 1]
    return np.r_[X, np.repeat(X[[copied]], n_copies, 0)], np.r_[y, np.full(n_copies, label)]


@pytest.mark.parametrize("method", HEADS)
@pytest.mark.parametrize(
    "n_copies, copied, label",
    [(10, 70, 1), (30, 70, 1), (30, 70, -1), (30, 0, 0), (100, 60, 1)],
    ids=["10-labeled", "30-labeled", "30-unlabeled", "30-of-a-labeled", "100-of-a-labeled"],
)
def test_copies_do_not_change_the_answer(method, n_copies, copied, label):
    """Copies once weighed: 30 labeled copies of one point of the second blob took Poisson
    learning from 98.3 % to 57.5 % right. The graph is over distinct rows: every number is
    the same, bit for bit, as with one copy, and all copies get that copy's label."""
    X, y = touching_blobs()
    plain = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    assert (plain.transduction_ == np.repeat([0, 1], 60)).mean() == pytest.approx(0.983, abs=1e-3)
    one = fit_quietly(GraphClassifier(**HEADS[method]), *touching_blobs(1, copied, label))
    Xd, yd = touching_blobs(n_copies, copied, label)
    model = fit_quietly(GraphClassifier(**HEADS[method]), Xd, yd)
    np.testing.assert_array_equal(model.label_scores_[:121], one.label_scores_)
    np.testing.assert_array_equal(model.transduction_[:121], one.transduction_)
    assert (model.transduction_[120:] == one.transduction_[120]).all()
    X_test = np.random.default_rng(1).normal([2.5, 0], 2, (200, 2))
    np.testing.assert_array_equal(model.predict_proba(X_test), one.predict_proba(X_test))
    if label == -1 or y[copied] != -1:  # the copies bring no new label
        np.testing.assert_array_equal(one.label_scores_[:120], plain.label_scores_)


@pytest.mark.parametrize("method", HEADS)
def test_every_point_with_many_copies(method):
    """12 copies of every point (>= n_neighbors) once split the graph into one component per
    point (52.5 % right, and a warning of unlabeled components)."""
    X, y = touching_blobs()
    plain = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    model = fit_quietly(GraphClassifier(**HEADS[method]), np.repeat(X, 12, 0), np.repeat(y, 12))
    np.testing.assert_array_equal(model.transduction_, np.repeat(plain.transduction_, 12))
    np.testing.assert_array_equal(model.label_scores_, np.repeat(plain.label_scores_, 12, 0))


def test_conflicting_copies_take_the_most_frequent_label():
    """A row labeled 1 twice and 0 once is labeled 1 in the graph; each labeled copy keeps
    its own label in transduction_, the unlabeled copy gets the row's."""
    X, y = touching_blobs()
    Xd, yd = np.r_[X, X[[0, 0, 0]]], np.r_[y, [1, 1, -1]]  # sample 0 is labeled 0
    with pytest.warns(UserWarning, match="1 distinct rows of X have copies with different"):
        model = GraphClassifier().fit(Xd, yd)
    check_finite_and_own_labels(model, Xd, yd)
    assert model.transduction_[0] == 0 and list(model.transduction_[120:]) == [1, 1, 1]
    y[0] = 1  # the row's label in the graph: everything else is that fit's
    relabeled = fit_quietly(GraphClassifier(), X, y)
    np.testing.assert_array_equal(model.label_scores_[:120], relabeled.label_scores_)
    np.testing.assert_array_equal(model.predict_proba(X), relabeled.predict_proba(X))


@pytest.mark.parametrize(
    "method, scores",
    [
        (
            "poisson_cg",
            [[1.118629232742914, -1.1186292327429146], [-2.0372173270051386, 2.0372173270051412]],
        ),
        (
            "laplace",
            [[0.821773146141422, 0.17822741129128764], [0.07422796014626211, 0.9257726963833696]],
        ),
    ],
)
def test_without_copies_the_answer_is_unchanged(method, scores):
    """Scores of the fit before the graph went over distinct rows (no copies here), by the
    solvers of the time (conjugate gradient since run to a residual of 1e-10, not 1e-3:
    these scores moved by 1e-4)."""
    X, _ = blobs(0, 3, n=20)
    y = np.full(40, -1)
    y[[0, 1, 20]] = [0, 0, 1]
    model = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    assert np.array_equal(model.transduction_, np.repeat([0, 1], 20))
    np.testing.assert_allclose(model.label_scores_[[3, 39]], scores, rtol=1e-12)


@pytest.mark.parametrize("method", HEADS)
@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_extreme_scales_give_the_same_labels(method, scale):
    """kNN graphs and their Gaussian weights are scale-free: no underflow, no overflow."""
    X, truth = blobs(0, 3)
    y = np.full(100, -1)
    y[[0, 50]] = [0, 1]
    plain = fit_quietly(GraphClassifier(**HEADS[method]), X, y)
    scaled = fit_quietly(GraphClassifier(**HEADS[method]), X * scale, y)
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


@pytest.mark.parametrize("method", HEADS)
def test_a_long_chain_is_scored_end_to_end(method):
    """A chain of 3 000 points, a label at each end: the middle is 1 498 steps from a label,
    beyond the random walk's 1 000 (it once scored 998 nodes 0 for every class, which sent
    them to the first class: 1 999 to 1 001); such a component is solved to convergence,
    with a warning."""
    X = np.c_[np.arange(3000.0), np.zeros(3000)]
    y = np.full(3000, -1)
    y[[0, -1]] = [0, 1]
    warning = "would need 1499 steps to reach every node" if method == "poisson" else None
    model = fit_warned(GraphClassifier(n_neighbors=2, **HEADS[method]), X, y, warning)
    assert model.label_scores_.any(1).all()
    assert np.array_equal(model.transduction_, np.repeat([0, 1], 1500))


@pytest.mark.parametrize("method", HEADS)
@pytest.mark.parametrize("n", [120, 401, 1001])
def test_the_random_walk_reaches_every_node_of_a_chain(method, n):
    """Chains whose middle is 60-500 steps from a label, more than the walk's 50 least
    steps: every node is reached and takes its nearer end's label, with no warning."""
    X = np.c_[np.arange(float(n)), np.zeros(n)]
    y = np.full(n, -1)
    y[[0, -1]] = [0, 1]
    model = fit_quietly(GraphClassifier(n_neighbors=2, **HEADS[method]), X, y)
    near = np.arange(n) < (n - 1) / 2
    far = np.arange(n) > (n - 1) / 2
    assert (model.transduction_[near] == 0).all() and (model.transduction_[far] == 1).all()


@pytest.mark.parametrize("method", HEADS)
@pytest.mark.parametrize(
    "X, y",
    [
        ([[0.0], [1.0], [2.0]], [0, -1, 1]),  # the middle node's scores cancel exactly
        ([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0, -1, -1, 1]),  # a square
        ([[0.0], [1.0], [2.0], [100.0], [101.0]], [1, -1, 2, 0, -1]),  # class 0 elsewhere
    ],
)
def test_a_tie_goes_to_a_class_labeled_in_the_component(method, X, y):
    """Symmetric graphs tie a node between the classes labeled around it: the tie is not
    mistaken for an unreached node (no warning), and a class labeled only in another
    component never wins it."""
    X, y = np.array(X), np.array(y)
    n_neighbors = 1 if len(X) == 5 else 2
    model = fit_quietly(GraphClassifier(n_neighbors=n_neighbors, **HEADS[method]), X, y)
    if len(X) == 5:
        assert model.transduction_[1] in (1, 2) and model.transduction_[4] == 0
    else:
        assert set(model.transduction_) <= {0, 1}


@pytest.mark.parametrize("method", HEADS)
@pytest.mark.parametrize("seed", range(3))
def test_nodes_take_only_classes_labeled_in_their_component(method, seed):
    """Five blobs far apart (five components), each labeled with its own random subset of
    four classes: every node's label is one of its component's."""
    rng = np.random.default_rng(seed)
    X, blob = blobs(0, 100, 200, 300, 400, n=30, seed=seed)
    y = np.full(len(X), -1)
    allowed = {}
    for b in range(5):
        classes = rng.choice(4, size=rng.integers(1, 4), replace=False)
        members = rng.choice(np.flatnonzero(blob == b), size=len(classes), replace=False)
        y[members] = classes
        allowed[b] = set(classes)
    model = fit_quietly(GraphClassifier(n_neighbors=5, **HEADS[method]), X, y)
    for b in range(5):
        assert set(model.transduction_[blob == b]) <= allowed[b]


@pytest.fixture(scope="module")
def digits():
    """600 digit images (8x8, in [0, 1]), 5 labels per class, the rest -1."""
    data = load_digits()
    order = np.random.default_rng(0).permutation(len(data.target))[:600]
    images, truth = data.images[order] / 16, data.target[order]
    y = np.full(600, -1)
    labeled = np.concatenate([np.flatnonzero(truth == c)[:5] for c in range(10)])
    y[labeled] = truth[labeled]
    return images, y, truth


@pytest.mark.parametrize("solver, accuracy", [("conjugate_gradient", 0.87), ("random_walk", 0.9)])
@pytest.mark.parametrize("copied", [12, 34], ids=["labeled", "unlabeled"])
def test_copies_of_a_digit_do_not_change_poisson_learning(digits, copied, solver, accuracy):
    """100 copies of one image once took Poisson learning (conjugate gradient) from 87 %
    right to 75 % (a labeled image) or 82 % (an unlabeled one)."""
    images, y, truth = digits
    X = images.reshape(600, -1)
    assert y[copied] == (truth[copied] if copied == 12 else -1)
    Xd, yd = np.r_[X, np.repeat(X[[copied]], 100, 0)], np.r_[y, np.full(100, y[copied])]
    model = fit_quietly(GraphClassifier(solver=solver), Xd, yd)
    assert (model.transduction_[:600] == truth).mean() == pytest.approx(accuracy, abs=1e-3)
    assert model.score(X, truth) == GraphClassifier(solver=solver).fit(X, y).score(X, truth)


@pytest.mark.parametrize("shape", [(8, 8), (1, 8, 8)])
def test_pseudo_labels_from_images(digits, shape):
    """Image-shaped X is flattened as skae's image models do: the same model as from rows."""
    images, y, truth = digits
    X = images.reshape(600, -1)
    model = PseudoLabelClassifier(GraphClassifier(), LogisticRegression())
    flat = clone(model).fit(X, y)
    shaped = model.fit(images.reshape(600, *shape), y)
    assert shaped.n_features_in_ == 64
    np.testing.assert_array_equal(shaped.transduction_, flat.transduction_)
    for X_test in (images.reshape(600, *shape), images, X):
        np.testing.assert_array_equal(shaped.predict_proba(X_test), flat.predict_proba(X))
        assert shaped.score(X_test, truth) == flat.score(X, truth) > 0.85
    with pytest.raises(ValueError, match=r"images of shape \(4, 16\), but .* takes images of"):
        shaped.predict(images.reshape(600, 4, 16))
    with pytest.raises(ValueError, match=r"flatten each sample to one row: X.reshape"):
        model.fit(images.reshape(600, 1, 1, 8, 8), y)


def test_graph_classifier_says_how_to_flatten_images(digits):
    images, y, _ = digits
    message = r"GraphClassifier takes a 2-D array .* X.reshape\(len\(X\), -1\)"
    with pytest.raises(ValueError, match=message):
        GraphClassifier().fit(images, y)
    model = GraphClassifier().fit(images.reshape(600, -1), y)
    with pytest.raises(ValueError, match=message):
        model.predict(images)


@pytest.mark.parametrize("method", HEADS)
def test_training_samples_far_from_the_origin_keep_their_graph_labels(method):
    """A sample of the graph was found by a nearest distance of exactly 0, which the
    |x|^2 - 2xy + |y|^2 distances miss far from the origin (and on some BLAS anywhere):
    labeled samples were outvoted by their neighbours."""
    X, blob = blobs(0, 4)
    X += 3e7  # unit spreads 3e7 from the origin: float64 still holds them to 4e-9
    y = np.full(100, -1)
    y[::7] = blob[::7]
    y[[3, 55]] = 1 - blob[[3, 55]]  # labels against their blob: only their own node keeps them
    model = GraphClassifier(**HEADS[method]).fit(X, y)
    np.testing.assert_array_equal(model.predict(X.copy()), model.transduction_)
    np.testing.assert_array_equal(model.predict(X)[y != -1], y[y != -1])
