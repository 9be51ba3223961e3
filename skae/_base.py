"""The sklearn facade around a skorch net, shared by every skae estimator.

The estimators are plain ``BaseEstimator`` subclasses: ``__init__`` stores parameters and
``fit`` builds a fresh skorch ``NeuralNet`` (``net_``) from them. skorch runs the training
loop and the callbacks; skae validates input, seeds, batches in memory and infers.
"""

import math
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import ValidSplit

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
INFERENCE_BATCH_SIZE = 1024  # bounds peak memory of transform/predict on 60 000 images


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

    def __init__(self, *args, clip_grad_norm=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_grad_norm = clip_grad_norm

    def fit_loop(self, X, y=None, **fit_params):
        # skorch ends training quietly on Ctrl-C; remember it, so that a study can tell an
        # interrupted fit from a finished one (raise_if_interrupted). EarlyStopping raises
        # KeyboardInterrupt too, but only once an epoch has ended.
        self.interrupted_ = self.in_epoch_ = False
        try:
            return super().fit_loop(X, y, **fit_params)
        except KeyboardInterrupt:
            self.interrupted_ = self.in_epoch_
            raise

    def on_epoch_begin(self, net, **kwargs):
        super().on_epoch_begin(net, **kwargs)
        self.in_epoch_ = True

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        self.in_epoch_ = False  # runs before the callbacks' on_epoch_end

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
        y_pred = self.infer(self.fit_input(X), **fit_params)
        loss = self.get_loss(y_pred, y, X=X, training=True)
        loss.backward()
        if self.clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.module_.parameters(), self.clip_grad_norm)
        return {"loss": loss, "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        X, y = batch
        self._set_training(False)
        with torch.no_grad():
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


class KeepBestOnInterrupt(Callback):
    """On Ctrl-C, restore the weights of the best finished epoch instead of half-trained ones.

    skorch turns a ``KeyboardInterrupt`` into the end of training; "best" is the lowest
    validation loss when there is a validation split, else the lowest training loss.
    """

    def on_train_begin(self, net, **kwargs):
        self.best_loss_, self.best_weights_ = np.inf, None

    def on_epoch_end(self, net, **kwargs):
        last = net.history[-1]
        loss = last.get("valid_loss", last["train_loss"])
        if loss < self.best_loss_:
            self.best_loss_ = loss
            weights = net.module_.state_dict()
            self.best_weights_ = {name: w.detach().clone() for name, w in weights.items()}

    def on_train_end(self, net, **kwargs):
        if getattr(net, "interrupted_", False):
            message = f"Training interrupted during epoch {len(net.history)}"
            if self.best_weights_ is not None:
                net.module_.load_state_dict(self.best_weights_)
                message += f"; restored the best epoch's weights (loss {self.best_loss_:.4g})"
            warnings.warn(message + ".", UserWarning)
        self.best_weights_ = None  # not worth pickling


def raise_if_interrupted(estimator):
    """Raise ``KeyboardInterrupt`` if Ctrl-C ended ``estimator``'s training early.

    Such a fit returns normally with the best weights so far, which is what a user at the
    prompt wants; a study must stop instead of scoring or caching the model as finished.
    """
    if getattr(getattr(estimator, "net_", None), "interrupted_", False):
        raise KeyboardInterrupt


def as_tensor(X):
    """Share memory with a numpy array when torch may (it refuses read-only buffers)."""
    X = np.ascontiguousarray(X)
    return torch.from_numpy(X if X.flags.writeable else X.copy())


@contextmanager
def seeded(random_state, device):
    """Seed torch from ``random_state`` without touching the caller's global RNG state."""
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    cuda = str(device).startswith("cuda") and torch.cuda.is_available()
    with torch.random.fork_rng(devices=[torch.device(device)] if cuda else []):
        torch.manual_seed(seed)
        yield


def resolve_image_shape(image_shape, n_features):
    """``image_shape`` checked against ``n_features``; ``None`` infers a square or 1xn image."""
    if image_shape is None:
        side = math.isqrt(n_features)
        return (1, side, side) if side * side == n_features else (1, 1, n_features)
    image_shape = tuple(int(d) for d in image_shape)
    if len(image_shape) != 3 or math.prod(image_shape) != n_features:
        raise ValueError(
            f"X has {n_features} features per sample but image_shape={image_shape} needs "
            f"{math.prod(image_shape)} (channels x height x width). Flatten each image to "
            "one row, or set image_shape (None infers a square single-channel image)."
        )
    return image_shape


class TorchEstimator(BaseEstimator):
    """Base of the skae estimators: parameters and plumbing shared by all of them."""

    _parameter_constraints = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _net(self, module, net_class=SkaeNet, stratify=False, **net_params):
        """A skorch ``NeuralNet`` wired from the estimator's parameters."""
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        callbacks = [("keep_best_on_interrupt", KeepBestOnInterrupt())]
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
            verbose=self.verbose,
            **net_params,
        )

    def _fit_net(self, net, X, y=None):
        """Initialise and train ``net`` reproducibly; store it as ``net_``."""
        if str(self.device).startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device={self.device!r} was asked for but CUDA is not available.")
        with seeded(self.random_state, self.device):
            net.initialize()
            if self.max_epochs > 0:
                net.partial_fit(X, y)  # fit() would initialise a second time
        self.net_ = net
        for epoch in net.history:  # per-batch records: 9 MB for 100 epochs of 60 000 images
            epoch["batches"] = []
        finished = [epoch for epoch in net.history if "train_loss" in epoch]
        self.loss_curve_ = [epoch["train_loss"] for epoch in finished]
        self.validation_loss_curve_ = [e["valid_loss"] for e in finished if "valid_loss" in e]
        self.n_epochs_ = len(finished)
        return self

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
