"""Learning and validation curves whose small neural fits train as one batched computation.

:func:`learning_curve` has the signature and the return values of
:func:`sklearn.model_selection.learning_curve`. When the estimator is a
:class:`~skae.SoftmaxClassifier` or a :class:`~skae.CNNClassifier`, or a ``Pipeline`` that ends
in one after fixed steps (``FrozenEstimator``, stateless transformers), the fixed steps
transform ``X`` once and every (train size x split) model trains in one batched computation
(``skae._batched``). Any other estimator goes to scikit-learn's function unchanged.
"""

import time

import numpy as np
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.model_selection import learning_curve as sklearn_learning_curve
from sklearn.model_selection import validation_curve as sklearn_validation_curve
from sklearn.model_selection._validation import _translate_train_sizes  # sklearn's own rules
from sklearn.utils import _safe_indexing, check_random_state, indexable

from ._batched import fit_batched, fixed_transform, split_fixed_steps

__all__ = ["learning_curve", "validation_curve"]


def learning_curve(
    estimator,
    X,
    y,
    *,
    groups=None,
    train_sizes=np.linspace(0.1, 1.0, 5),
    cv=None,
    scoring=None,
    exploit_incremental_learning=False,
    n_jobs=None,
    pre_dispatch="all",
    verbose=0,
    shuffle=False,
    random_state=None,
    error_score=np.nan,
    return_times=False,
    params=None,
):
    """Learning curve, with all neural fits of skae's classifiers trained as one computation.

    Parameters and return values are those of :func:`sklearn.model_selection.learning_curve`;
    the differences are in how the fits run:

    - each fitted model is the one a lone ``fit`` with the same ``random_state`` makes (up to
      float rounding, and dropout masks, which come from one shared generator);
    - ``fit_times`` is the batched computation's time divided among its models, plus the
      fixed steps' transform time divided the same way;
    - ``n_jobs``, ``pre_dispatch`` and ``error_score`` apply only to scikit-learn's route: the
      batched computation runs in this process on torch's threads (or on the estimator's
      ``device``), and an error in it is raised.

    Estimators it cannot batch (anything else, a validation split, an optimizer class, fit
    ``params``, ``exploit_incremental_learning``) go to scikit-learn's function unchanged.

    Parameters
    ----------
    estimator : estimator
        A :class:`~skae.SoftmaxClassifier`, :class:`~skae.CNNClassifier`, or a ``Pipeline``
        ending in one after fixed steps, to batch; anything else, as in scikit-learn.
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Labels.
    groups, train_sizes, cv, scoring, exploit_incremental_learning, n_jobs, pre_dispatch, \
verbose, shuffle, random_state, error_score, return_times, params
        As in :func:`sklearn.model_selection.learning_curve`.

    Returns
    -------
    train_sizes_abs : ndarray of shape (n_unique_ticks,)
        Numbers of training examples used.
    train_scores : ndarray of shape (n_ticks, n_cv_folds)
        Scores on the training subsets.
    test_scores : ndarray of shape (n_ticks, n_cv_folds)
        Scores on the test folds.
    fit_times : ndarray of shape (n_ticks, n_cv_folds)
        Seconds spent fitting (only with ``return_times=True``).
    score_times : ndarray of shape (n_ticks, n_cv_folds)
        Seconds spent scoring (only with ``return_times=True``).

    Examples
    --------
    >>> import numpy as np
    >>> from skae import SoftmaxClassifier
    >>> from skae.model_selection import learning_curve
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((120, 8), dtype=np.float32)
    >>> y = (X[:, 0] > 0.5).astype(int)
    >>> sizes, train, test = learning_curve(
    ...     SoftmaxClassifier(max_epochs=5, random_state=0), X, y, train_sizes=[20, 60], cv=3
    ... )
    >>> sizes, test.shape
    (array([20, 60]), (2, 3))
    """
    fixed_steps, head = split_fixed_steps(estimator)
    if head is None or exploit_incremental_learning or params:
        return sklearn_learning_curve(
            estimator, X, y, groups=groups, train_sizes=train_sizes, cv=cv, scoring=scoring,
            exploit_incremental_learning=exploit_incremental_learning, n_jobs=n_jobs,
            pre_dispatch=pre_dispatch, verbose=verbose, shuffle=shuffle,
            random_state=random_state, error_score=error_score, return_times=return_times,
            params=params,
        )  # fmt: skip
    X, y, groups = indexable(X, y, groups)
    cv = check_cv(cv, y, classifier=True)
    splits = list(cv.split(X, y, groups))
    if shuffle:  # as scikit-learn shuffles: one generator, split after split
        rng = check_random_state(random_state)
        splits = [(rng.permutation(train), test) for train, test in splits]
    sizes = _translate_train_sizes(train_sizes, len(splits[0][0]))
    fits = [(clone(head), train[:size], test) for train, test in splits for size in sizes]
    scorer = check_scoring(estimator, scoring)
    train_scores, test_scores, fit_times, score_times = _fit_and_score(
        fixed_steps, fits, X, y, scorer, len(splits), verbose
    )
    if return_times:
        return sizes, train_scores, test_scores, fit_times, score_times
    return sizes, train_scores, test_scores


def validation_curve(
    estimator,
    X,
    y,
    *,
    param_name,
    param_range,
    groups=None,
    cv=None,
    scoring=None,
    n_jobs=None,
    pre_dispatch="all",
    verbose=0,
    error_score=np.nan,
    params=None,
):
    """Validation curve over a skae head's learning rate or weight decay, trained as one.

    Parameters and return values are those of :func:`sklearn.model_selection.validation_curve`.
    When ``param_name`` is the ``lr`` or ``weight_decay`` of a batchable estimator (a
    :class:`~skae.SoftmaxClassifier` or :class:`~skae.CNNClassifier`, alone or as the last step
    of a ``Pipeline`` after fixed steps: ``"lr"`` or ``"<step>__lr"``), every (value x split)
    model trains in one batched computation, as in :func:`learning_curve`; anything else goes
    to scikit-learn's function unchanged.

    Parameters
    ----------
    estimator : estimator
        See :func:`learning_curve`.
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Labels.
    param_name : str
        Parameter to vary; batched when it is the head's learning rate or weight decay.
    param_range : array-like of shape (n_values,)
        Its values.
    groups, cv, scoring, n_jobs, pre_dispatch, verbose, error_score, params
        As in :func:`sklearn.model_selection.validation_curve`.

    Returns
    -------
    train_scores : ndarray of shape (n_values, n_cv_folds)
        Scores on the training folds.
    test_scores : ndarray of shape (n_values, n_cv_folds)
        Scores on the test folds.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import SoftmaxClassifier
    >>> from skae.model_selection import validation_curve
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((90, 8), dtype=np.float32)
    >>> y = (X[:, 0] > 0.5).astype(int)
    >>> train, test = validation_curve(
    ...     SoftmaxClassifier(max_epochs=5, random_state=0), X, y,
    ...     param_name="lr", param_range=[1e-3, 1e-2, 1e-1], cv=3,
    ... )
    >>> test.shape
    (3, 3)
    """
    fixed_steps, head = split_fixed_steps(estimator)
    last_step = estimator.steps[-1][0] + "__" if fixed_steps else ""
    name = param_name.removeprefix(last_step)
    batched = name in ("lr", "weight_decay") and param_name == last_step + name
    if head is None or not batched or params:
        return sklearn_validation_curve(
            estimator, X, y, param_name=param_name, param_range=param_range, groups=groups,
            cv=cv, scoring=scoring, n_jobs=n_jobs, pre_dispatch=pre_dispatch, verbose=verbose,
            error_score=error_score, params=params,
        )  # fmt: skip
    X, y, groups = indexable(X, y, groups)
    splits = list(check_cv(cv, y, classifier=True).split(X, y, groups))
    fits = [
        (clone(head).set_params(**{name: value}), train, test)
        for train, test in splits
        for value in param_range
    ]
    scorer = check_scoring(estimator, scoring)
    return _fit_and_score(fixed_steps, fits, X, y, scorer, len(splits), verbose)[:2]


def _fit_and_score(fixed_steps, fits, X, y, scorer, n_splits, verbose):
    """Train the heads of ``fits`` (head, train rows, test rows) as one batch and score them.

    ``fits`` runs split by split. Returns train scores, test scores, fit times and score
    times, each of shape ``(fits per split, n_splits)``. A fit's time is its share of the
    fixed steps' transform and of the batched training.
    """
    start = time.perf_counter()
    features = fixed_transform(fixed_steps, X)
    heads = [head for head, _, _ in fits]
    fit_batched(heads, features, y, [train for _, train, _ in fits], verbose=verbose)
    fit_time = (time.perf_counter() - start) / len(fits)
    results = np.empty((4, len(fits)))
    for i, (head, train, test) in enumerate(fits):
        start = time.perf_counter()  # the fixed steps are done: score the head on features
        results[0, i] = scorer(head, *_rows(features, y, train))
        results[1, i] = scorer(head, *_rows(features, y, test))
        results[3, i] = time.perf_counter() - start
    results[2] = fit_time
    return results.reshape(4, n_splits, -1).transpose(0, 2, 1)


def _rows(X, y, rows):
    return _safe_indexing(X, rows), _safe_indexing(y, rows)
