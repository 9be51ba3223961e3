"""Many small classifiers trained as one batched computation.

A seed-0 head step costs ~0.4 ms alone, of which its 196x10 matrix product is a few
microseconds: the rest is per-step overhead. Here the K models' weights are stacked, the
forward pass is ``torch.func.vmap`` over ``functional_call`` (PyTorch's model-ensembling
recipe), and one backward pass, one gradient clipping and one optimizer update serve all K.

Each model is still the one a lone ``fit`` makes: its initial weights and its shuffling come
from the RNG state its ``random_state`` gives a lone fit; it takes its own number of steps an
epoch (the last batch smaller), its own clipping and its own Adam state. Models are sorted by
steps per epoch, so the models still in their epoch at step ``s`` are a prefix of the stack:
they are sliced, not masked, and a model whose epoch has ended is neither computed nor moved.
Dropout masks come from each model's own generator too, drawn as a lone fit draws them: each
batch's mask after the epoch's shuffle, of the batch's own size.
"""

import copy
import time
from collections import defaultdict, namedtuple
from contextlib import ExitStack

import numpy as np
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Binarizer, FunctionTransformer, Normalizer
from sklearn.utils import _safe_indexing
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from torch.nn import functional as F
from tqdm.auto import tqdm

from ._base import TorchEstimator, as_tensor, seeded, unchanged_on_error
from ._classifiers import CNNClassifier, SoftmaxClassifier
from ._precision import autocast
from ._skorch import _fingerprint

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, as a lone fit uses


def batchable(estimator):
    """Whether :func:`fit_batched` trains ``estimator`` as a lone ``fit`` would.

    Softmax heads and the CNN, with a named optimizer, no validation split (early stopping
    would end each model at its own epoch), no extra callbacks, not going on from a fit.
    Exactly these classes: a subclass may change ``fit``, which batching would skip.
    """
    return (
        type(estimator) in (SoftmaxClassifier, CNNClassifier)
        and estimator.validation_fraction is None
        and isinstance(estimator.optimizer, str)
        and not estimator.callbacks
        and not (estimator.warm_start and hasattr(estimator, "net_"))
    )


def split_fixed_steps(estimator):
    """``(fixed steps, unfitted head)`` when the fits can be batched, else ``(None, None)``."""
    if batchable(estimator):
        return [], estimator
    if type(estimator) is not Pipeline:  # a subclass may fit otherwise
        return None, None
    *steps, (_, head) = estimator.steps
    steps = [step for _, step in steps if step not in (None, "passthrough")]
    if batchable(head) and all(map(is_fixed, steps)):
        return steps, head
    return None, None


def is_fixed(step):
    """Whether ``step`` needs no training and transforms each row on its own.

    Then its output on all rows, indexed, is its output on any subset: a ``FrozenEstimator``
    of a skae encoder (its ``transform`` runs in eval mode), ``Normalizer``, ``Binarizer``
    and the identity ``FunctionTransformer()``. Anything else (a ``FunctionTransformer``
    with a ``func``, which may look at all its rows, a user's subclass) is not batched.
    """
    if type(step) is FrozenEstimator:
        encoder = type(step.estimator)
        return issubclass(encoder, TorchEstimator) and encoder.__module__.startswith("skae.")
    if type(step) is FunctionTransformer:
        return step.func is None
    return type(step) in (Normalizer, Binarizer)


def fixed_transform(steps, X):
    """``X`` through fixed steps, which need no fit."""
    for step in steps:
        X = step.transform(X)
    return X


def fit_fixed_steps(steps, X, y=None):
    """Fit clones of fixed steps as a ``Pipeline`` would; the fitted steps and ``X`` through them.

    Fitting a fixed step only records what it was given (``n_features_in_``...): the same
    on every subset of the rows.
    """
    fitted = []
    for step in steps:
        step = clone(step)  # a FrozenEstimator's clone is itself; its fit does nothing
        X = step.fit(X, y).transform(X)
        fitted.append(step)
    return fitted, X


def fit_batched(estimators, X, y, indices, *, verbose=0):
    """Fit ``estimators[k]`` on ``X[indices[k]]``, ``y[indices[k]]``, all models at once.

    Models that share an architecture and a training schedule (batch size, epochs, optimizer,
    clipping, momentum, device) train as one computation; learning rates, weight decays and
    train sizes may differ.
    ``X`` is shared: each step gathers its rows, no model gets a copy of its training data.

    Parameters
    ----------
    estimators : list of SoftmaxClassifier or CNNClassifier
        Unfitted estimators (see :func:`batchable`); they are fitted in place.
    X : array-like of shape (n_samples, n_features)
        Training data shared by all models; image models also take images, flattened as
        their ``fit`` flattens them.
    y : array-like of shape (n_samples,)
        Labels.
    indices : list of array-like of int
        The rows of ``X`` each model trains on.
    verbose : int, default=0
        ``1`` shows a progress bar (epochs, ETA, mean loss) for each group of models.

    Returns
    -------
    estimators : list
        The same estimators, fitted: ``predict``, ``loss_curve_``, pickling as after ``fit``.
        An error or a Ctrl-C leaves every one as it was (fitted attributes included) and
        raises.
    """
    if len(estimators) != len(indices):
        raise ValueError(f"Got {len(estimators)} estimators but {len(indices)} index arrays.")
    if len({id(e) for e in estimators}) < len(estimators):  # one object holds one model
        raise ValueError("An estimator appears twice in estimators; pass clones instead.")
    with ExitStack() as undo:  # an error or Ctrl-C leaves every estimator as it was
        for estimator in estimators:
            undo.enter_context(unchanged_on_error(estimator))
        fits = [prepare(e, X, y, rows) for e, rows in zip(estimators, indices)]
        train_batched(fits, X, verbose)
    return estimators


Fit = namedtuple("Fit", "estimator net rows y")


def prepare(estimator, X, y, rows):
    """Check ``estimator`` and build its unfitted net for ``X[rows]``: a :class:`Fit` to train.

    Raises what ``estimator.fit(X[rows], y[rows])`` raises before training (invalid
    parameters, a single class...), so that callers can tell failing fits apart.
    """
    if not batchable(estimator):
        raise TypeError(f"{estimator!r} cannot be trained batched; fit it alone.")
    estimator._validate_params()
    estimator._check_device()
    rows = np.asarray(rows)
    X, y_encoded, net = estimator._prepare_fit(_safe_indexing(X, rows), _safe_indexing(y, rows))
    net.fit_data_ = _fingerprint(as_tensor(X), y_encoded, net.train_split)  # as fit's
    return Fit(estimator, net, rows, y_encoded)


def train_batched(fits, X, verbose=0):
    """Train prepared :class:`Fit` s, grouped by schedule, and store each in its estimator.

    Returns
    -------
    seconds : ndarray of shape (len(fits),)
        Each fit's share of its group's training time: the group's time times the fit's
        share of the group's optimizer steps.
    """
    groups = defaultdict(list)
    for i, fit in enumerate(fits):
        groups[_schedule(fit.estimator, fit.net)].append(i)
    seconds, X_shared = np.zeros(len(fits)), None
    for members in groups.values():
        start = time.perf_counter()
        device = torch.device(fits[members[0]].estimator.device)
        if X_shared is None or X_shared.device != device:
            X_shared = as_tensor(_rows_of(X)).to(device)
        _train_group([fits[i] for i in members], X_shared, verbose)
        steps = np.array([-(-len(fits[i].rows) // fits[i].estimator.batch_size) for i in members])
        seconds[members] = (time.perf_counter() - start) * steps / steps.sum()
    return seconds


def _rows_of(X):
    """``X`` as float32 rows: images (checked by ``prepare``) flattened as ``fit`` does."""
    X = np.asarray(X, dtype=np.float32)
    return X.reshape(len(X), -1)


def _schedule(estimator, net):
    """What models must share to train together: architecture and training schedule."""
    module = sorted((k, repr(v)) for k, v in net.get_params().items() if k.startswith("module__"))
    settings = ("batch_size", "max_epochs", "optimizer", "momentum", "clip_grad_norm", "precision")
    return (
        type(estimator),
        str(estimator.device),
        *module,
        *(repr(getattr(estimator, name)) for name in settings),
    )


def _train_group(members, X, verbose):
    """Train models of one schedule together, then store each in its estimator."""
    members = sorted(members, key=lambda m: -len(m[2]))  # models still stepping: a prefix
    first = members[0][0]
    device, batch_size, epochs = X.device, first.batch_size, first.max_epochs
    models = [_Model(estimator, net, rows, y, device) for estimator, net, rows, y in members]
    sizes = torch.tensor([len(m.rows) for m in models], device=device)
    steps = -(-sizes // batch_size)
    active = [int((steps > s).sum()) for s in range(int(steps[0]))]
    params, _ = stack_module_state([m.net.module_ for m in models])
    params = {name: p.detach() for name, p in params.items()}
    optimizer = _Optimizer(first, params, [m.estimator for m in models])
    network = copy.deepcopy(models[0].net.module_).to("meta").train()
    dropouts = _masked_dropouts(network, X.shape[1])
    forward = vmap(lambda p, x: functional_call(network, p, (x,)), randomness="error")
    history = []
    progress = tqdm(total=epochs, desc=f"{len(models)} models", unit="epoch", disable=not verbose)
    with progress:
        for epoch in range(epochs):
            start = time.perf_counter()
            rows, labels = _epoch_batches(models, steps[0] * batch_size, device)
            total = torch.zeros(len(models), device=device)
            for s, k in enumerate(active):
                batch = slice(s * batch_size, (s + 1) * batch_size)
                counts = (sizes[:k] - s * batch_size).clamp(max=batch_size)
                views = {name: p[:k].detach().requires_grad_() for name, p in params.items()}
                masks = _dropout_masks(dropouts, models[:k], counts, batch_size)
                with autocast(first.precision, device):
                    logits = forward({**views, **masks}, X[rows[:k, batch]])  # (k, batch, classes)
                logits, target = logits.float(), labels[:k, batch]
                loss = F.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="none")
                in_batch = torch.arange(target.shape[1], device=device) < counts[:, None]
                losses = (loss.view_as(target) * in_batch).sum(1) / counts  # each model's mean
                losses.sum().backward()
                total[:k] += losses.detach() * counts  # skorch weights batches by their size
                optimizer.step(views, k)
            history.append((total / sizes, time.perf_counter() - start))
            progress.set_postfix(mean_loss=f"{history[-1][0].mean():.4f}")
            progress.update()
    for k, model in enumerate(models):
        model.store({name: p[k] for name, p in params.items()}, history, k)
        model.net.optimizer_.load_state_dict(optimizer.state_dict(k, model.net))


class _MaskedDropout(nn.Module):
    """Dropout whose scaled keep-mask comes in as the buffer ``mask`` (one per model)."""

    def __init__(self, p):
        super().__init__()
        self.p, self.shape = p, None
        self.register_buffer("mask", None)

    def forward(self, x):
        if self.mask is None:  # the dry run that learns the shape of what is dropped
            self.shape = x.shape[1:]
            return x
        return x * self.mask


def _masked_dropouts(network, n_features):
    """Replace ``network``'s dropouts with :class:`_MaskedDropout` s; those, by buffer name."""
    dropouts = {}
    for name, module in list(network.named_modules()):
        if isinstance(module, nn.Dropout):
            parent, _, child = name.rpartition(".")
            masked = _MaskedDropout(module.p) if module.p > 0 else nn.Identity()  # p=0: no draw
            network.get_submodule(parent).register_module(child, masked)
            if module.p > 0:
                dropouts[f"{name}.mask"] = masked
    network(torch.empty(1, n_features, device="meta"))
    return dropouts


def _dropout_masks(dropouts, models, counts, batch_size):
    """Each model's masks for one step, from its own generator, padded to ``batch_size`` rows.

    In the order a lone fit draws them: layer after layer, of the batch's own size.
    """
    masks, counts = {}, counts.tolist() if dropouts else None
    for name, dropout in dropouts.items():
        device = models[0].rng.device
        masks[name] = torch.zeros(len(models), batch_size, *dropout.shape, device=device)
        for k, (model, count) in enumerate(zip(models, counts)):
            masks[name][k, :count] = _keep_mask((count, *dropout.shape), dropout.p, model.rng)
    return masks


def _keep_mask(shape, p, rng):
    """The scaled keep-mask ``F.dropout`` draws for a float32 input of ``shape``, from ``rng``."""
    if rng.device.type == "cpu":  # ATen's CPU dropout: bernoulli(1 - p), then / (1 - p)
        return torch.empty(shape, dtype=torch.float32).bernoulli_(1 - p, generator=rng).div_(1 - p)
    # CUDA's fused dropout takes no generator: let ``rng`` stand in for the default one
    default = torch.cuda.default_generators[rng.device.index]
    saved = default.get_state()
    default.set_state(rng.get_state())
    mask = torch.native_dropout(torch.ones(shape, device=rng.device), p, True)[0]
    rng.set_state(default.get_state())
    default.set_state(saved)
    return mask


class _Model:
    """One estimator of a batch: its net, training rows, labels and shuffling RNG."""

    def __init__(self, estimator, net, rows, y, device):
        self.estimator, self.net = estimator, net
        self.rows = torch.as_tensor(rows, device=device)
        self.y = y.to(device)
        with seeded(estimator.random_state, device):
            estimator._initialize_net(net)  # the lone fit's initial weights
            self.rng = torch.Generator(device)  # ... and where its shuffling starts
            state = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
            self.rng.set_state(torch.get_rng_state() if state is None else state)

    def store(self, weights, history, k):
        """Load the trained weights into the net and record the fit as ``fit`` does."""
        self.net.module_.load_state_dict({name: w.clone() for name, w in weights.items()})
        n_batches, best = -(-len(self.rows) // self.estimator.batch_size), np.inf
        for epoch, (losses, duration) in enumerate(history, 1):
            loss = float(losses[k])
            row = {"epoch": epoch, "train_batch_count": n_batches, "dur": duration}
            row.update(train_loss=loss, train_loss_best=loss < best, fit_data=self.net.fit_data_)
            self.net.history.new_epoch()
            for key, value in row.items():
                self.net.history.record(key, value)
            best = min(best, loss)
        self.estimator._set_trained(self.net)


def _epoch_batches(models, width, device):
    """Each model's shuffled rows and labels for one epoch, padded to ``width`` columns."""
    rows = torch.zeros(len(models), width, dtype=torch.long, device=device)
    labels = torch.zeros_like(rows)
    for k, model in enumerate(models):
        order = torch.randperm(len(model.rows), generator=model.rng, device=device)
        rows[k, : len(order)] = model.rows[order]
        labels[k, : len(order)] = model.y[order]
    return rows, labels


class _Optimizer:
    """Adam or SGD (torch's update rules and defaults) on stacked weights, per-model clipping.

    Only the first ``k`` models step; the others keep their weights and their optimizer state
    (Adam's step count included), as a lone fit does between its epochs' last step and the
    next. Learning rate and weight decay are per model; clipping and momentum are shared.
    """

    def __init__(self, estimator, params, estimators):
        self.params, self.adam = params, estimator.optimizer == "adam"
        self.clip, self.momentum = estimator.clip_grad_norm, estimator.momentum
        device = next(iter(params.values())).device
        self.lr, self.decay = (
            torch.tensor([getattr(e, name) for e in estimators], dtype=torch.float32, device=device)
            for name in ("lr", "weight_decay")
        )
        self.t = torch.zeros(len(estimators), device=device)
        slots = 2 if self.adam else int(self.momentum > 0)  # Adam's m and v, SGD's momentum
        self.state = [{n: torch.zeros_like(p) for n, p in params.items()} for _ in range(slots)]

    @torch.no_grad()
    def step(self, views, k):
        grads = {name: view.grad for name, view in views.items()}
        if self.clip is not None:  # torch.nn.utils.clip_grad_norm_, one norm per model
            norm = sum(g.pow(2).flatten(1).sum(1) for g in grads.values()).sqrt()
            scale = (self.clip / (norm + 1e-6)).clamp(max=1.0)
            grads = {name: g * _per_model(scale, g) for name, g in grads.items()}
        if self.decay.any():  # torch's weight_decay: added to the gradient, after clipping
            decay = self.decay[:k]
            grads = {n: g + self.params[n][:k] * _per_model(decay, g) for n, g in grads.items()}
        lr, t = self.lr[:k], self.t[:k].add_(1)
        if not self.adam:
            for name, g in grads.items():
                if self.state:  # torch's SGD momentum (no dampening): buf = mu * buf + g
                    g = self.state[0][name][:k].mul_(self.momentum).add_(g)
                self.params[name][:k].sub_(g * _per_model(lr, g))
            return
        beta1, beta2 = ADAM_BETAS
        step_size, bias2_sqrt = lr / (1 - beta1**t), (1 - beta2**t).sqrt()
        for name, g in grads.items():
            m, v = self.state[0][name][:k], self.state[1][name][:k]
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (v.sqrt() / _per_model(bias2_sqrt, v)).add_(ADAM_EPS)
            self.params[name][:k].sub_(m / denom * _per_model(step_size, m))

    def state_dict(self, k, net):
        """Model ``k``'s state as a ``state_dict`` of its net's torch optimizer: the one a
        lone fit leaves (for a scorer, or a warm fit going on from it)."""
        optimizer = net.optimizer_
        if not self.state or not self.t[k]:  # SGD without momentum, or never stepped
            return optimizer.state_dict()
        name_of = {id(p): name for name, p in net.module_.named_parameters()}
        names = [name_of[id(p)] for group in optimizer.param_groups for p in group["params"]]
        if self.adam:
            step = self.t[k].detach().cpu()
            slots = [
                {
                    "step": step.clone(),
                    "exp_avg": self.state[0][name][k].clone(),
                    "exp_avg_sq": self.state[1][name][k].clone(),
                }
                for name in names
            ]
        else:
            slots = [{"momentum_buffer": self.state[0][name][k].clone()} for name in names]
        return {**optimizer.state_dict(), "state": dict(enumerate(slots))}


def _per_model(values, like):
    """``(k,)`` values shaped to broadcast over ``like``'s ``(k, ...)`` per-model tensors."""
    return values.view(-1, *[1] * (like.dim() - 1))
