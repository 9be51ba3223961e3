"""The studies' model cache: a fitted model is reused only if nothing that made it changed."""

import hashlib
import json
import warnings
from pathlib import Path

import joblib

from ._files import write_atomic


def cache_key(estimator, data):
    """Hash of the estimator's class and parameters, its training data's identity, skae's version.

    ``verbose`` is left out: it changes what is printed, not the model. ``precision`` counts
    only when it is not float32, so that models cached before skae had it keep their keys.
    """
    from .. import __version__

    params = estimator.get_params(deep=False)
    if params.get("precision") == "float32":
        del params["precision"]
    description = {
        "estimator": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        "params": {name: repr(value) for name, value in params.items() if name != "verbose"},
        "data": data,
        "skae": __version__,
    }
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]


def fit_cached(estimator, X, *, name, data, folder, verbose=0, fit=True):
    """``estimator`` fitted on ``X``, loaded from ``folder`` when an identical fit is there.

    Parameters
    ----------
    estimator : estimator
        Unfitted; its parameters are part of the key.
    X : array-like
        Training data.
    name : str
        Readable prefix of the file name, ``<name>-<key>.joblib``.
    data : dict
        Identity of the training data (data set, subset, number of images), part of the key.
    folder : path-like
        Cache folder, created if needed.
    verbose : int, default=0
        ``1`` says whether the model was loaded or is being fitted.
    fit : bool, default=True
        ``False``: load only; ``None`` when the cache holds no such fit.

    Returns
    -------
    model : estimator
        The fitted estimator. A new fit is saved atomically; a Ctrl-C during it saves nothing.
        An unreadable cache entry is reported by its path and fitted again.
    """
    path = Path(folder) / f"{name}-{cache_key(estimator, data)}.joblib"
    if path.exists():
        try:
            model = joblib.load(path)
            if verbose:
                print(f"{name}: loaded {path}", flush=True)
            return model
        except Exception as error:  # truncated or foreign file: pickle, EOF, zlib errors...
            warnings.warn(
                f"Cached model {path} is unreadable ({type(error).__name__}: {error})"
                + ("; training it again." if fit else "."),
                UserWarning,
            )
    if not fit:
        if verbose:
            print(f"{name}: not in {path.parent} (this run trains nothing): left out", flush=True)
        return None
    if verbose:
        print(f"{name}: fitting {type(estimator).__name__}, to be cached in {path}", flush=True)
    model = estimator.fit(X)
    path.parent.mkdir(parents=True, exist_ok=True)
    with write_atomic(path, "wb") as file:
        joblib.dump(model, file)
    return model
