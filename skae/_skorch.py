"""skorch machinery under the estimators: in-memory batches, a leaner net, Ctrl-C handling.

Everything that depends on skorch's internals lives here, apart from the sklearn facade
(``_base.py``); ``tests/test_skorch.py`` checks it against a plain skorch ``NeuralNet``.
"""

import copy
import hashlib
import math
import signal
import threading
import warnings
from contextlib import contextmanager

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import ValidSplit
from skorch.utils import to_numpy
from tqdm.auto import tqdm

from ._checks import warn_user
from ._precision import autocast, grad_scaler


class InMemoryLoader:
    """Mini-batches sliced from whole tensors: a drop-in for skorch's ``DataLoader``.

    A ``DataLoader`` indexes and collates one sample at a time, which dominates the cost of
    the small models here. The data moves to ``device`` once, so a GPU slices its batches in
    its own memory instead of receiving a host copy per batch. Shuffling draws from torch's
    RNG of that device, which ``fit`` seeds.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, device="cpu"):
        X, y = _dataset_tensors(dataset)
        self.X = torch.as_tensor(X, device=device)
        self.y = None if y is None else torch.as_tensor(y, device=device)
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __iter__(self):
        n, device = len(self.X), self.X.device
        order = torch.randperm(n, device=device) if self.shuffle else torch.arange(n, device=device)
        for batch in order.split(self.batch_size):
            yield self.X[batch], None if self.y is None else self.y[batch]


class SkaeNet(NeuralNet):
    """skorch ``NeuralNet`` with a leaner per-batch path and two hooks for subclasses.

    skorch re-applies ``train()`` to every module on every batch and clips gradients through
    a callback that walks the parameters via generators; on the small networks here that is
    a measurable share of each step (``benchmarks/bench_fit.py``). The computation is the same.
    """

    def __init__(self, *args, clip_grad_norm=None, precision="float32", **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_grad_norm = clip_grad_norm
        self.precision = precision

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        self.fit_data_ = _fingerprint(X, y, self.train_split)  # before on_train_begin
        self.start_valid_loss_ = self._start_valid_loss(X, y)
        return super().partial_fit(X, y, classes=classes, **fit_params)

    def _start_valid_loss(self, X, y):
        """The validation loss of the weights a warm fit starts from on this fit's
        validation split, when their recorded one is from other data (``None`` otherwise):
        so that the call's epochs are compared with them on the same samples."""
        start = _row_of_weights(self) if self.initialized_ else None
        if start is None or self.train_split is None or _measured_on_this_data(start, self):
            return None
        with warnings.catch_warnings():  # the split's own warnings come again in training
            warnings.simplefilter("ignore")
            _, dataset_valid = self.get_split_datasets(X, y)
        total, count = 0.0, 0
        for batch in self.get_iterator(dataset_valid, training=False):
            total += self.validation_step(batch)["loss"].item() * len(batch[0])
            count += len(batch[0])
        return total / count  # skorch's valid_loss: the batches weighted by their size

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # skorch ends training quietly on Ctrl-C; remember it, so that the estimator can
        # re-raise it once its fitted state is complete. EarlyStopping (or a user's callback)
        # raises KeyboardInterrupt to stop, but only once an epoch has ended: there, only a
        # real SIGINT counts.
        self.interrupted_ = self.in_epoch_ = False
        self.fit_epochs_ = self.max_epochs if epochs is None else epochs  # for progress bars
        try:
            with _noting_sigint(self):
                return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            self.interrupted_ = self.in_epoch_ or self.sigint_
            raise

    def on_epoch_begin(self, net, **kwargs):
        super().on_epoch_begin(net, **kwargs)
        self.in_epoch_ = True
        scaler = self._grad_scaler()
        self._epoch_scale = (
            None if scaler is None or not scaler.is_enabled() else scaler.get_scale()
        )

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        self.in_epoch_ = False  # runs before the callbacks' on_epoch_end
        if getattr(self, "_epoch_scale", None) is not None:
            self._check_skipped_steps(self._epoch_scale, self.grad_scaler_.get_scale())

    def _check_skipped_steps(self, start, end):
        """Warn when float16 overflows skipped a quarter or more of an epoch's steps.

        The scaler halves its scale at each step it skips (its gradients overflowed) and
        doubles it only after 2 000 good ones, so within an epoch log2(start / end) counts the
        skipped steps. A short fit can lose all of them while the scale calibrates.
        """
        skipped = round(math.log2(start / end)) if end < start else 0
        steps = sum("train_loss" in batch for batch in self.history[-1, "batches"])
        if steps and skipped >= max(1, steps / 4):
            warn_user(
                f"precision='float16': {skipped} of the {steps} optimizer steps of epoch "
                f"{len(self.history)} were skipped (their gradients overflowed while the "
                f"gradient scaler lowered its scale from {start:g} to {end:g}), so the model "
                "trained on fewer steps than asked. Train more steps, or use "
                "precision='bfloat16' (float32's range, no scaler).",
                UserWarning,
            )

    def initialize_callbacks(self):
        super().initialize_callbacks()
        # Which callbacks override each hook: calling the others' no-op methods on every
        # batch costs more than the tiny heads' forward pass.
        self.listeners_ = {
            hook: [
                cb
                for _, cb in self.callbacks_
                if getattr(type(cb), hook) is not getattr(Callback, hook)
            ]
            for hook in ("on_batch_begin", "on_batch_end", "on_grad_computed")
        }
        return self

    def notify(self, method_name, **cb_kwargs):
        listeners = self.listeners_.get(method_name)
        if listeners is None:
            return super().notify(method_name, **cb_kwargs)
        getattr(self, method_name)(self, **cb_kwargs)
        for cb in listeners:
            getattr(cb, method_name)(self, **cb_kwargs)

    def train_step(self, batch, **fit_params):
        if self.listeners_["on_grad_computed"]:
            return super().train_step(batch, **fit_params)
        steps = []

        def closure():  # no per-batch parameter generator built for nobody
            self._zero_grad_optimizer()
            steps.append(self.train_step_single(batch, **fit_params))
            return steps[-1]["loss"]

        self._step_optimizer(closure)
        return steps[0]

    def _step_optimizer(self, step_fn):
        scaler = self._grad_scaler()
        if scaler is None:
            return super()._step_optimizer(step_fn)
        step_fn()  # a scaler cannot step through a closure
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()

    def _grad_scaler(self):
        """The float16 gradient scaler, made on first use and kept (with its scale) after;
        ``None`` in other precisions (a warm fit that leaves float16 drops it)."""
        if getattr(self, "precision", "float32") != "float16":
            self.grad_scaler_ = None
        elif getattr(self, "grad_scaler_", None) is None:
            self.grad_scaler_ = grad_scaler("float16", self.device)
        return self.grad_scaler_

    def _autocast(self):
        return autocast(getattr(self, "precision", "float32"), self.device)  # old pickles: fp32

    def _set_training(self, training=True):
        if self.module_.training != training or self.criterion_.training != training:
            super()._set_training(training)

    def fit_input(self, X):
        """What the module sees during fit, training and validation batches alike (the
        denoising AE corrupts it); the loss still gets the original ``X``."""
        return X

    def train_step_single(self, batch, **fit_params):
        X, y = batch
        self._set_training(True)
        with self._autocast():
            y_pred = self.infer(self.fit_input(X), **fit_params)
            loss = self.get_loss(y_pred, y, X=X, training=True)
        scaler = self._grad_scaler()
        (loss if scaler is None else scaler.scale(loss)).backward()
        if self.clip_grad_norm is not None:
            if scaler is not None:  # clip the true gradients, not the scaled ones
                for name in self._optimizers:
                    scaler.unscale_(getattr(self, name + "_"))
            torch.nn.utils.clip_grad_norm_(self.module_.parameters(), self.clip_grad_norm)
        return {"loss": loss, "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        X, y = batch
        self._set_training(False)
        with torch.no_grad(), self._autocast():
            y_pred = self.infer(self.fit_input(X), **fit_params)
            return {"loss": self.get_loss(y_pred, y, X=X, training=False), "y_pred": y_pred}


def _dataset_tensors(dataset):
    """``(X, y)`` tensors of a skorch ``Dataset`` or of a ``Subset`` of one (validation split)."""
    indices = getattr(dataset, "indices", None)
    if indices is None:
        return dataset.X, dataset.y
    X, y = dataset.dataset.X, dataset.dataset.y
    indices = torch.as_tensor(indices)
    return X[indices], None if y is None else y[indices]


class FractionSplit(ValidSplit):
    """skorch's ``ValidSplit`` of a fraction; its errors and warnings name ``validation_fraction``.

    A stratified split needs 2 samples of each class and room for every class on both sides;
    with fewer (a few labels per class), the split is made without stratification, with a
    warning, rather than failing deep in scikit-learn's splitter.
    """

    def __call__(self, dataset, y=None, groups=None):
        n = len(dataset)
        n_valid = math.ceil(self.cv * n)  # as scikit-learn's ShuffleSplit rounds
        if n_valid >= n:
            raise ValueError(
                f"validation_fraction={self.cv} of {n} samples leaves none to train on: "
                "lower it, or set validation_fraction=None."
            )
        if self.stratified and y is not None:
            counts = np.unique(to_numpy(y), return_counts=True)[1]
            if counts.min() < 2 or min(n_valid, n - n_valid) < len(counts):
                warn_user(
                    f"validation_fraction={self.cv} of {n} samples cannot be stratified "
                    f"({len(counts)} classes, the smallest with {counts.min()} sample(s); "
                    f"{n_valid} validation samples): the split is not stratified, so some "
                    "classes may be missing from training or validation.",
                    UserWarning,
                )
                return ValidSplit(self.cv, random_state=self.random_state)(dataset, y, groups)
        return super().__call__(dataset, y, groups)


class ClassifierNet(SkaeNet):
    """A classifier's net: ``predict`` gives class indices, as scikit-learn's metrics and
    skorch's ``EpochScoring("accuracy")`` expect (the module gives logits)."""

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


@contextmanager
def _noting_sigint(net):
    """Set ``net.sigint_`` when a Ctrl-C (SIGINT) arrives, then let it raise as before."""
    net.sigint_ = False
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield  # signals reach the main thread only; SIG_IGN or SIG_DFL raise nothing
        return

    def note(signum, frame):
        net.sigint_ = True
        previous(signum, frame)

    signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _fingerprint(X, y, split):
    """A digest of a fit's data and validation split: the losses of two fits compare only
    when theirs agree. ``None`` for data that is not arrays (never taken as the same)."""
    digest = hashlib.blake2b(digest_size=16)
    for array in (X, y):
        if array is None:
            digest.update(b"None")
            continue
        try:
            array = np.ascontiguousarray(to_numpy(array))
            digest.update(f"{array.shape}{array.dtype}".encode())
            digest.update(array)
        except (TypeError, AttributeError, ValueError, BufferError):  # not a plain array
            return None
    settings = None if split is None else (split.cv, split.stratified, split.random_state)
    settings = [v.item() if isinstance(v, np.generic) else v for v in settings or ()]
    digest.update(f"{type(split).__name__}{settings}".encode())  # 0.25 as np.float64(0.25)
    return digest.hexdigest()


def _start_loss(net, monitor):
    """The weights a warm fit starts from, as the row of the epoch they are from, and their
    ``monitor`` loss; ``(None, inf)`` when not trained. A loss recorded on other data or
    another validation split than this fit's (the rows' ``fit_data``) is not comparable:
    the validation loss is measured again on this fit's split, a training loss counts as
    infinite (beaten by any epoch), as does an unmeasured one."""
    start = _row_of_weights(net)
    if start is None:
        return None, np.inf
    if _measured_on_this_data(start, net):
        return start, start.get(monitor, np.inf)
    remeasured = getattr(net, "start_valid_loss_", None)
    return start, remeasured if monitor == "valid_loss" and remeasured is not None else np.inf


def _measured_on_this_data(row, net):
    """Whether ``row``'s losses were measured on the data and split of ``net``'s current
    fit (unknown data, ``None``, is never the same)."""
    measured_on = row.get("fit_data")
    return measured_on is not None and measured_on == getattr(net, "fit_data_", None)


class KeepBestOnInterrupt(Callback):
    """On Ctrl-C, go back to the best finished epoch instead of half-trained weights.

    skorch turns a ``KeyboardInterrupt`` into the end of training; the estimator re-raises it
    afterwards. "Best" is the lowest validation loss when there is a validation split, else
    the lowest training loss; in a warm fit or ``partial_fit`` the weights the call starts
    from are a candidate too (with the loss of the epoch they are from, or measured again
    on this fit's validation split when that loss is from other data, see
    ``_start_loss``). The model becomes the fit that ended at that epoch: its weights,
    optimizer state and history (later rows dropped), so a warm fit goes on from there
    (starting weights that early stopping loaded come with the optimizer state of the last
    epoch before it stopped: skorch's ``EarlyStopping`` restores weights only). An
    ``EarlyStopping(load_best=True)`` does not then load another epoch over it. Each
    history row records a digest of its fit's data (``fit_data``), which a warm fit
    compares with its own.
    """

    def on_train_begin(self, net, **kwargs):
        self.best_loss_, self.best_epoch_, self.best_state_ = np.inf, None, None
        self.monitor_ = "train_loss" if net.train_split is None else "valid_loss"
        start, loss = _start_loss(net, self.monitor_)
        if start is not None:
            self._keep(net, start["epoch"], loss)

    def on_epoch_end(self, net, **kwargs):
        net.history.record("fit_data", getattr(net, "fit_data_", None))  # after PrintLog's
        row = net.history[-1]
        loss = row.get(self.monitor_, row["train_loss"])
        if loss < self.best_loss_:
            self._keep(net, net.history[-1, "epoch"], loss)

    def _keep(self, net, epoch, loss):
        self.best_loss_, self.best_epoch_ = loss, epoch
        weights = {name: w.detach().clone() for name, w in net.module_.state_dict().items()}
        self.best_state_ = weights, copy.deepcopy(net.optimizer_.state_dict())

    def on_train_end(self, net, **kwargs):
        if getattr(net, "interrupted_", False):
            warnings.warn(self._restore(net), UserWarning)
        else:  # an EarlyStopping(load_best=True) loads its best epoch right after this
            loads = [es.best_epoch_ for es in _early_stoppings(net) if es.best_model_weights_]
            if loads and net.history:  # in the history: pickles and skae.io files keep it
                net.history.record("weights_epoch", loads[-1])
        self.best_state_ = None  # not worth pickling

    def _restore(self, net):
        """Go back to the best epoch; the warning's text."""
        message = f"Training interrupted during epoch {len(net.history)}; "
        if self.best_state_ is None:
            none = "no epoch had finished" if _row_of_weights(net) is None else (
                "no finished epoch had a finite loss"
            )  # fmt: skip
            return f"{message}{none}, so the model keeps its half-trained weights."
        net.module_.load_state_dict(self.best_state_[0])
        net.optimizer_.load_state_dict(self.best_state_[1])
        epochs = [row["epoch"] for row in net.history]
        del net.history[epochs.index(self.best_epoch_) + 1 :]
        net.history[-1].pop("weights_epoch", None)  # its own weights now
        for early_stopping in _early_stoppings(net):
            early_stopping.best_model_weights_ = None  # its on_train_end comes next
        loss = "" if np.isinf(self.best_loss_) else f", loss {self.best_loss_:.4g}"
        return (
            f"{message}the model keeps the weights of epoch {self.best_epoch_} (the best finished "
            f"one{loss}) and its optimizer state; the later epochs are dropped from its history."
        )


def _row_of_weights(net):
    """The history row of the epoch whose weights ``net`` holds: the last finished one, or
    the one early stopping loaded (``None``: not trained)."""
    finished = [row for row in net.history if "train_loss" in row]
    if not finished:
        return None
    epoch = net.history[-1].get("weights_epoch", finished[-1]["epoch"])
    return next((row for row in finished if row["epoch"] == epoch), finished[-1])


class EarlyStoppingFromStart(EarlyStopping):
    """skorch's ``EarlyStopping``, with the weights a warm fit or ``partial_fit`` starts from
    as the best so far when their loss was measured on this fit's data (skorch's starts each
    call afresh: the first new epoch, however bad, replaced better starting weights)."""

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        start, loss = _start_loss(net, self.monitor)
        if np.isfinite(loss):  # measured on this fit's data
            self.dynamic_threshold_ = self._calc_new_threshold(loss)
            self.best_epoch_ = start["epoch"]
            if self.load_best:
                self.best_model_weights_ = copy.deepcopy(net.module_.state_dict())


def _early_stoppings(net):
    return [
        callback
        for _, callback in getattr(net, "callbacks_", [])
        if isinstance(callback, EarlyStopping) and callback.load_best
    ]


class EpochProgressBar(Callback):
    """One progress bar over the fit's epochs, with its ETA and the latest losses.

    skorch's ``ProgressBar`` counts the batches of one epoch; for a long fit the question is
    when the whole fit ends.
    """

    def on_epoch_begin(self, net, **kwargs):
        if getattr(self, "bar_", None) is None:  # fit_loop has set the fit's epochs by now
            self.bar_ = tqdm(total=net.fit_epochs_, desc=type(net.module_).__name__, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        losses = {k: f"{net.history[-1, k]:.4g}" for k in ("train_loss", "valid_loss")
                  if k in net.history[-1]}  # fmt: skip
        self.bar_.set_postfix(losses, refresh=False)
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        if getattr(self, "bar_", None) is not None:
            self.bar_.close()
        self.bar_ = None  # not worth pickling
