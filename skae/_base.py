"""The sklearn facade around a skorch net, shared by every skae estimator.

The estimators are plain ``BaseEstimator`` subclasses: ``__init__`` stores parameters and
``fit`` builds a fresh skorch ``NeuralNet`` (``net_``) from them. skorch runs the training
loop and the callbacks; skae validates input, seeds, batches in memory and infers.
"""

import copy
import hashlib
import inspect
import math
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _is_fitted, validate_data
from skorch.callbacks import Callback

from ._checks import (
    InputRangeWarning,
    check_device,
    check_no_strings,
    flatten_images,
    looks_standardized,
    needs_validation_data,
    outside_unit_range,
    resolve_image_shape,
    scale_hint,
    value_range,
    warn_user,
)
from ._precision import PRECISIONS, autocast, check_precision
from ._skorch import (  # SkaeNet, InMemoryLoader, KeepBestOnInterrupt: here too for old pickles
    EarlyStoppingFromStart,
    EpochProgressBar,
    FractionSplit,
    InMemoryLoader,
    KeepBestOnInterrupt,
    SkaeNet,
)

DOCS_URL = "https://skae.readthedocs.io/en/latest/"  # also in pyproject.toml's [project.urls]
SEMI_SUPERVISED_DOC_LINK = DOCS_URL + "generated/skae.semi_supervised.{estimator_name}.html"
OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
INFERENCE_BATCH_SIZE = 1024  # bounds peak memory of transform/predict on 60 000 images


def as_tensor(X):
    """A tensor of a numpy array of any layout, sharing its memory when torch may.

    torch takes only writeable, native-byte-order arrays with non-negative strides; numpy
    flags a one-row reversed view (``X[::-1][:1]``) C-contiguous although its stride is
    negative, so the strides are checked too. Anything else is copied.
    """
    X = np.asarray(X)
    X = X.astype(X.dtype.newbyteorder("="), copy=False)
    if not (X.flags.c_contiguous and X.flags.writeable) or min(X.strides, default=0) < 0:
        X = np.array(X, order="C")
    return torch.from_numpy(X)


def torch_seed(random_state):
    """The torch seed a fit with ``random_state`` uses."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def seeded(random_state, device, offset=0):
    """Seed torch from ``random_state`` without touching the caller's global RNG state.

    ``offset`` (the epochs already trained) gives continued training its own seed, so that
    each ``partial_fit`` call does not repeat the first one's shuffling.
    """
    seed = torch_seed(random_state) + offset
    cuda = str(device).startswith("cuda") and torch.cuda.is_available()
    with torch.random.fork_rng(devices=[torch.device(device)] if cuda else []):
        torch.manual_seed(seed)
        yield


TRAINING_OPTIONS_DOC = """\
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks (``LRScheduler``, ``Checkpoint``, ``ProgressBar``...), run
        after skae's own. Each fit uses copies, so the parameter stays as set, and ``clone``,
        searches and pickling keep it.
    warm_start : bool, default=False
        When fitted already, ``fit`` trains ``max_epochs`` more epochs from the current
        weights and optimizer state (``loss_curve_`` and ``n_epochs_`` extend) instead of
        starting over. Training settings changed by ``set_params`` in between (``lr``,
        ``weight_decay``, ``momentum``, ``batch_size``, loss weights, callbacks...) apply from
        then on (lists, dicts, sets, arrays, tensors and callbacks' settings changed in
        place count too; other objects' attributes do not); changing the network (its
        sizes, ``dropout``, ``optimizer``, ``device``, a pretrained autoencoder refit since)
        is an error that sets the trained value back (equal values such as ``[8]`` for
        ``(8,)``, or the ``image_shape`` that ``None`` resolved to, are no change).
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Arithmetic of the forward passes and losses, in training and in inference
        (``torch.autocast``); weights, gradients and optimizer state stay float32, and
        float16 trains with a gradient scaler. ``"bfloat16"`` is the fast choice on CPUs with
        AMX / AVX512-BF16 and on recent GPUs; a choice slower than float32 on this machine
        warns once. Accuracy against float32: see the performance page. May change between
        warm fits.
    verbose : int, default=0
        ``1`` prints skorch's table of losses after each epoch; ``2`` shows one progress
        bar over the epochs, with the time left and the latest loss.
"""


def document_training_options(cls):
    """Class decorator: the shared ``callbacks``/``warm_start``/``verbose`` entries."""
    cls.__doc__ = cls.__doc__.replace("    {training_options}\n", TRAINING_OPTIONS_DOC)
    return cls


class TorchEstimator(BaseEstimator):
    """Base of the skae estimators: parameters and plumbing shared by all of them."""

    _parameter_constraints = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str, torch.device],
        "precision": [StrOptions(set(PRECISIONS))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _expects_pixels = False  # image models: inputs are pixels scaled to [0, 1]
    _stratify = False  # classifiers: a stratified validation split
    # What a warm fit cannot change: the network, its optimizer and its device.
    _fixed_when_warm = (
        "image_shape",
        "latent_dim",
        "channels",
        "dropout",
        "hidden_units",
        "autoencoder",
        "optimizer",
        "device",
    )
    # the "?" of the HTML repr links to skae's API pages, not scikit-learn's
    _doc_link_module = "skae"
    _doc_link_template = DOCS_URL + "generated/{estimator_module}.{estimator_name}.html"

    def _validate(self, X, *y, reset=False):
        """``X`` (and ``y``) checked as scikit-learn does, ``X`` as float32 rows.

        Image models flatten image-shaped ``X`` first (``flatten_images``); ``fit``
        (``reset``) records the range of ``X`` and its image shape, later calls compare.
        """
        X, found = flatten_images(self, X, self._input_image_shape(reset))
        check_no_strings(X)
        out = validate_data(self, X, *y, dtype=np.float32, reset=reset)
        X = out[0] if y else out
        if not reset:
            self._check_range(X)
        else:
            self._note_fit_range(X)
            if self._expects_pixels:
                self.image_shape_ = self._resolve_image_shape(X.shape[1], found)
        return out

    def _input_image_shape(self, reset):
        """The ``(C, H, W)`` that image-shaped input must have; ``None``: any."""
        return getattr(self, "image_shape" if reset else "image_shape_", None)

    def _resolve_image_shape(self, n_features, found):
        """The ``(C, H, W)`` of the images, rows of ``n_features`` (``found``: from X's shape)."""
        return resolve_image_shape(self, n_features, found)

    def _note_fit_range(self, X):
        """Remember ``X``'s range for ``predict``/``transform``; warn on non-[0, 1] pixels."""
        self.input_range_ = low, high = value_range(X)
        outside, hint = outside_unit_range(low, high), scale_hint(high)
        if self._expects_pixels and outside and not looks_standardized(X):
            warn_user(
                f"{type(self).__name__} expects pixels scaled to [0, 1], but X spans "
                f"[{low:.4g}, {high:.4g}]; on other scales it may train to chance level.{hint}",
                InputRangeWarning,
            )
        elif outside and getattr(self, "noise", None):  # standardized inputs too
            warn_user(
                f"noise={self.noise!r} corrupts pixels in [0, 1] and clips the noisy images "
                f"to [0, 1], but X spans [{low:.4g}, {high:.4g}]: the corrupted inputs lose "
                f"everything outside [0, 1].{hint}",
                InputRangeWarning,
            )

    def _check_range(self, X):
        """Warn when ``X`` lies far outside the range seen in fit: a wrong scale, not outliers.

        "Far" is by more than 10 widths of the fit range: 0-255 pixels after a [0, 1] fit
        are 254 widths out, while standardized test features stray a few widths at most.
        """
        if getattr(self, "input_range_", None) is None:  # saved before skae recorded it
            return
        (low, high), (x_low, x_high) = self.input_range_, value_range(X)
        margin = 10 * (high - low or 1.0)
        if x_low < low - margin or x_high > high + margin:
            warn_user(
                f"X spans [{x_low:.4g}, {x_high:.4g}], far outside the range seen in fit "
                f"[{low:.4g}, {high:.4g}]: scale it as the training data was (0-255 pixels: "
                "divide by 255).",
                InputRangeWarning,
            )

    def _net(self, module, net_class=SkaeNet, **net_params):
        """A skorch ``NeuralNet`` wired from the estimator's parameters."""
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        net_params = {name: _plain(value) for name, value in net_params.items()}
        return net_class(
            module,
            optimizer=optimizer,
            lr=_plain(self.lr),
            batch_size=_plain(self.batch_size),
            max_epochs=_plain(self.max_epochs),
            train_split=self._train_split(),
            iterator_train=InMemoryLoader,
            iterator_train__shuffle=True,
            iterator_valid=InMemoryLoader,
            iterator_train__device=self.device,
            iterator_valid__device=self.device,
            callbacks=self._callbacks(),
            device=self.device,
            verbose=int(self.verbose == 1),  # skorch's table of losses; 2 shows a bar instead
            precision=self.precision,
            **self._optimizer_params(),
            **net_params,
        )

    def _train_split(self):
        """By default every given sample trains: no hidden 20 % hold-out."""
        if self.validation_fraction is None:
            return None
        fraction = _plain(self.validation_fraction)
        return FractionSplit(fraction, stratified=self._stratify, random_state=0)

    def _callbacks(self):
        """skae's callbacks, then copies of the user's (a fit leaves the parameter as set)."""
        self._check_validation_needs()
        callbacks = [("keep_best_on_interrupt", KeepBestOnInterrupt())]
        callbacks += self._extra_callbacks()
        if self.verbose >= 2:
            callbacks.append(("epoch_progress_bar", EpochProgressBar()))
        last = []
        if self.patience is not None:
            stopping = EarlyStoppingFromStart(patience=self.patience, load_best=True)
            last = [("early_stopping", stopping)]
        self._user_callbacks(taken=[name for name, _ in callbacks + last])
        return callbacks + _copies(self.callbacks or []) + last

    def _check_validation_needs(self):
        """Early stopping and callbacks reading validation scores need ``validation_fraction``."""
        if self.validation_fraction is not None:
            return
        fix = "set validation_fraction (e.g. validation_fraction=0.1)"
        if self.patience is not None:
            raise ValueError(
                f"patience={self.patience} stops on the validation loss: {fix}, or patience=None."
            )
        for callback in self._user_callbacks():
            if needs_validation_data(callback):
                monitor = getattr(callback, "monitor", None)
                reads = f"monitor={monitor!r}" if isinstance(monitor, str) else "on_train=False"
                raise ValueError(
                    f"The {type(callback).__name__} callback reads validation scores "
                    f"({reads}) but there is no validation data: {fix}, or monitor the "
                    "training loss (monitor='train_loss'; Checkpoint: 'train_loss_best')."
                )

    def _user_callbacks(self, taken=()):
        """The user's callbacks, unwrapped from their ``(name, callback)`` tuples; entries
        of another form, or names ``taken`` by skae's own callbacks, are an error."""
        callbacks = []
        for entry in self.callbacks or []:
            named = isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)
            callback = entry[1] if named else entry
            if not _is_callback(callback):
                raise ValueError(
                    f"callbacks entries are skorch callbacks or (name, callback) tuples; got "
                    f"{entry!r}."
                )
            if named and entry[0] in taken:
                raise ValueError(
                    f"The callback name {entry[0]!r} is taken by one of skae's own callbacks "
                    f"in this fit ({', '.join(taken)}): name yours otherwise."
                )
            callbacks.append(callback)
        return callbacks

    def _extra_callbacks(self):
        """Callbacks a subclass adds to every fit."""
        return []

    def _optimizer_params(self):
        """``weight_decay`` and ``momentum`` as skorch ``optimizer__`` parameters."""
        params = {"optimizer__weight_decay": _plain(self.weight_decay)} if self.weight_decay else {}
        if self.momentum:
            optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
            if "momentum" not in inspect.signature(optimizer).parameters:
                name = getattr(optimizer, "__name__", repr(optimizer))
                raise ValueError(
                    f"momentum applies to optimizer='sgd' (or an optimizer class that takes "
                    f"it), not to {name}; Adam's momentum is its betas. Set momentum=0.0 or "
                    "optimizer='sgd'."
                )
            params["optimizer__momentum"] = _plain(self.momentum)
        return params

    def set_params(self, **params):
        nested = sorted(key for key in params if key.startswith("optimizer__"))
        if nested:
            raise ValueError(
                f"{type(self).__name__} has no nested optimizer parameters ({', '.join(nested)}); "
                "set weight_decay and momentum directly, e.g. set_params(weight_decay=1e-4)."
            )
        return super().set_params(**params)

    def _apply_new_params(self, net):
        """Bring a trained ``net`` in line with ``set_params`` calls made since it trained.

        Optimizer settings, batch size, loss weights, gradient clipping, the validation split
        and the callbacks are applied to the running training; a change of the network,
        its optimizer or its device is an error.
        """
        trained = getattr(self, "_trained_params", None)
        if trained is None:  # saved before skae recorded them
            return
        params = {name: _plain(value) for name, value in self.get_params(deep=False).items()}
        changed = {
            k for k, v in params.items()
            if not _same(self._as_trained(k, v), self._as_trained(k, trained.get(k, v)))
        }  # fmt: skip
        refit = {
            k for k, state in getattr(self, "_trained_states", {}).items()
            if _unfrozen(params[k]) is _unfrozen(trained[k])
            and not _same(_fitted_state(params[k]), state)
        }  # fmt: skip
        if refit & set(self._fixed_when_warm):
            raise ValueError(
                f"warm_start cannot go on: the {', '.join(sorted(refit))} this "
                f"{type(self).__name__} trained from was refit since (its weights changed), "
                "so it no longer describes this model's network: fit from scratch "
                "(warm_start=False) to train from it as it is now."
            )
        fixed = [k for k in self._fixed_when_warm if k in changed]
        if fixed:  # restored, so that get_params, clone and pickles describe the network
            self.set_params(**{k: trained[k] for k in fixed})
            was = ", ".join(f"{k}={trained[k]!r}" for k in fixed)
            raise ValueError(
                f"warm_start cannot change {', '.join(fixed)} of a trained "
                f"{type(self).__name__}: set back to {was}, as trained; to train with "
                f"{', '.join(f'{k}={params[k]!r}' for k in fixed)}, fit from scratch "
                "(warm_start=False)."
            )
        self._optimizer_params()  # momentum with Adam is an error here too
        names = {"batch_size", "clip_grad_norm", "sparsity", "noise", "beta", "precision"}
        for name in changed & names:
            setattr(net, name, params[name])
        groups = net.optimizer_.param_groups
        for name in changed & {"weight_decay", "momentum"}:
            for group in groups:
                group[name] = params[name]
        if changed & {"lr", "encoder_lr"}:
            net.lr = _plain(self.lr)
            for group, lr in zip(groups, self._group_lrs()):
                group["lr"] = _plain(lr)
        if changed & {"validation_fraction", "patience", "callbacks", "freeze_epochs", "verbose"}:
            net.train_split, net.verbose = self._train_split(), int(self.verbose == 1)
            net.callbacks = self._callbacks()
            net.initialize_callbacks()

    def _as_trained(self, name, value):
        """A parameter's value as the network sees it: sequences as tuples, and
        ``image_shape=None`` as the shape it resolved to (``image_shape_``)."""
        if name == "image_shape" and value is None:
            return getattr(self, "image_shape_", None)
        if name == "device":  # "cpu:0", torch.device("cpu") and "cpu" are one device
            try:
                device = torch.device(value)
            except (RuntimeError, TypeError):
                return value  # the device check names the error
            return "cpu" if device.type == "cpu" else str(device)
        return tuple(value) if isinstance(value, (list, tuple, np.ndarray)) else value

    def _group_lrs(self):
        """The learning rate of each of the optimizer's parameter groups."""
        return [self.lr]

    @contextmanager
    def _unchanged_on_error(self, partial):
        """As :func:`unchanged_on_error`; a fit going on from ``net_`` also gets its weights,
        optimizer state, history and training settings (batch size, callbacks...) back."""
        if not self._continues(partial):
            with unchanged_on_error(self):
                yield
            return
        net = self.net_
        settings = dict(vars(net))  # what _apply_new_params replaces
        weights = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        optimizer, n_epochs = copy.deepcopy(net.optimizer_.state_dict()), len(net.history)

        def undo():
            vars(net).clear()
            vars(net).update(settings)
            net.module_.load_state_dict(weights)
            net.optimizer_.load_state_dict(optimizer)
            del net.history[n_epochs:]

        with unchanged_on_error(self, undo):
            yield

    def _continues(self, partial):
        """Whether this fit goes on training ``net_`` (``partial_fit``, ``warm_start``)."""
        return (partial or self.warm_start) and hasattr(self, "net_")

    def _fit_net(self, net, X, y=None, epochs=None):
        """Train ``net`` reproducibly for ``epochs`` (``max_epochs``); store it as ``net_``.

        An unfitted ``net`` is initialised first; a trained one (``warm_start``,
        ``partial_fit``) goes on from its weights and optimizer state, its history extended.
        A Ctrl-C ends training with the best finished epoch's weights (``KeepBestOnInterrupt``);
        the fitted attributes are set, then ``KeyboardInterrupt`` is raised again so that
        scripts, searches and studies stop instead of using a half-trained model as finished.
        """
        epochs = _plain(self.max_epochs if epochs is None else epochs)
        fresh = not net.initialized_
        if not fresh:
            self._apply_new_params(net)
        with seeded(self.random_state, self.device, offset=0 if fresh else len(net.history)):
            if fresh:
                self._initialize_net(net)
            if epochs > 0:
                net.partial_fit(X, y, epochs=epochs)  # fit() would initialise a second time
        self._set_trained(net)
        if getattr(net, "interrupted_", False):  # skorch swallowed Ctrl-C; the model is usable
            raise KeptInterrupt
        return self

    def _initialize_net(self, net):
        """Build ``net``'s module (its initial weights come from torch's seeded RNG)."""
        self._check_device()
        return net.initialize()

    def _check_device(self):
        check_device(self.device)
        check_precision(self.precision, self.device)

    def __setstate__(self, state):
        state.setdefault("precision", "float32")  # pickled before skae had the parameter
        super().__setstate__(state)

    def _set_trained(self, net):
        """Store the trained ``net`` and the fitted attributes read from its history."""
        self.net_ = net
        params = self.get_params(deep=False)  # what a warm fit and skae.io compare with
        self._trained_params = {k: _snapshot(v) for k, v in params.items()}
        self._trained_states = {
            k: _fitted_state(v) for k, v in params.items()
            if isinstance(v, BaseEstimator) and _is_fitted(v)
        }  # fmt: skip  # kept as the same objects: a refit in place is not seen otherwise
        for epoch in net.history:  # per-batch records: 9 MB for 100 epochs of 60 000 images
            epoch["batches"] = []
        finished = [epoch for epoch in net.history if "train_loss" in epoch]
        self.loss_curve_ = [epoch["train_loss"] for epoch in finished]
        self.validation_loss_curve_ = [e["valid_loss"] for e in finished if "valid_loss" in e]
        self.n_epochs_ = len(finished)

    @torch.inference_mode()
    def _infer(self, fn, X):
        """Apply ``fn`` to ``X`` (float32 array) in eval mode, batch by batch; numpy out."""
        module = self.net_.module_
        was_training = module.training
        module.eval()
        device = self.net_.device  # may differ from self.device after loading without CUDA
        try:
            X = as_tensor(X)
            with autocast(self.precision, device):
                outputs = [fn(b.to(device)).float().cpu() for b in X.split(INFERENCE_BATCH_SIZE)]
        finally:
            module.train(was_training)
        outputs = torch.cat(outputs)
        if not outputs.isfinite().all():
            self._raise_non_finite(X)
        return outputs.numpy()

    def _raise_non_finite(self, X):
        """Explain non-finite outputs: diverged weights or inputs beyond float32."""
        name = type(self).__name__
        if all(p.isfinite().all() for p in self.net_.module_.parameters()):
            low, high = value_range(X.numpy())
            raise ValueError(
                f"{name} computed NaN or infinite values from X spanning [{low:.4g}, "
                f"{high:.4g}]: the values are too large for float32; scale X as in fit."
            )
        bad = [k for k, loss in enumerate(self.loss_curve_, 1) if not math.isfinite(loss)]
        when = f" (training loss {self.loss_curve_[bad[0] - 1]} from epoch {bad[0]})" if bad else ""
        raise ValueError(
            f"{name}'s weights are NaN or infinite: training diverged{when}. Lower lr (now "
            f"{self.lr:g}) or clip gradients (clip_grad_norm), and fit again."
        )


class KeptInterrupt(KeyboardInterrupt):
    """A Ctrl-C during training, raised again once the model holds its best finished epoch:
    the fitted state is complete, nothing to undo."""


@contextmanager
def unchanged_on_error(estimator, undo=None):
    """A fit that raises, or is interrupted before a new model is stored, leaves
    ``estimator``'s fitted attributes as they were (then calls ``undo``, if given): no new
    ``classes_`` over an old model, no ``classes_`` without a model. A Ctrl-C during training
    keeps the best finished epoch instead (:class:`KeptInterrupt`); parameters a fit put
    back stay so."""
    params = estimator.get_params(deep=False)
    fitted = {k: v for k, v in vars(estimator).items() if k not in params}
    try:
        yield
    except (Exception, KeyboardInterrupt) as error:
        if isinstance(error, KeptInterrupt):
            raise
        for key in [k for k in vars(estimator) if k not in params]:
            delattr(estimator, key)
        vars(estimator).update(fitted)
        if undo is not None:
            undo()
        raise


def _is_callback(value):
    """A skorch callback, its class, or ``None`` (skorch's way to turn a named one off)."""
    is_class = isinstance(value, type) and issubclass(value, Callback)
    return value is None or is_class or isinstance(value, Callback)


def _copies(callbacks):
    """Deep copies of ``callbacks``, sharing what stands for outside state: an Optuna trial
    (``SkorchPruningCallback``) must be the study's own, or its reports go nowhere."""
    memo = {}
    for callback in callbacks:
        callback = callback[1] if isinstance(callback, tuple) else callback
        for value in getattr(callback, "__dict__", {}).values():
            if type(value).__module__.partition(".")[0] == "optuna":
                memo[id(value)] = value
    return copy.deepcopy(callbacks, memo)


def _snapshot(value):
    """A parameter's value as trained: copies of what a user may change in place (lists,
    sets, dicts, arrays, tensors and callbacks' settings, all the way down; an unfitted
    autoencoder's parameters: ``autoencoder__latent_dim=9``). Other objects are kept as
    they are: their attributes changed in place are not seen."""
    if isinstance(value, BaseEstimator) and not _is_fitted(value):
        return clone(value)
    if isinstance(value, (list, tuple)):
        items = [_snapshot(item) for item in value]
        if isinstance(value, tuple) and all(a is b for a, b in zip(items, value)):
            return value  # immutable all through
        return type(value)(items)
    if isinstance(value, dict):
        return {key: _snapshot(item) for key, item in value.items()}
    if isinstance(value, Callback):
        snapshot = copy.copy(value)
        vars(snapshot).update(_snapshot(vars(value)))
        return snapshot
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    return value.copy() if isinstance(value, (np.ndarray, set, bytearray)) else value


def _fitted_state(value):
    """What a refit in place changes in a fitted estimator parameter (a pretrained
    autoencoder), which stays the same object: its network's weights (a digest; shapes
    included), or the parameters of an estimator without one."""
    inner = _unfrozen(value)
    net = getattr(inner, "net_", None)
    if net is None:
        return _snapshot(inner.get_params(deep=False))
    digest = hashlib.blake2b(digest_size=16)
    for name, weights in net.module_.state_dict().items():
        weights = weights.detach().cpu().contiguous()
        digest.update(f"{name}{tuple(weights.shape)}{weights.dtype}".encode())
        digest.update(weights.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def _unfrozen(value):
    """The estimator in a ``FrozenEstimator`` (the same pretrained autoencoder either way)."""
    return value.estimator if isinstance(value, FrozenEstimator) else value


def _same(a, b):
    """Whether two parameter values are equal: sequences and dicts item by item, arrays and
    tensors by their values, unfitted estimators by their parameters, a fitted one and its
    ``FrozenEstimator`` as one, callbacks by their settings, other objects without ``==``
    by identity."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return _same_settings(a, b)
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        tensors = isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
        return (
            tensors
            and (a.shape, a.dtype, a.device) == (b.shape, b.dtype, b.device)
            and bool(((a == b) | (a.isnan() & b.isnan())).all())  # NaN where NaN: no change
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype == object or b.dtype == object:
            return a.shape == b.shape and all(map(_same, a.flat, b.flat))
        nan = a.dtype.kind in "fc"  # NaN where NaN was is no change
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=nan)
    if isinstance(a, FrozenEstimator) or isinstance(b, FrozenEstimator):
        return _unfrozen(a) is _unfrozen(b) and _is_fitted(_unfrozen(a))
    unfitted = [isinstance(v, BaseEstimator) and not _is_fitted(v) for v in (a, b)]
    if all(unfitted) and type(a) is type(b):
        return _same_settings(a.get_params(deep=False), b.get_params(deep=False))
    if isinstance(a, Callback) and type(a) is type(b):
        return a is b or _same_settings(vars(a), vars(b))
    if type(a) is type(b) and callable(getattr(a, "equals", None)):  # pandas objects
        return bool(a.equals(b))
    try:
        return a is b or bool(a == b)
    except (TypeError, ValueError, RuntimeError):  # objects that refuse comparison
        return False


def _same_settings(a, b):
    return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)


def _plain(value):
    """A NumPy scalar as its Python number: searches hand out ``np.int64`` batch sizes and
    ``np.float64`` learning rates, which torch's batching and safe model files refuse."""
    return value.item() if isinstance(value, np.generic) else value
