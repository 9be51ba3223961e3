"""Model files that load without running code: skops for the estimators, tensors for weights.

``joblib.load`` unpickles, and unpickling runs whatever code the file names: loading a model
from someone else is running their program. :func:`dump` writes a zip archive instead:

- ``skae.json``: what the file is (format version, library versions, number of nets);
- ``estimator.skops``: the estimators, pipelines and scikit-learn objects in skops' format,
  each fitted skae estimator's skorch net (``net_``) left out and replaced by its number;
- ``nets/<i>.pt``: that net's module, optimizer and criterion state dicts (``torch.save``),
  read back with ``torch.load(weights_only=True)``, which builds tensors and nothing else;
- ``nets/<i>.json``: that net's training history.

:func:`load` refuses a file that names any type outside :data:`TRUSTED_TYPES` (skae's
estimators, the torch types their parameters may hold; skops itself trusts scikit-learn's
estimators and numpy's types) and the caller's ``trusted``, before building anything from
it. Then each net is rebuilt from its estimator's parameters, as ``fit`` builds it, and
its weights, optimizer state and history are put back.
"""

import io
import json
import os
import pickle
import re
import zipfile
from contextlib import contextmanager

import numpy as np
import sklearn
import torch
from sklearn.base import BaseEstimator
from skorch.exceptions import DeviceWarning
from skorch.history import History

import skae

from . import semi_supervised
from ._base import TorchEstimator
from ._checks import warn_user

__all__ = ["TRUSTED_TYPES", "UntrustedTypesError", "dump", "load"]

FORMAT, FORMAT_VERSION = "skae.io", 1
MANIFEST, ESTIMATOR = "skae.json", "estimator.skops"
NET_KEY = "_skae_io_net"  # in place of net_ in estimator.skops: the net's number


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


_ESTIMATORS = tuple(  # every public estimator of skae and skae.semi_supervised
    cls
    for module in (skae, semi_supervised)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, BaseEstimator)
    and cls.__module__.startswith("skae.")
)  # fmt: skip
_OPTIMIZERS = tuple(
    cls
    for cls in vars(torch.optim).values()
    if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)
    and cls is not torch.optim.Optimizer
)  # fmt: skip
#: Types :func:`load` trusts beyond skops' own (scikit-learn's estimators, numpy): skae's
#: estimators, ``torch.device`` (the ``device`` parameter) and torch's optimizer classes
#: (the ``optimizer`` parameter). Restoring one runs only its own ``__setstate__`` (or
#: ``torch.device(name)``), which sets attributes.
TRUSTED_TYPES = tuple(sorted(map(_type_name, _ESTIMATORS + _OPTIMIZERS + (torch.device,))))


class UntrustedTypesError(TypeError):
    """A model file names types that are not trusted; nothing from it was built.

    Attributes
    ----------
    types : list of str
        The fully qualified names of the untrusted types.
    """

    def __init__(self, message, types):
        super().__init__(message)
        self.types = types


def dump(estimator, path):
    """Save a skae estimator, a pipeline of them or any scikit-learn model to a safe file.

    Unlike ``joblib.dump``, the file can be loaded without running code from it
    (:func:`load`): the estimators are written in skops' format and the weights as
    tensors. Fitted or not, CPU or GPU, everything round-trips: parameters, fitted
    attributes, weights, optimizer state and training history (``warm_start`` and
    ``partial_fit`` go on as they would have). The state of the skorch callbacks inside
    the net (an ``EarlyStopping``'s counter) is not saved; they start afresh.

    Parameters
    ----------
    estimator : object
        A skae estimator, a ``Pipeline`` or other scikit-learn object holding skae
        estimators (``FrozenEstimator``, ``PseudoLabelClassifier``, a fitted search, a
        ``VotingClassifier``, ``CalibratedClassifierCV``...), or a plain scikit-learn
        model. The nets are taken out wherever they are; the scikit-learn types that skops
        does not trust by default (a search's scorer, a ``Bunch``) are named by the
        warning, and :func:`load` needs them in ``trusted=``.
    path : str, path-like or binary file object
        Where to write; by convention the name ends in ``.skae``.

    Raises
    ------
    TypeError
        An object that skops cannot write, or a net whose state is not all tensors and
        plain values (a custom optimizer's state), or training history values that are
        not numbers, strings or lists of them.

    Warns
    -----
    UserWarning
        When the file names types outside :data:`TRUSTED_TYPES` (skorch callbacks in
        ``callbacks=``, your own classes): :func:`load` needs them in ``trusted=``.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> from pathlib import Path
    >>> from tempfile import mkdtemp
    >>> import numpy as np
    >>> from skae import SoftmaxClassifier
    >>> from skae.io import dump, load
    >>> X = np.random.default_rng(0).random((20, 4), dtype=np.float32)
    >>> y = (X[:, 0] > 0.5).astype(int)
    >>> clf = SoftmaxClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> path = Path(mkdtemp()) / "clf.skae"
    >>> dump(clf, path)
    >>> bool((load(path).predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    sio = _import_skops()
    nets = []
    schema = sio.dumps(_without_nets(estimator, {}, nets))
    _warn_untrusted(sio, schema)
    manifest = _manifest(len(nets))
    buffer = io.BytesIO()  # written whole: a failed dump leaves no half-written file
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        archive.writestr(ESTIMATOR, schema)
        for number, net in enumerate(nets):
            archive.writestr(f"nets/{number}.pt", _state_bytes(net))
            archive.writestr(f"nets/{number}.json", _history_json(net))
    if hasattr(path, "write"):
        path.write(buffer.getvalue())
    else:
        with open(path, "wb") as file:
            file.write(buffer.getvalue())


def load(path, *, trusted=None):
    """Load a model saved by :func:`dump`, running no code from the file.

    The file's types are checked against :data:`TRUSTED_TYPES`, skops' trusted types
    and ``trusted`` before anything is built; weights are read with
    ``torch.load(weights_only=True)``. A model trained on a GPU loads on a machine
    without one: its weights are mapped to the CPU (a ``DeviceWarning`` says so) and its
    ``device`` parameter is kept, so ``get_params`` is unchanged.

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :func:`dump`.
    trusted : list of str or type, default=None
        Types to trust beyond skae's and skops' own: ``skops.io.get_untrusted_types``
        names, such as ``"skorch.callbacks.training.EarlyStopping"`` for a model given
        ``callbacks=[EarlyStopping()]``. Only list types you have reviewed.

    Returns
    -------
    estimator : object
        The model, as it was dumped.

    Raises
    ------
    UntrustedTypesError
        The file names types that are not trusted; the message lists them. Nothing
        from the file was built or imported.
    ValueError
        The file is not one :func:`dump` wrote (a joblib pickle, a plain skops file), or
        it is damaged, or it was written by a newer skae.
    FileNotFoundError
        No file at ``path``.
    ImportError
        skops is not installed (``pip install "skae[io]"``).

    See Also
    --------
    dump : Write the file.

    Examples
    --------
    >>> from pathlib import Path
    >>> from tempfile import mkdtemp
    >>> import numpy as np
    >>> from skae import ConvAETransformer
    >>> from skae.io import dump, load
    >>> X = np.random.default_rng(0).random((10, 64), dtype=np.float32)
    >>> ae = ConvAETransformer(image_shape=(1, 8, 8), max_epochs=1, random_state=0).fit(X)
    >>> path = Path(mkdtemp()) / "ae.skae"
    >>> dump(ae, path)
    >>> loaded = load(path)
    >>> loaded
    ConvAETransformer(image_shape=(1, 8, 8), max_epochs=1, random_state=0)
    >>> bool((loaded.transform(X) == ae.transform(X)).all())
    True
    """
    sio = _import_skops()
    if isinstance(path, (bytes, bytearray, memoryview)):
        raise TypeError(
            "load takes a path or a binary file object, not the file's bytes: "
            "load(io.BytesIO(data))."
        )
    name = str(path) if isinstance(path, (str, os.PathLike)) else "the file"
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        why = "not a zip archive (a joblib or pickle file, or one cut short?)"
        raise ValueError(_not_skae(name, why)) from None
    with archive:
        manifest = _read_manifest(archive, name)
        schema = _read(archive, ESTIMATOR, name)
        try:
            _check_trusted(sio, schema, trusted, name)
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
            raise ValueError(_not_skae(name, f"its {ESTIMATOR} is damaged ({error})")) from None
        estimator = sio.loads(schema, trusted=[*TRUSTED_TYPES, *_type_names(trusted)])
        try:
            _restore_nets(estimator, _NetFiles(archive, manifest["nets"], name), set())
        except UntrustedTypesError:
            raise
        except (
            zipfile.BadZipFile,
            EOFError,
            KeyError,
            TypeError,
            RuntimeError,
            json.JSONDecodeError,
        ) as error:
            # a flipped byte, a foreign or edited net file, weights of another shape
            why = f"its nets are damaged or not this model's ({type(error).__name__}: {error})"
            raise ValueError(_not_skae(name, why)) from error
    return estimator


def _read(archive, member, name):
    """A member's bytes; a failed checksum (a flipped byte) as the damage it is."""
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, EOFError) as error:
        raise ValueError(_not_skae(name, f"its {member} is damaged ({error})")) from None


def _import_skops():
    try:
        import skops.io
    except ImportError as error:
        raise ImportError('skae.io needs skops: pip install "skae[io]".') from error
    return skops.io


def _manifest(n_nets):
    import skops

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "nets": n_nets,
        "versions": {
            "skae": skae.__version__,
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
        },
    }


def _not_skae(name, why):
    return f"{name} is not a model file written by skae.io.dump: {why}."


def _read_manifest(archive, name):
    """``skae.json``, checked: the right format, a version this skae reads."""
    names = set(archive.namelist())
    if MANIFEST not in names:
        hint = "a skops file? Load it with skops.io.load" if "schema.json" in names else ""
        raise ValueError(_not_skae(name, hint or f"it has no {MANIFEST}"))
    try:
        manifest = json.loads(archive.read(MANIFEST))
        valid = manifest["format"] == FORMAT and isinstance(manifest["nets"], int)
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid or ESTIMATOR not in names:
        raise ValueError(_not_skae(name, f"its {MANIFEST} is not skae's, or it is damaged"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{name} is a skae.io file of format version {manifest.get('format_version')!r}; "
            f"this skae ({skae.__version__}) reads version {FORMAT_VERSION}: upgrade skae."
        )
    written, running = manifest.get("versions") or {}, _manifest(0)["versions"]
    other = {k: v for k, v in written.items() if k in running and v != running[k]}
    if other:  # as scikit-learn's InconsistentVersionWarning for its pickles
        warn_user(
            f"{name} was written with {_versions(other)}; this machine has "
            f"{_versions({k: running[k] for k in other})}: the model loads, but its results "
            "may differ.",
            UserWarning,
        )
    return manifest


def _versions(versions):
    return ", ".join(f"{package} {version}" for package, version in versions.items())


def _type_names(types):
    """``trusted`` (None, a name, a type or a list of them) as a list of type names."""
    if types is None:
        return []
    types = [types] if isinstance(types, (str, type)) else types
    if not isinstance(types, (list, tuple, set)) or not all(
        isinstance(t, (str, type)) for t in types
    ):
        raise TypeError(
            f"trusted must be None or a list of type names or types, got {types!r}; "
            "a refused file's error names the types it needs."
        )
    return [t if isinstance(t, str) else _type_name(t) for t in types]


def _untrusted(sio, schema, trusted=()):
    """Names in ``schema`` that neither skops, skae nor ``trusted`` trusts (nothing is built)."""
    allowed = set(TRUSTED_TYPES) | set(trusted)
    return [t for t in sio.get_untrusted_types(data=schema) if t not in allowed]


def _check_trusted(sio, schema, trusted, name):
    untrusted = _untrusted(sio, schema, _type_names(trusted))
    if untrusted:
        raise UntrustedTypesError(
            f"{name} asks for types that skae does not trust: {', '.join(untrusted)}. "
            "Nothing from the file was run. If you know these types and trust the file's "
            f"author, load it with trusted={untrusted!r}.",
            untrusted,
        )


def _warn_untrusted(sio, schema):
    untrusted = _untrusted(sio, schema)
    if untrusted:
        warn_user(
            f"The model holds types skae.io.load does not trust by default: "
            f"{', '.join(untrusted)}; load it with trusted={untrusted!r}.",
            UserWarning,
        )


def _without_nets(obj, memo, nets):
    """``obj`` with each fitted skae estimator's ``net_`` moved into ``nets``.

    Estimators on the way are shallow copies (``obj`` is unchanged); objects without a
    net inside are returned as they are. ``memo`` keeps shared objects shared.
    """
    if id(obj) in memo:
        return memo[id(obj)][1]
    memo[id(obj)] = (obj, obj)  # a cycle back to obj: not expected in estimators
    if type(obj) in (list, tuple):
        items = [_without_nets(item, memo, nets) for item in obj]
        new = obj if all(a is b for a, b in zip(items, obj)) else type(obj)(items)
    elif isinstance(obj, dict):  # a Bunch too (VotingClassifier's named_estimators_)
        items = {key: _without_nets(value, memo, nets) for key, value in obj.items()}
        new = obj if all(items[k] is v for k, v in obj.items()) else _like(obj, items)
    elif isinstance(obj, BaseEstimator) or _holds_estimators(obj):
        new = _estimator_without_net(obj, memo, nets)
    else:
        new = obj
    memo[id(obj)] = (obj, new)  # obj kept alive, so that its id is not reused
    return new


def _holds_estimators(obj):
    """scikit-learn's and skae's other objects with state (a search's ``scorer_``) may hold
    estimators; walked like them."""
    module = type(obj).__module__.split(".")[0]
    return module in ("sklearn", "skae") and hasattr(obj, "__dict__") and not isinstance(obj, type)


def _like(mapping, items):
    """``items`` as a mapping of ``mapping``'s type (a ``Bunch`` stays a ``Bunch``)."""
    if type(mapping) is dict:
        return items
    new = type(mapping).__new__(type(mapping))
    vars(new).update(vars(mapping))  # a Bunch's own attributes: its __getattr__ reads them
    new.update(items)
    return new


def _estimator_without_net(estimator, memo, nets):
    state = vars(estimator)
    new_state = {k: _without_nets(v, memo, nets) for k, v in state.items() if k != "net_"}
    has_net = isinstance(estimator, TorchEstimator) and "net_" in state
    if not has_net and all(new_state[k] is v for k, v in state.items()):
        return estimator
    if has_net:
        new_state[NET_KEY] = len(nets)
        nets.append(state["net_"])
    new = object.__new__(type(estimator))
    new.__dict__.update(new_state)
    return new


def _state_bytes(net):
    """The net's state dicts as ``torch.save`` bytes that ``weights_only`` loading reads."""
    state = {
        "module": net.module_.state_dict(),
        "optimizer": net.optimizer_.state_dict(),
        "criterion": net.criterion_.state_dict(),
    }
    if getattr(net, "grad_scaler_", None) is not None:  # float16 training's loss scale
        state["grad_scaler"] = net.grad_scaler_.state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    try:  # refuse now what load would refuse later
        torch.load(io.BytesIO(buffer.getvalue()), map_location="cpu", weights_only=True)
    except Exception as error:
        raise TypeError(
            f"The state of the {type(net.module_).__name__} net is not all tensors and plain "
            f"values, so skae.io cannot save it safely ({error}); use joblib.dump."
        ) from error
    return buffer.getvalue()


def _history_json(net):
    def plain(value):  # numpy and torch scalars
        if getattr(value, "ndim", None) == 0:
            return value.item()
        raise TypeError(f"the training history holds a {type(value).__name__}, not a number")

    return json.dumps(list(net.history), default=plain)


class _NetFiles:
    """Reads net number ``i``'s state and history from an open archive."""

    def __init__(self, archive, n_nets, name):
        self.archive, self.n_nets, self.name = archive, n_nets, name

    def read(self, number):
        if not (isinstance(number, int) and 0 <= number < self.n_nets):
            raise ValueError(_not_skae(self.name, f"it refers to a missing net {number!r}"))
        try:
            raw_state = self.archive.read(f"nets/{number}.pt")
            history = json.loads(self.archive.read(f"nets/{number}.json"))
        except KeyError as error:
            raise ValueError(_not_skae(self.name, f"{error.args[0]}")) from None
        try:
            state = torch.load(io.BytesIO(raw_state), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:  # torch's text would suggest the unsafe load
            found = re.search(r"GLOBAL (\S+)", str(error))
            what = f"names {found[1]}, not a tensor" if found else "holds more than tensors"
            raise UntrustedTypesError(
                _not_skae(self.name, f"nets/{number}.pt {what}; nothing from it was run"),
                [found[1]] if found else [],
            ) from None
        if not (isinstance(state, dict) and {"module", "optimizer", "criterion"} <= set(state)):
            raise ValueError(_not_skae(self.name, f"nets/{number}.pt is not a net's state"))
        return state, history


def _restore_nets(obj, files, seen):
    """Rebuild the net of every estimator in ``obj``, inner ones first (an
    ``EncoderClassifier`` is built from its autoencoder's net)."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if type(obj) in (list, tuple):
        children = obj
    elif isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, BaseEstimator) or _holds_estimators(obj):
        children = list(vars(obj).values())
    else:
        return
    for child in children:
        _restore_nets(child, files, seen)
    if isinstance(obj, BaseEstimator) and NET_KEY in vars(obj):
        number = vars(obj).pop(NET_KEY)
        if not isinstance(obj, TorchEstimator):
            raise ValueError(_not_skae(files.name, f"a {type(obj).__name__} cannot have a net"))
        obj.net_ = _rebuild_net(obj, *files.read(number))


def _rebuild_net(estimator, state, history):
    """``estimator``'s net as its last fit built it, with the saved state put back."""
    device = _usable_device(estimator.device)
    with _global_rng_untouched(), _trained_params(estimator, device=device):
        net = _unfitted_net(estimator)
        _check_weight_shapes(net, state["module"])
        estimator._initialize_net(net)  # random weights, overwritten below
    net.module_.load_state_dict(state["module"])
    settings = [set(group) for group in net.optimizer_.param_groups]
    net.optimizer_.load_state_dict(state["optimizer"])  # fills in settings newer torch added
    if any(keys - set(group) for keys, group in zip(settings, net.optimizer_.param_groups)):
        raise RuntimeError(f"the optimizer state is not a {type(net.optimizer_).__name__}'s")
    net.criterion_.load_state_dict(state["criterion"])
    scaler = net._grad_scaler()
    if scaler is not None and "grad_scaler" in state:
        scaler.load_state_dict(state["grad_scaler"])
    net.history = History(history)
    return net


def _check_weight_shapes(net, weights):
    """Weights of other shapes than the file's estimator builds (an edited size, another
    model's weights) are refused before the net allocates its own: sizes come from the file."""
    module = net.module
    if isinstance(module, type):
        with torch.device("meta"):  # shapes only: nothing is allocated
            module = net.initialized_instance(module, net.get_params_for("module"))
    built = {key: tuple(value.shape) for key, value in module.state_dict().items()}
    saved = {key: tuple(getattr(value, "shape", ())) for key, value in weights.items()}
    if saved != built:
        other = sorted(set(saved) ^ set(built)) or [k for k in built if saved[k] != built[k]]
        raise RuntimeError(
            f"the weights do not fit the {type(module).__name__} the file describes "
            f"(first mismatch: {other[0]})"
        )


def _unfitted_net(estimator):
    """The skorch net ``fit`` builds for ``estimator`` (whose fitted attributes are set)."""
    build = getattr(estimator, "_build_net", None)
    if build is not None:  # the autoencoders
        return build()
    # The classifiers build theirs in _prepare_fit(X, y): give it one placeholder sample per
    # class, shaped as in fit, then put back the fitted attributes it resets.
    fitted = dict(vars(estimator))
    shape = getattr(estimator, "image_shape_", None) or (estimator.n_features_in_,)
    X = np.zeros((len(estimator.classes_), *shape), np.float32)
    try:
        return estimator._prepare_fit(X, estimator.classes_, classes=estimator.classes_)[2]
    finally:
        vars(estimator).clear()
        vars(estimator).update(fitted)


def _usable_device(device):
    """``device``, or the CPU with a ``DeviceWarning`` when this machine lacks it (a GPU,
    ``cuda:3`` on a machine with one GPU, ``mps``, ``xpu``...)."""
    try:
        torch.empty(0, device=device)  # the one test every backend answers
    except (RuntimeError, AssertionError, ValueError):
        warn_user(
            f"The model was trained on device={device!r}, which this machine does not have: "
            "its weights are loaded on the CPU.",
            DeviceWarning,
        )
        return "cpu"
    return device


@contextmanager
def _trained_params(estimator, **overrides):
    """Set the parameters the net was trained with (``set_params`` may have changed some
    since), then the current ones back."""
    current = estimator.get_params(deep=False)
    trained = getattr(estimator, "_trained_params", None) or current
    for key in current:
        setattr(estimator, key, overrides.get(key, trained.get(key, current[key])))
    try:
        yield
    finally:
        for key, value in current.items():
            setattr(estimator, key, value)


@contextmanager
def _global_rng_untouched():
    """Loading draws the throwaway initial weights without moving the caller's RNGs."""
    numpy_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            yield
    finally:
        np.random.set_state(numpy_state)
