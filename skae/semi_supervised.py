"""Semi-supervised classifiers: graph propagation (Laplace, Poisson) and pseudo-labels.

scikit-learn's ``LabelSpreading`` and ``LabelPropagation`` already work after a frozen skae
encoder. Poisson learning (Calder et al. 2020) is far better with very few labels; this
module wraps Jeff Calder's ``graphlearning`` package (``pip install "skae[graph]"``) as a
scikit-learn classifier instead of re-implementing it. ``PseudoLabelClassifier`` turns any
of them into an inductive model: a supervised classifier trained on the labels they infer.
``LadderClassifier`` is the ladder network (Rasmus et al. 2015): a denoising autoencoder
trained jointly with the classifier on labeled and unlabeled samples.
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.metrics import get_scorer
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._base import SEMI_SUPERVISED_DOC_LINK, unchanged_on_error
from skae._checks import (
    LabeledScoreMixin,
    check_semi_supervised_targets,
    flatten_images,
    warn_user,
)
from skae._ladder import LadderClassifier

__all__ = ["GraphClassifier", "LadderClassifier", "PseudoLabelClassifier", "labeled_scorer"]

METHODS = ("laplace", "poisson")
SOLVERS = ("random_walk", "conjugate_gradient")  # graphlearning: "gradient_descent", the same
WALK_STEPS = (50, 1000)  # graphlearning's least and most steps of the random walk
CG_TOL = 1e-10  # the residual at which conjugate gradient stops (graphlearning's conjgrad)


class GraphClassifier(LabeledScoreMixin, ClassifierMixin, BaseEstimator):
    """Laplace or Poisson learning on a k-nearest-neighbour graph of the training samples.

    ``fit(X, y)`` takes every sample, the unlabeled ones marked ``-1`` (scikit-learn's
    semi-supervised convention), builds graphlearning's kNN graph (Gaussian weights, made
    symmetric) and propagates the labels over it: ``transduction_`` holds a label for every
    training sample. ``predict`` on new samples is a majority vote of their
    ``n_neighbors`` nearest training samples' ``transduction_`` labels, so test images
    need not be in the graph (the inductive route); a training sample gets its own label.
    String labels come as an object array with the integer -1 for unlabeled samples.

    Each connected component of the graph is solved on its own, with its own labels (Poisson
    learning centres them by their mean within the component, or its equation has no
    solution there): a component labeled with one class is all that class, one without any
    label gets the class shares of all the labels as scores, so the most frequent labeled
    class, and a warning. A labeled sample keeps its own label in ``transduction_``. The
    graph and the vote are over the distinct rows of ``X``: the exact copies of a row are one
    node, so no answer depends on how many copies a row has. Each copy gets its row's label,
    and a row whose labeled copies disagree takes their most frequent label (ties: the
    smallest), with a warning. The graph and the vote are scale-free, so ``X`` of any finite
    scale (1e-200, 1e200) works. ``X`` is 2-D: flatten images with ``X.reshape(len(X), -1)``.

    Parameters
    ----------
    method : {"poisson", "laplace"}, default="poisson"
        Poisson learning (Calder et al. 2020; robust at a few labels per class) or Laplace
        learning (harmonic extension; Zhu et al. 2003).
    n_neighbors : int, default=10
        Neighbours per node in the graph, and voters in ``predict``.
    solver : {"random_walk", "conjugate_gradient"}, default="random_walk"
        Poisson learning only (Laplace learning ignores it). ``"random_walk"`` is Calder et
        al.'s Algorithm 1 (graphlearning's ``"gradient_descent"``): the random-walk
        iteration, stopped once a walk from the labeled nodes has mixed, which keeps class
        sizes more even. ``"conjugate_gradient"`` solves the Poisson equation to convergence
        (graphlearning's default); on FashionMNIST autoencoder codes it starves some classes
        (the smallest predicted class 0.9-1.3 % of the pool instead of 10 %) and scores
        3.0-4.5 points less at 100-3 000 labels, 0.1-0.4 less on MNIST
        (``benchmarks/poisson_solvers.py``). The walk runs at least until its mass has
        reached every node; a component where that takes more than 1 000 steps (a long
        chain), or where the mass underflows to 0 on the way (tight clusters linked
        weakly), is solved by conjugate gradient instead, with a warning. Conjugate gradient
        runs to a residual of 1e-10 (``poisson``'s 1e-3 leaves far nodes unreached).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels seen among the labeled samples.
    transduction_ : ndarray of shape (n_samples,)
        The label the graph gives each training sample (labeled ones included).
    label_scores_ : ndarray of shape (n_samples, n_classes)
        graphlearning's score of each class for each training sample, always finite;
        ``transduction_`` is the best-scoring class (the labeled samples' own). Not
        probabilities (Poisson scores can be negative), but the margin between a sample's
        two best scores measures how sure the graph is. 0 for the classes without a label in
        the sample's component; in a component without any label, the labels' class shares.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.semi_supervised import GraphClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))]
    >>> y = np.full(100, -1)
    >>> y[[0, 50]] = [0, 1]  # one label per cluster, each cluster its own component
    >>> clf = GraphClassifier().fit(X, y)
    >>> (clf.transduction_ == np.repeat([0, 1], 50)).mean()
    np.float64(1.0)
    """

    _doc_link_module = "skae"
    _doc_link_template = SEMI_SUPERVISED_DOC_LINK

    _parameter_constraints = {
        "method": [StrOptions(set(METHODS))],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS))],
    }
    _expects_pixels = False  # image-shaped X: an error saying how to flatten it

    def __init__(self, method="poisson", n_neighbors=10, solver="random_walk"):
        self.method = method
        self.n_neighbors = n_neighbors
        self.solver = solver

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Propagate the labels of ``y`` (``-1``: unlabeled) over the kNN graph of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All samples, labeled and unlabeled.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks an unlabeled sample.

        Returns
        -------
        self : GraphClassifier
        """
        with unchanged_on_error(self):
            return self._fit(X, y)

    def _fit(self, X, y):
        gl = _import_graphlearning()
        X, y = validate_data(self, flatten_images(self, X, None)[0], y, dtype=np.float64)
        labeled = np.flatnonzero(check_semi_supervised_targets(y))
        self.classes_ = np.unique(y[labeled])
        if len(self.classes_) < 2:
            raise ValueError(
                f"GraphClassifier needs labeled samples (y != -1) of at least 2 classes; "
                f"got {len(labeled)} labeled of {len(self.classes_)} class(es)."
            )
        rows, inverse = _unique_rows(X)
        counts = np.zeros((len(rows), len(self.classes_)), dtype=int)
        np.add.at(counts, (inverse[labeled], np.searchsorted(self.classes_, y[labeled])), 1)
        conflicting = ((counts > 0).sum(1) > 1).sum()
        if conflicting:
            warn_user(
                f"{conflicting} distinct rows of X have copies with different labels; in the "
                "graph each takes its copies' most frequent label (ties: the smallest).",
                UserWarning,
            )
        labeled_rows = np.flatnonzero(counts.any(1))
        codes = counts[labeled_rows].argmax(1)
        k = min(self.n_neighbors, len(rows) - 1)
        self._exponent = np.frexp(np.abs(X).max())[1]  # scaling by 2**-exponent is exact
        rows = np.ldexp(rows, -self._exponent)  # and keeps squared distances in range
        graph = _knn_graph(gl, rows, k)
        component = connected_components(graph, directed=False)[1]
        shares = np.bincount(codes, minlength=len(self.classes_)) / len(codes)
        scores = np.tile(shares, (len(rows), 1))  # components without a label
        labeled_here = np.ones_like(scores, dtype=bool)  # the classes a node may take
        for c in np.unique(component[labeled_rows]):
            nodes = np.flatnonzero(component == c)
            mine = component[labeled_rows] == c
            local = np.searchsorted(nodes, labeled_rows[mine])
            scores[nodes] = self._propagate(gl, graph[nodes][:, nodes], local, codes[mine])
            labeled_here[nodes] = np.isin(np.arange(len(self.classes_)), codes[mine])
        alone = ~np.isin(component, component[labeled_rows])[inverse]
        if alone.any():
            warn_user(
                f"{alone.sum()} samples are in components of the kNN graph without a label; "
                "they get the most frequent label. Label one in each component, or raise "
                "n_neighbors.",
                UserWarning,
            )
        _check_finite(scores, f"{self.method} learning's scores")
        # a class without a label in the component scores 0 there: it never wins a tie
        best = np.where(labeled_here, scores, -np.inf).argmax(1)
        self._pool_labels = self.classes_[best]  # one per distinct row
        self._pool_labels[labeled_rows] = self.classes_[codes]
        self.label_scores_ = scores[inverse]
        self.transduction_ = self._pool_labels[inverse]
        self.transduction_[labeled] = y[labeled]
        # brute force: what "auto" picks from 16 features on, exact like a tree, and an
        # array in a model file; the KD-tree of fewer features is a type skops distrusts
        self._neighbors = NearestNeighbors(n_neighbors=max(k, 1), algorithm="brute").fit(rows)
        return self

    def _propagate(self, gl, graph, labeled, codes):
        """Class scores of the nodes of a connected ``graph`` from the labels ``codes``."""
        scores = np.zeros((graph.shape[0], len(self.classes_)))
        present = np.unique(codes)
        if len(present) == 1:  # the one class's harmonic extension; Poisson would give 0
            scores[:, present] = 1
        elif len(labeled) == len(scores):  # nothing to solve
            scores[labeled, codes] = 1
        else:
            labels = np.searchsorted(present, codes)
            scores[:, present] = self._solve(gl, graph, labeled, labels)
        return scores

    def _solve(self, gl, graph, labeled, labels):
        """Scores of ``labels`` (indices into the present classes) on a connected ``graph``."""
        if self.method == "laplace":
            return gl.ssl.laplace(graph).fit(labeled, labels)
        if self.solver == "conjugate_gradient":
            return _poisson_converged(gl, graph, labeled, labels)
        least, most = WALK_STEPS
        # the walk reaches a node d hops from the nearest label after d + 1 steps
        hops = dijkstra(graph, directed=False, unweighted=True, indices=labeled, min_only=True)
        steps = int(hops.max()) + 1
        if steps > most:
            warn_user(
                f"The random walk would need {steps} steps to reach every node of a component "
                f"of {graph.shape[0]} nodes, more than its {most} (a long, thin kNN graph); "
                "that component is solved to convergence instead (solver='conjugate_gradient').",
                UserWarning,
            )
            return _poisson_converged(gl, graph, labeled, labels)
        walk = gl.ssl.poisson(
            graph, solver="gradient_descent", min_iter=max(least, steps), max_iter=most
        ).fit(labeled, labels)
        zero = ~walk.any(1)  # an exact tie, or a node the walk's mass reached only below 1e-308
        if not zero.any():
            return walk
        converged = _poisson_converged(gl, graph, labeled, labels)
        if np.array_equal(zero, ~converged.any(1)):  # ties in both: the walk's answer stands
            return walk
        warn_user(
            f"The random walk's scores underflowed to 0 at {zero.sum()} of the "
            f"{graph.shape[0]} nodes of a component (weak links between tight clusters); "
            "that component is solved to convergence instead (solver='conjugate_gradient').",
            UserWarning,
        )
        return converged

    def predict_proba(self, X):
        """Share of each class among the nearest training samples' propagated labels; a
        sample equal to a training sample (a node of the graph) has that node's label alone,
        so ``predict`` on the training samples gives their ``transduction_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, in the graph or not.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, flatten_images(self, X, None)[0], dtype=np.float64, reset=False)
        X = np.ldexp(X, -self._exponent)
        neighbors = self._neighbors.kneighbors(X, return_distance=False)
        # A sample of the graph: its own label alone. Found by equality, not by a distance of
        # 0: the |x|^2 - 2xy + |y|^2 distances of another BLAS leave ~1e-8 between copies.
        nodes = self._neighbors._fit_X
        for j in range(neighbors.shape[1]):
            node = (X == nodes[neighbors[:, j]]).all(1)
            neighbors[node] = neighbors[node, j : j + 1]
        votes = np.searchsorted(self.classes_, self._pool_labels)[neighbors]
        counts = np.stack([(votes == c).sum(1) for c in range(len(self.classes_))], axis=1)
        return counts / counts.sum(1, keepdims=True)

    def predict(self, X):
        """Majority label among the nearest training samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, in the graph or not.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(1)]


class PseudoLabelClassifier(LabeledScoreMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Train a classifier on the labels a semi-supervised labeler infers for unlabeled samples.

    ``fit(X, y)`` fits a clone of ``labeler`` on every sample (``-1``: unlabeled), takes its
    ``transduction_`` (the labeled samples keep their own labels) and fits a clone of
    ``classifier`` on the samples with those labels: all of them, or with ``keep < 1`` the
    labeled ones and the surest share of each inferred class. ``predict`` is the
    classifier's, so new samples never enter the labeler: the inductive route of graph
    propagation. The labeler and the classifier may see different representations, e.g. a
    graph over frozen codes and a CNN on the pixels. With a ``relabeler``, a second round
    (Iscen et al. 2019): the relabeler propagates ``y`` over the first classifier's own
    features (its ``transform``), and a fresh classifier is trained on those labels. NaN or
    infinity in the labeler's labels or class scores, or in the classifier's predictions,
    raises a ``ValueError`` rather than becoming a label. Image-shaped ``X``, ``(n, H, W)`` or
    ``(n, C, H, W)``, is flattened to rows, as skae's image models do; the labeler and the
    classifier see the rows (give a :class:`~skae.CNNClassifier` its ``image_shape``).

    Parameters
    ----------
    labeler : estimator
        Semi-supervised estimator with ``transduction_`` after ``fit(X, y)``
        (:class:`GraphClassifier`, ``LabelSpreading``), or a ``Pipeline`` ending in one.
    classifier : estimator
        Supervised classifier trained on the pseudo-labelled samples.
    keep : float in (0, 1], default=1.0
        Share of the unlabeled samples of each inferred class the classifier is trained on,
        the ones with the widest margin between the labeler's two best class scores
        (``label_scores_`` of :class:`GraphClassifier`, ``label_distributions_`` of
        ``LabelSpreading``). Fewer labels, fewer of them wrong: from 1 000 MNIST labels,
        Poisson learning labels 96.3 % of the pool right, 99.3 % of its surest 80 %; but
        the hard samples go too, and a CNN trained on those 80 % scores 95.8 % on the test
        images against 97.05 % trained on all (``benchmarks/pseudo_label_cnn.py``; these
        figures with ``solver="conjugate_gradient"``).
    relabeler : estimator or None, default=None
        Semi-supervised estimator (as ``labeler``) for the second round, fitted on
        ``classifier_.transform(X)`` of the first; ``None``: one round. E.g.
        ``make_pipeline(PCA(50), GraphClassifier())`` after a :class:`~skae.CNNClassifier`:
        from 1 000 MNIST labels, Poisson learning on the CNN's features labels 97.68 % of
        the pool right (96.3 % on the autoencoder's codes) and the second CNN scores
        97.84 % (97.05 % after one round).

    Attributes
    ----------
    labeler_ : estimator
        The fitted clone of ``labeler``.
    relabeler_ : estimator
        The fitted clone of ``relabeler`` (only with one).
    classifier_ : estimator
        The fitted clone of ``classifier``.
    transduction_ : ndarray of shape (n_samples,)
        The labeler's labels of all samples (labeled ones keep their own).
    kept_ : ndarray of shape (n_samples,), dtype=bool
        The samples ``classifier_`` was trained on.
    classes_ : ndarray of shape (n_classes,)
        Labels known to the classifier.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import SVC
    >>> from skae.semi_supervised import GraphClassifier, PseudoLabelClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))]
    >>> y = np.full(100, -1)
    >>> y[[0, 50]] = [0, 1]  # one label per cluster
    >>> clf = PseudoLabelClassifier(GraphClassifier(), SVC()).fit(X, y)
    >>> clf.predict([[0.5, 0.0], [5.5, 6.0]])
    array([0, 1])
    """

    _doc_link_module = "skae"
    _doc_link_template = SEMI_SUPERVISED_DOC_LINK

    _parameter_constraints = {
        "labeler": [HasMethods(["fit"])],
        "classifier": [HasMethods(["fit", "predict"])],
        "keep": [Interval(Real, 0, 1, closed="right")],
        "relabeler": [HasMethods(["fit"]), None],
    }
    _expects_pixels = True  # image-shaped X is flattened, as skae's image models do

    def _validate(self, X, *y, reset=False):
        """``X`` (and ``y``) as ``validate_data`` gives them, image-shaped ``X`` flattened."""
        X, found = flatten_images(self, X, None if reset else self._image_shape)
        if reset:
            self._image_shape = found
        return validate_data(self, X, *y, reset=reset)

    def __init__(self, labeler, classifier, keep=1.0, relabeler=None):
        self.labeler = labeler
        self.classifier = classifier
        self.keep = keep
        self.relabeler = relabeler

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Label the unlabeled samples of ``y`` (``-1``), then train the classifier on all.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or images (n_samples, [C,] H, W)
            All samples, labeled and unlabeled.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks an unlabeled sample.

        Returns
        -------
        self : PseudoLabelClassifier
        """
        with unchanged_on_error(self):
            return self._fit(X, y)

    def _fit(self, X, y):
        X, y = self._validate(X, y, reset=True)
        check_semi_supervised_targets(y)
        if self.relabeler is not None and not hasattr(self.classifier, "transform"):
            raise ValueError(
                f"relabeler needs the classifier's features; "
                f"{type(self.classifier).__name__} has no transform."
            )
        self.labeler_ = self._train(self.labeler, X, X, y)
        if self.relabeler is not None:
            self.relabeler_ = self._train(self.relabeler, self.classifier_.transform(X), X, y)
        self.classes_ = self.classifier_.classes_
        return self

    def _train(self, labeler, features, X, y):
        """Fit ``labeler`` on ``features``, then ``classifier_`` on ``X`` with its labels."""
        labeler = clone(labeler).fit(features, y)
        last = labeler[-1] if isinstance(labeler, Pipeline) else labeler
        name = type(last).__name__
        scores = getattr(last, "label_scores_", getattr(last, "label_distributions_", None))
        _check_finite(scores, f"{name}'s class scores")
        labeled = y != -1
        inferred = _check_finite(last.transduction_, f"{name}'s transduction_")
        self.transduction_ = np.where(labeled, y, inferred)
        self.kept_ = kept = labeled | _surest(scores, self.transduction_, self.keep, name)
        self.classifier_ = clone(self.classifier).fit(X[kept], self.transduction_[kept])
        return labeler

    def predict(self, X):
        """The classifier's labels for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or images (n_samples, [C,] H, W)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        y = self.classifier_.predict(self._validate(X))
        return _check_finite(y, f"{type(self.classifier_).__name__}'s predictions")

    @available_if(lambda self: hasattr(self.classifier, "predict_proba"))
    def predict_proba(self, X):
        """The classifier's class probabilities for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or images (n_samples, [C,] H, W)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        proba = self.classifier_.predict_proba(self._validate(X))
        return _check_finite(proba, f"{type(self.classifier_).__name__}'s probabilities")


def labeled_scorer(scoring="accuracy"):
    """A scorer of the labeled samples only (``y != -1``), for semi-supervised ``y``.

    scikit-learn's scorers compare the predictions with every entry of ``y``, so each -1
    (no label) counts as a wrong prediction: ``scoring="accuracy"`` in ``GridSearchCV`` or
    ``cross_validate`` on semi-supervised ``y`` would rank candidates by their unlabeled
    samples. The semi-supervised classifiers' own ``score`` (``scoring=None``) already counts
    labeled samples only; this gives any other metric the same treatment.

    Parameters
    ----------
    scoring : str or callable, default="accuracy"
        A scikit-learn scorer name (``"f1_macro"``, ``"neg_log_loss"``...) or a scorer
        ``(estimator, X, y) -> float``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``: ``scoring`` on the rows of ``X`` whose ``y`` is not -1.

    Raises
    ------
    ValueError
        When called on a ``y`` that holds only -1, or an unknown ``scoring`` name.

    Notes
    -----
    ``cross_val_predict(..., method="predict_proba")`` encodes ``y`` before fitting, so
    the -1 becomes a class the classifier learns: use ``method="predict"`` on
    semi-supervised ``y``, or fit on each split yourself.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import get_scorer
    >>> from skae.semi_supervised import GraphClassifier, labeled_scorer
    >>> X = np.r_[np.zeros((20, 2)), np.ones((20, 2))] + np.arange(40)[:, None] / 400
    >>> y = np.full(40, -1)
    >>> y[[0, 1, 20, 21]] = [0, 0, 1, 1]
    >>> clf = GraphClassifier(n_neighbors=5).fit(X, y)
    >>> round(get_scorer("f1_macro")(clf, X, y), 2)  # each -1 a wrong prediction
    0.12
    >>> labeled_scorer("f1_macro")(clf, X, y)
    1.0
    """
    if scoring is None:
        raise ValueError(
            "scoring=None: the semi-supervised classifiers' own score already counts the "
            "labeled samples only; name a metric (e.g. 'f1_macro') or pass a scorer."
        )
    scorer = get_scorer(scoring)

    def score(estimator, X, y, sample_weight=None, **kwargs):
        labeled = np.flatnonzero(check_semi_supervised_targets(y))
        if not len(labeled):
            raise ValueError("The scorer needs labeled samples: y holds only -1 (unlabeled).")
        if sample_weight is not None:  # weights of the labeled rows, as score takes them
            kwargs["sample_weight"] = _safe_indexing(sample_weight, labeled)
        return scorer(estimator, _safe_indexing(X, labeled), _safe_indexing(y, labeled), **kwargs)

    return score


def _check_finite(values, what):
    """``values``, after checking that they hold no NaN or infinity (``what``: their name)."""
    if np.asarray(values).dtype.kind in "fc" and not np.isfinite(values).all():
        raise ValueError(f"{what} hold NaN or infinite values; no label can be read from them.")
    return values


def _surest(scores, labels, keep, name):
    """Mask of the ``keep`` share of each inferred class with the widest score margins."""
    if keep == 1:
        return np.ones(len(labels), dtype=bool)
    if scores is None:
        raise ValueError(
            f"keep={keep} needs class scores from the labeler (label_scores_ or "
            f"label_distributions_); {name} has neither."
        )
    best_two = np.sort(scores, axis=1)[:, -2:]
    margin = best_two[:, 1] - best_two[:, 0]
    surest = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        surest[members[margin[members] >= np.quantile(margin[members], 1 - keep)]] = True
    return surest


def _unique_rows(X):
    """The distinct rows of ``X`` in order of first occurrence, and each row's index among them."""
    _, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=int)
    rank[np.argsort(first)] = np.arange(len(first))
    return X[np.sort(first)], rank[inverse.ravel()]


def _poisson_converged(gl, graph, labeled, labels):
    """Poisson learning solved by conjugate gradient to graphlearning's own ``conjgrad``
    tolerance (a residual of 1e-10): at ``poisson``'s 1e-3 it stops before the far nodes of a
    long graph are reached (each iteration reaches one hop further) and leaves them at 0."""
    return gl.ssl.poisson(graph, solver="conjugate_gradient", tol=CG_TOL).fit(labeled, labels)


def _knn_graph(gl, X, k):
    """graphlearning's symmetric Gaussian kNN weights, neighbours at distance 0 weighing 1.

    graphlearning's ``weightmatrix.knn`` scales each row by the squared distance to the
    ``k``-th neighbour: 0/0 (NaN) when that is 0. The rows are distinct, but a distance may
    still underflow to 0; there the kernel is 1.
    """
    if len(X) == 1:  # no neighbour to search for
        return sparse.csr_matrix((1, 1))
    ind, dist = gl.weightmatrix.knnsearch(X, k + 1)  # self included
    squared = dist**2
    radius = squared[:, -1:]
    weights = np.exp(-4 * squared / np.where(radius > 0, radius, 1))
    rows = np.repeat(np.arange(len(X)), ind.shape[1])
    graph = sparse.csr_matrix((weights.ravel(), (rows, ind.ravel())), shape=(len(X),) * 2)
    graph = (graph + graph.T) / 2
    graph.setdiag(0)
    graph.eliminate_zeros()
    return graph


def _import_graphlearning():
    try:
        import graphlearning
    except ImportError as error:
        raise ImportError(
            'GraphClassifier needs graphlearning: pip install "skae[graph]" '
            "(graphlearning and annoy)."
        ) from error
    return graphlearning
