"""The sklearn facade around a skorch net, shared by every skae estimator.

The estimators are plain ``BaseEstimator`` subclasses: ``__init__`` stores parameters and
``fit`` builds a fresh skorch ``NeuralNet`` (``net_``) from them. skorch runs the training
loop and the callbacks; skae validates input, seeds, batches in memory and infers.
"""

import copy
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from ._checks import InputRangeWarning, check_device, value_range, warn_user
from ._skorch import (  # SkaeNet, InMemoryLoader, KeepBestOnInterrupt: here too for old pickles
    EpochProgressBar,
    InMemoryLoader,
    KeepBestOnInterrupt,
    SkaeNet,
)

DOCS_URL = "https://skae.readthedocs.io/en/latest/"  # also in pyproject.toml's [project.urls]
OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
INFERENCE_BATCH_SIZE = 1024  # bounds peak memory of transform/predict on 60 000 images


def as_tensor(X):
    """Share memory with a numpy array when torch may (it refuses read-only buffers)."""
    X = np.ascontiguousarray(X)
    return torch.from_numpy(X if X.flags.writeable else X.copy())


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
        starting over. Training settings come from the first fit.
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
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _expects_pixels = False  # image models: inputs are pixels scaled to [0, 1]
    # the "?" of the HTML repr links to skae's API pages, not scikit-learn's
    _doc_link_module = "skae"
    _doc_link_template = DOCS_URL + "generated/{estimator_module}.{estimator_name}.html"

    def _note_fit_range(self, X):
        """Remember ``X``'s range for ``predict``/``transform``; warn on non-[0, 1] pixels."""
        self.input_range_ = low, high = value_range(X)
        if self._expects_pixels and (low < -1e-6 or high > 1 + 1e-6):
            hint = " Are these 0-255 pixels? Divide by 255 (X / 255.0)." if high > 1 else ""
            warn_user(
                f"{type(self).__name__} expects pixels scaled to [0, 1], but X spans "
                f"[{low:.4g}, {high:.4g}]; on other scales it may train to chance level.{hint}",
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

    def _net(self, module, net_class=SkaeNet, stratify=False, **net_params):
        """A skorch ``NeuralNet`` wired from the estimator's parameters."""
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        callbacks = [("keep_best_on_interrupt", KeepBestOnInterrupt())]
        callbacks += self._extra_callbacks()
        if self.verbose >= 2:
            callbacks.append(("epoch_progress_bar", EpochProgressBar()))
        callbacks += copy.deepcopy(self.callbacks or [])  # fitting leaves the parameter as set
        train_split = None  # by default every given sample trains: no hidden 20 % hold-out
        if self.validation_fraction is not None:
            train_split = ValidSplit(self.validation_fraction, stratified=stratify, random_state=0)
            if self.patience is not None:
                callbacks.append(
                    ("early_stopping", EarlyStopping(patience=self.patience, load_best=True))
                )
        return net_class(
            module,
            optimizer=optimizer,
            lr=self.lr,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            train_split=train_split,
            iterator_train=InMemoryLoader,
            iterator_train__shuffle=True,
            iterator_valid=InMemoryLoader,
            iterator_train__device=self.device,
            iterator_valid__device=self.device,
            callbacks=callbacks,
            device=self.device,
            verbose=int(self.verbose == 1),  # skorch's table of losses; 2 shows a bar instead
            **self._optimizer_params(),
            **net_params,
        )

    def _extra_callbacks(self):
        """Callbacks a subclass adds to every fit."""
        return []

    def _optimizer_params(self):
        """``weight_decay`` and ``momentum`` as skorch ``optimizer__`` parameters."""
        params = {"optimizer__weight_decay": self.weight_decay} if self.weight_decay else {}
        if self.momentum:
            if self.optimizer == "adam":
                raise ValueError(
                    "momentum applies to optimizer='sgd' (or an optimizer class that takes "
                    "it); Adam's momentum is its betas. Set momentum=0.0 or optimizer='sgd'."
                )
            params["optimizer__momentum"] = self.momentum
        return params

    def set_params(self, **params):
        nested = sorted(key for key in params if key.startswith("optimizer__"))
        if nested:
            raise ValueError(
                f"{type(self).__name__} has no nested optimizer parameters ({', '.join(nested)}); "
                "set weight_decay and momentum directly, e.g. set_params(weight_decay=1e-4)."
            )
        return super().set_params(**params)

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
        epochs = self.max_epochs if epochs is None else epochs
        fresh = not net.initialized_
        with seeded(self.random_state, self.device, offset=0 if fresh else len(net.history)):
            if fresh:
                self._initialize_net(net)
            if epochs > 0:
                net.partial_fit(X, y, epochs=epochs)  # fit() would initialise a second time
        self._set_trained(net)
        if getattr(net, "interrupted_", False):  # skorch swallowed Ctrl-C; the model is usable
            raise KeyboardInterrupt
        return self

    def _initialize_net(self, net):
        """Build ``net``'s module (its initial weights come from torch's seeded RNG)."""
        self._check_device()
        return net.initialize()

    def _check_device(self):
        check_device(self.device)

    def _set_trained(self, net):
        """Store the trained ``net`` and the fitted attributes read from its history."""
        self.net_ = net
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
            outputs = [fn(batch.to(device)).cpu() for batch in X.split(INFERENCE_BATCH_SIZE)]
        finally:
            module.train(was_training)
        return torch.cat(outputs).numpy()
