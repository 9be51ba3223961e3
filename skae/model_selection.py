"""Learning and validation curves whose small neural fits train as one batched computation.

:func:`learning_curve` has the signature, the argument checks and the return values of
:func:`sklearn.model_selection.learning_curve`. When the estimator is a
:class:`~skae.SoftmaxClassifier` or a :class:`~skae.CNNClassifier`, or a ``Pipeline`` that ends
in one after fixed steps (see :func:`skae._batched.is_fixed`), the fixed steps transform
``X`` once and every (train size x split) model trains in one batched computation
(``skae._batched``); each trained model is then scored as scikit-learn scores it. Any other
estimator goes to scikit-learn's function unchanged.
"""

import time
from traceback import format_exc

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.model_selection import learning_curve as sklearn_learning_curve
from sklearn.model_selection import validation_curve as sklearn_validation_curve
from sklearn.model_selection._validation import (  # sklearn's own rules and messages
    _check_groups_routing_disabled,
    _score,
    _translate_train_sizes,
    _warn_or_raise_about_fit_failures,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state, indexable
from sklearn.utils._param_validation import validate_params

from ._batched import fit_fixed_steps, prepare, split_fixed_steps, train_batched

__all__ = ["learning_curve", "validation_curve"]


@validate_params(
    sklearn_learning_curve._skl_parameter_constraints, prefer_skip_nested_validation=False
)
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

    Parameters, argument checks and return values are those of
    :func:`sklearn.model_selection.learning_curve`; the differences are in how the fits run:

    - each fitted model is the one a lone ``fit`` with the same ``random_state`` makes (up to
      float rounding), dropout masks included;
    - each is scored as scikit-learn scores it: ``scoring`` (or the estimator's ``score``)
      gets the fitted estimator (a clone of ``estimator``, its fixed steps fitted, its head the
      trained one) and the raw rows of ``X``. Accuracy (a plain ``Pipeline``'s ``score``, or
      ``"accuracy"``) is computed on the fixed steps' output already there: the same numbers
      without transforming each model's rows again;
    - a fit that fails before training (an invalid parameter, a training set of one class)
      gets ``error_score`` with scikit-learn's ``FitFailedWarning``, a failing score
      scikit-learn's warning; ``error_score="raise"`` raises. An error in the batched
      training itself is raised;
    - ``fit_times`` is each model's share of the batched computation: the training time of
      the models trained together, split by each model's share of their optimizer steps;
      the fixed steps' transform time, split in proportion; and its own checks;
    - ``n_jobs`` and ``pre_dispatch`` apply only to scikit-learn's route: the batched
      computation runs in this process on torch's threads (or on the estimator's
      ``device``);
    - ``verbose > 0`` prints the training set sizes, then a progress bar per group of
      models trained together (epochs, time left, mean loss) in place of scikit-learn's
      line per fit; the heads' own ``verbose`` is not used;
    - with ``precision="bfloat16"`` (or ``"float16"``) batched and lone fits agree to that
      precision's rounding: a test score may differ by one sample.

    Estimators it cannot batch (anything else, a subclass, which may change ``fit``, a step
    that is not provably row by row such as a ``FunctionTransformer`` with a ``func``, a
    validation split, an optimizer class, fit ``params``, ``exploit_incremental_learning``)
    go to scikit-learn's function unchanged.

    Parameters
    ----------
    estimator : estimator
        A :class:`~skae.SoftmaxClassifier`, :class:`~skae.CNNClassifier`, or a ``Pipeline``
        ending in one after fixed steps, to batch; anything else, as in scikit-learn.
    X : array-like of shape (n_samples, n_features)
        Training data; image models take images too, as their ``fit`` does.
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
    _check_groups_routing_disabled(groups)
    X, y, groups = indexable(X, y, groups)
    cv = check_cv(cv, y, classifier=True)
    check_scoring(estimator, scoring)  # scikit-learn's errors, before any fit
    splits = list(cv.split(X, y, groups))
    sizes = _translate_train_sizes(train_sizes, len(splits[0][0]))
    if verbose > 0:
        print(f"[learning_curve] Training set sizes: {sizes}")  # as scikit-learn says it
    if shuffle:  # as scikit-learn shuffles: one generator, split after split
        rng = check_random_state(random_state)
        splits = [(rng.permutation(train), test) for train, test in splits]
    fits = [(clone(head), train[:size], test) for train, test in splits for size in sizes]
    results = _fit_and_score(estimator, fixed_steps, fits, X, y, scoring, error_score, verbose)
    _warn_or_raise_about_fit_failures(results, error_score)
    keys = ["train_scores", "test_scores", "fit_time", "score_time"][: 4 if return_times else 2]
    return sizes, *(_per_cell(results, key, len(sizes)) for key in keys)


@validate_params(
    sklearn_validation_curve._skl_parameter_constraints, prefer_skip_nested_validation=False
)
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
        Training data; image models take images too, as their ``fit`` does.
    y : array-like of shape (n_samples,)
        Labels.
    param_name : str
        Parameter to vary; batched when it is the head's learning rate or weight decay.
    param_range : array-like of shape (n_values,)
        Its values.
    groups, cv, scoring, n_jobs, pre_dispatch, verbose, error_score, params
        As in :func:`sklearn.model_selection.validation_curve`, with the differences
        :func:`learning_curve` lists.

    Raises
    ------
    ValueError
        ``param_range`` is empty, and scikit-learn's errors for invalid arguments.

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
    if len(param_range) == 0:  # scikit-learn: an IndexError from deep inside
        raise ValueError(f"param_range is empty: give {param_name} at least one value.")
    fixed_steps, head = split_fixed_steps(estimator)
    last_step = estimator.steps[-1][0] + "__" if isinstance(estimator, Pipeline) else ""
    name = param_name.removeprefix(last_step)
    batched = name in ("lr", "weight_decay") and param_name == last_step + name
    if head is None or not batched or params:
        return sklearn_validation_curve(
            estimator, X, y, param_name=param_name, param_range=param_range, groups=groups,
            cv=cv, scoring=scoring, n_jobs=n_jobs, pre_dispatch=pre_dispatch, verbose=verbose,
            error_score=error_score, params=params,
        )  # fmt: skip
    _check_groups_routing_disabled(groups)
    X, y, groups = indexable(X, y, groups)
    cv = check_cv(cv, y, classifier=True)
    check_scoring(estimator, scoring)  # scikit-learn's errors, before any fit
    fits = [
        (clone(head).set_params(**{name: value}), train, test)
        for train, test in cv.split(X, y, groups)
        for value in param_range
    ]
    results = _fit_and_score(estimator, fixed_steps, fits, X, y, scoring, error_score, verbose)
    return tuple(
        _per_cell(results, key, len(param_range)) for key in ("train_scores", "test_scores")
    )


def _fit_and_score(estimator, fixed_steps, fits, X, y, scoring, error_score, verbose):
    """Train the heads of ``fits`` (head, train rows, test rows) as one batch; score each.

    As scikit-learn's ``_fit_and_score``, one result dict a fit: ``fit_error`` (a traceback
    or ``None``), ``train_scores``, ``test_scores``, ``fit_time`` and ``score_time``. A fit
    that fails before training gets ``error_score``; the others are scored by ``scoring`` as
    ``estimator`` fitted on the fit's rows, on the raw rows of ``X``. Accuracy (by name or
    as the default ``score``) is computed by the head on the fixed steps' output instead:
    the same numbers, as those steps transform each row on its own, without transforming
    each model's rows again.
    """
    start = time.perf_counter()
    try:  # the fixed steps fail every fit or none
        steps, features = fit_fixed_steps(fixed_steps, X, y)
    except Exception:
        return [_failed(error_score, time.perf_counter() - start) for _ in fits]
    transform_time = time.perf_counter() - start
    results, prepared = [], {}
    for i, (head, train, _) in enumerate(fits):
        start = time.perf_counter()
        try:
            prepared[i] = prepare(head, features, y, train)
            results.append({"fit_error": None, "fit_time": time.perf_counter() - start})
        except Exception:
            results.append(_failed(error_score, time.perf_counter() - start))
    seconds = train_batched(list(prepared.values()), features, verbose)
    shares = seconds / seconds.sum() if seconds.sum() > 0 else seconds
    on_features = _accuracy(estimator, scoring)
    data = features if on_features else X
    for (i, fit), own, share in zip(prepared.items(), seconds, shares):
        results[i]["fit_time"] += own + share * transform_time
        model = fit.estimator if on_features else _fitted(estimator, steps, fit.estimator)
        results[i].update(_scores(model, scoring, data, y, *fits[i][1:], error_score))
    return results


def _failed(error_score, fit_time):
    """The result of a fit that raised (in an ``except`` block): ``error_score``, or raise."""
    if error_score == "raise":
        raise
    return {
        "fit_error": format_exc(), "fit_time": fit_time, "score_time": 0.0,
        "train_scores": error_score, "test_scores": error_score,
    }  # fmt: skip


def _scores(model, scoring, X, y, train, test, error_score):
    """The test and train scores of a fitted ``model``, as scikit-learn computes them."""
    scorer = check_scoring(model, scoring)
    start = time.perf_counter()
    test_scores = _score(model, *_rows(X, y, test), scorer, None, error_score)
    score_time = time.perf_counter() - start
    train_scores = _score(model, *_rows(X, y, train), scorer, None, error_score)
    return {"test_scores": test_scores, "train_scores": train_scores, "score_time": score_time}


def _accuracy(estimator, scoring):
    """Whether ``scoring`` of ``estimator``, a plain ``Pipeline``, is its head's accuracy."""
    plain = type(estimator) is Pipeline and type(estimator[-1]).score is ClassifierMixin.score
    return plain and scoring in (None, "accuracy")


def _fitted(estimator, steps, head):
    """``estimator`` as fitting it leaves it: ``steps`` (fitted fixed steps), then ``head``."""
    if not isinstance(estimator, Pipeline):
        return head
    model, fitted = clone(estimator), iter([*steps, head])
    model.steps = [
        (name, step if step is None or step == "passthrough" else next(fitted))
        for name, step in model.steps
    ]
    return model


def _per_cell(results, key, n_per_split):
    """``key`` of each result, shaped ``(n_per_split, n_splits)`` as scikit-learn shapes it."""
    return np.asarray([result[key] for result in results]).reshape(-1, n_per_split).T


def _rows(X, y, rows):
    return _safe_indexing(X, rows), _safe_indexing(y, rows)
