"""The ladder network (Rasmus et al. 2015) as a scikit-learn semi-supervised classifier.

The torch modules are in ``_ladder_modules.py``; here are the skorch net (its batches mix
labeled and unlabeled samples, its loss adds the denoising costs to the cross-entropy), the
learning-rate annealing and the estimator.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import Callback, LRScheduler
from skorch.utils import to_tensor

from ._base import SEMI_SUPERVISED_DOC_LINK, TorchEstimator, document_training_options
from ._checks import (
    LabeledScoreMixin,
    check_device,
    check_semi_supervised_targets,
    check_sizes,
)
from ._classifiers import NeuralClassifier
from ._ladder_modules import CONV_DEPTH, LadderNetwork
from ._skorch import ClassifierNet, _dataset_tensors

ARCHITECTURES = ("fc", "conv")
UNLABELED = -1  # scikit-learn's semi-supervised marker


def n_batches(n_samples, batch_size):
    """Steps in one epoch: one pass over all samples in batches of at most ``batch_size``,
    but never of 1 sample (its batch variance is 0): with ``batch_size=2`` and an odd count,
    one batch of 3."""
    return max(1, min(-(-n_samples // batch_size), n_samples // 2))


class MixedBatchLoader:
    """Batches of labeled samples joined to batches of all samples: every step sees labels.

    An epoch is one pass over all the samples (the unlabeled ones and the labeled ones, as the
    paper's 60 000 MNIST images), in ``n_batches`` batches of nearly equal size (never a
    one-sample remainder, whose batch statistics would be degenerate). Each is joined by
    ``min(batch_size, n_labeled)`` labeled samples, taken in turn from fresh permutations of
    the labeled ones: with 100 labels and batch 100, every step sees all of them (the paper's
    100 + 100). Yields ``({"x": X, "labeled": mask}, y)``, the labeled rows first, ``y`` -1 on
    the rows of the pass over all samples. Shuffling draws from torch's seeded RNG.
    """

    def __init__(self, dataset, batch_size=100, shuffle=True, device="cpu"):
        X, y = _dataset_tensors(dataset)
        self.X = torch.as_tensor(X, device=device)
        self.y = torch.as_tensor(y, device=device)
        self.labeled = torch.nonzero(self.y >= 0).flatten()
        if len(self.labeled) < 2:  # one labeled row: its batch variance is 0
            raise ValueError(
                f"The training data hold {len(self.labeled)} labeled sample(s) (after the "
                "validation split): a ladder network normalises the labeled rows of every "
                "batch by their own statistics, which needs at least 2. Lower "
                "validation_fraction, or label more samples."
            )
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return n_batches(len(self.X), self.batch_size)

    def __iter__(self):
        n, device = len(self.X), self.X.device
        order = torch.randperm(n, device=device) if self.shuffle else torch.arange(n, device=device)
        take = min(self.batch_size, len(self.labeled))
        labeled = self._labeled_rows(len(self) * take).view(len(self), take)
        for rows, labeled_rows in zip(order.tensor_split(len(self)), labeled):
            x = torch.cat([self.X[labeled_rows], self.X[rows]])
            mask = torch.arange(len(x), device=device) < take
            y = torch.cat([self.y[labeled_rows], self.y.new_full((len(rows),), UNLABELED)])
            yield {"x": x, "labeled": mask}, y

    def _labeled_rows(self, count):
        """``count`` labeled indices: whole permutations of the labeled samples, in turn."""
        n, device = len(self.labeled), self.labeled.device
        draw = torch.randperm if self.shuffle else torch.arange
        cycles = [draw(n, device=device) for _ in range(n_batches(count, n))]
        return self.labeled[torch.cat(cycles)[:count]]


class LinearLRDecay(Callback):
    """Anneal the learning rate linearly to 0 over the last steps of each fit.

    The paper trains at ``lr`` for the first ``lr_decay_start`` of the training (2/3: 100 of
    150 epochs), then lowers it linearly to 0 (per epoch there, per step here, so that short
    fits anneal too). Reads the net's ``lr_decay_start``; ``1.0`` leaves the learning rate
    to the user's schedulers (``LRScheduler`` callbacks). Without one, each fit starts at
    ``lr`` (a warm fit or ``partial_fit`` not from the last fit's 0).
    """

    def on_train_begin(self, net, **kwargs):
        self.step_ = 0
        if not any(isinstance(callback, LRScheduler) for _, callback in net.callbacks_):
            self._set_lr(net, 1.0)

    def on_batch_begin(self, net, training=False, **kwargs):
        if not training:
            return
        total = net.fit_epochs_ * net.train_batches_
        start = net.lr_decay_start * total
        if self.step_ >= start:
            self._set_lr(net, (total - self.step_) / (total - start))
        self.step_ += 1

    @staticmethod
    def _set_lr(net, factor):
        for group in net.optimizer_.param_groups:
            group["lr"] = float(net.lr * factor)  # a Python float: safe files refuse NumPy's


class LadderNet(ClassifierNet):
    """skorch net of the ladder network: mixed batches, and the loss of Rasmus et al.

    Training loss: the cross-entropy of the corrupted pass on the labeled rows plus the
    denoising costs weighted by ``denoising_costs`` (one per layer, input first). Validation
    loss: the cross-entropy of the clean pass on the labeled validation samples (the
    unlabeled ones are left out of the validation set).
    """

    def __init__(self, *args, noise_std=0.3, denoising_costs=(), lr_decay_start=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.noise_std = noise_std
        self.denoising_costs = denoising_costs
        self.lr_decay_start = lr_decay_start

    def get_iterator(self, dataset, training=False):
        if not training:
            return super().get_iterator(dataset, training=False)
        kwargs = {**self.get_params_for("iterator_train"), "batch_size": self.batch_size}
        loader = MixedBatchLoader(dataset, **kwargs)
        self.train_batches_ = len(loader)  # for LinearLRDecay
        return loader

    def get_split_datasets(self, X, y=None, **fit_params):
        train, valid = super().get_split_datasets(X, y, **fit_params)
        if valid is None:
            return train, None
        y_train = np.asarray(_dataset_tensors(train)[1])
        if len(np.unique(y_train[y_train >= 0])) < 2:
            raise ValueError(
                "The training split holds labels of fewer than 2 classes: lower "
                "validation_fraction, label more samples, or set validation_fraction=None."
            )
        X_valid, y_valid = _dataset_tensors(valid)
        labeled = np.flatnonzero(np.asarray(y_valid) >= 0)
        if not len(labeled):
            raise ValueError(
                "The validation split holds no labeled sample, so no validation loss can be "
                "computed: raise validation_fraction, label more samples, or set "
                "validation_fraction=None."
            )
        return train, self.get_dataset(X_valid[labeled], y_valid[labeled])

    def infer(self, x, **fit_params):
        return super().infer(
            x, noise_std=self.noise_std, denoising_costs=self.denoising_costs, **fit_params
        )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        logits, costs = y_pred if isinstance(y_pred, tuple) else (y_pred, None)
        y_true = to_tensor(y_true, device=self.device)
        labeled = y_true >= 0
        loss = self.criterion_(logits[labeled].float(), y_true[labeled])
        if costs is not None:
            weights = torch.as_tensor(self.denoising_costs, dtype=costs.dtype, device=costs.device)
            loss = loss + (weights * costs).sum()
        return loss


@document_training_options
class LadderClassifier(LabeledScoreMixin, NeuralClassifier):
    """The ladder network: a denoising autoencoder trained jointly with the classifier.

    Rasmus et al. (2015), "Semi-Supervised Learning with Ladder Networks". Each step runs a
    clean and a corrupted encoder pass (Gaussian noise on the input and on every normalised
    pre-activation) over a batch of labeled samples and a batch of all samples; a decoder
    with lateral connections denoises the corrupted pass layer by layer (the vanilla
    combinator, 10 parameters per unit), and the loss is the cross-entropy of the corrupted
    output on the labeled samples plus, for each layer, a weighted squared distance between
    the decoder's estimate and the clean pass. The encoder normalises each pre-activation by
    its batch statistics without scale or shift, then adds a learned shift (``beta``, and a
    scale ``gamma`` at the softmax). ``predict`` and ``predict_proba`` run the clean pass,
    normalised by the running statistics of the labeled batches, as the reference
    implementation does. With ``precision="bfloat16"`` only the matrix products and
    convolutions run in bfloat16: the normalisations, the combinators and the losses stay
    float32.

    ``fit(X, y)`` takes every sample, unlabeled ones marked ``-1`` (scikit-learn's
    semi-supervised convention); labels may be of any type (string labels: an object array
    with the integer -1 for unlabeled samples; a string ``"-1"`` is an error). Each batch
    mixes ``batch_size`` samples of a pass over all of ``X`` (labeled ones included) with
    ``min(batch_size, n_labeled)`` labeled samples, cycled (oversampled) so that every step
    has labels; an epoch is one pass over all of ``X``. ``score`` counts the labeled
    samples of ``y`` only.

    Published on MNIST (60 000 images, 100 labels, 150 epochs): 98.94 % test accuracy for
    the fully connected network, 99.11 % for Conv-Small as a Gamma-model.

    Parameters
    ----------
    architecture : {"fc", "conv"}, default="fc"
        ``"fc"``: fully connected layers of ``hidden_units``, a decoder at every layer (the
        "full" ladder). ``"conv"``: the paper's Conv-Small encoder (5x5 "full" convolution,
        max-pool, 3x3 "valid", 3x3 "full", max-pool, 3x3 "valid", 1x1 to one map per class,
        global mean pool, fully connected softmax layer) as a Gamma-model: the denoising cost
        on the top layer only.
    hidden_units : tuple of int, default=(1000, 500, 250, 250, 250)
        Widths of the ReLU layers of ``"fc"`` (the paper's MNIST network); may be empty.
    channels : tuple of 4 ints, default=(32, 64, 64, 128)
        Filters of the four 5x5/3x3 convolutions of ``"conv"`` (the paper's Conv-Small).
    denoising_costs : tuple of float or None, default=None
        Weights of the layers' denoising costs. ``"fc"``: one per layer, the input first and
        the softmax layer last (``len(hidden_units) + 2`` values); ``"conv"``: one, the top
        layer's. All 0: the same network trained on the labeled samples only (with the
        noise), the paper's supervised baseline. ``None``: the paper's values at 100 MNIST
        labels, ``(1000, 10, 0.1, ..., 0.1)`` for ``"fc"``, ``(1.0,)`` for ``"conv"``.
    noise_std : float, default=0.3
        Standard deviation of the Gaussian noise of the corrupted pass, on the input (pixels
        in [0, 1]) and on each normalised pre-activation (the paper's 0.3).
    image_shape : tuple of 3 ints or None, default=(1, 28, 28)
        ``(channels, height, width)`` of one flattened image; every method also takes
        images unflattened, ``(n, H, W)`` or ``(n, C, H, W)``, checked against it. ``None``
        infers the shape of image-shaped ``X``, else a square single-channel image, or a
        ``1 x 1 x n_features`` strip. The convolutional encoder zero-pads images smaller
        than 8x8.
    lr : float, default=0.002
        Learning rate of Adam (the paper's).
    lr_decay_start : float in [0, 1], default=0.67
        Share of each fit's steps at ``lr``; the rest lowers it linearly to 0 (the paper:
        100 of 150 epochs; the reference code's default 0.67). ``1.0``: constant.
        ``partial_fit`` always trains at ``lr``.
    batch_size : int, default=100
        Samples of the pass over all of ``X`` per batch; each batch also holds up to as many
        labeled samples (the paper: 100 + 100). At least 2: the batch statistics need 2.
    max_epochs : int, default=150
        Passes over all of ``X`` (the paper's 150; 600 steps each on 60 000 images).
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer.
    weight_decay : float, default=0.0
        L2 penalty applied by the optimizer (torch's ``weight_decay``).
    momentum : float, default=0.0
        Momentum of SGD (or of an optimizer class that takes one); 0 with ``"adam"``.
    clip_grad_norm : float or None, default=None
        Clip the gradient norm of each step to this value; ``None`` disables clipping.
    validation_fraction : float or None, default=None
        Fraction of the samples held out (stratified, unlabeled ones as one more group) to
        report a validation loss: the clean pass's cross-entropy on the held-out labeled
        samples. ``None`` trains on every sample given.
    patience : int or None, default=None
        Stop after this many epochs without improvement of the validation loss and restore
        the best weights; needs ``validation_fraction``.
    device : str or torch.device, default="cpu"
        Where to train and infer, e.g. ``"cuda"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, noise, shuffling and the labeled batches.
    {training_options}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels seen among the labeled samples.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the :class:`torch.nn.Module`.
    image_shape_ : tuple of int
        Image shape used, after inference when ``image_shape=None``.
    loss_curve_ : list of float
        Training loss (cross-entropy plus weighted denoising costs) after each epoch.
    validation_loss_curve_ : list of float
        Validation cross-entropy after each epoch (empty without ``validation_fraction``).
    n_epochs_ : int
        Epochs completed.
    input_range_ : tuple of float
        ``(min, max)`` of the training data; ``predict`` warns
        (:class:`~skae.InputRangeWarning`) when given inputs far outside it.
    n_features_in_ : int
        Number of features (pixels) seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit, when ``X`` has string column names.

    Raises
    ------
    ValueError
        In ``fit``: fewer than 2 classes among the labeled samples, no labeled sample,
        ``denoising_costs`` of the wrong length, negative or, for ``"conv"``, anywhere but
        the top; training data or a validation split (``validation_fraction``) without a
        labeled sample.

    See Also
    --------
    GraphClassifier : Label propagation over a graph of the samples.
    PseudoLabelClassifier : A supervised classifier trained on propagated labels.
    skae.EncoderClassifier : A pretrained encoder fine-tuned on the labeled samples only.

    References
    ----------
    A. Rasmus, H. Valpola, M. Honkala, M. Berglund and T. Raiko (2015). Semi-Supervised
    Learning with Ladder Networks. NeurIPS 28. https://arxiv.org/abs/1507.02672

    Examples
    --------
    >>> import numpy as np
    >>> from skae.semi_supervised import LadderClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((200, 784), dtype=np.float32)
    >>> y = np.full(200, -1)
    >>> y[:20] = np.arange(20) % 2  # 20 labeled samples, 180 unlabeled
    >>> clf = LadderClassifier(hidden_units=(64, 32), max_epochs=2, random_state=0)
    >>> clf.fit(X, y).predict_proba(X[:3]).shape
    (3, 2)
    """

    _doc_link_template = SEMI_SUPERVISED_DOC_LINK  # documented in skae.semi_supervised
    _expects_pixels = True
    _fixed_when_warm = (*TorchEstimator._fixed_when_warm, "architecture")
    _parameter_constraints = {
        **NeuralClassifier._parameter_constraints,
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "hidden_units": [tuple, list],
        "channels": [tuple, list],
        "denoising_costs": [tuple, list, np.ndarray, None],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "image_shape": [tuple, list, None],
        "lr_decay_start": [Interval(Real, 0, 1, closed="both")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        *,
        architecture="fc",
        hidden_units=(1000, 500, 250, 250, 250),
        channels=(32, 64, 64, 128),
        denoising_costs=None,
        noise_std=0.3,
        image_shape=(1, 28, 28),
        lr=0.002,
        lr_decay_start=0.67,
        batch_size=100,
        max_epochs=150,
        optimizer="adam",
        weight_decay=0.0,
        momentum=0.0,
        clip_grad_norm=None,
        validation_fraction=None,
        patience=None,
        device="cpu",
        precision="float32",
        random_state=None,
        callbacks=None,
        warm_start=False,
        verbose=0,
    ):
        self.architecture = architecture
        self.hidden_units = hidden_units
        self.channels = channels
        self.denoising_costs = denoising_costs
        self.noise_std = noise_std
        self.image_shape = image_shape
        self.lr = lr
        self.lr_decay_start = lr_decay_start
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.clip_grad_norm = clip_grad_norm
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train on all of ``X``: cross-entropy on the labeled samples, denoising on all.

        With ``warm_start=True`` a fitted classifier trains ``max_epochs`` more epochs (with
        a learning-rate schedule of their own) instead of starting again.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or images (n_samples, [C,] H, W)
            All samples, labeled and unlabeled, pixels in [0, 1].
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks an unlabeled sample.

        Returns
        -------
        self : LadderClassifier
            The fitted classifier.
        """
        return self._train(X, y, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Train one epoch on ``X``, ``y`` at ``lr``, going on from the current weights if fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or images (n_samples, [C,] H, W)
            Samples, labeled and unlabeled; at least one labeled.
        y : array-like of shape (n_samples,)
            Labels, all among ``classes`` (or the classes seen by the first call); ``-1``
            marks an unlabeled sample.
        classes : array-like of shape (n_classes,) or None, default=None
            Every class the classifier will see. Needed on the first call when the labeled
            samples of ``y`` may not contain them all; once fitted, classes other than
            ``classes_`` are an error.

        Returns
        -------
        self : LadderClassifier
            The classifier, trained one more epoch.
        """
        return self._train(X, y, partial=True, classes=classes)

    def _prepare_fit(self, X, y, classes=None):
        """Validated ``X``, encoded labels (-1: unlabeled), the unfitted net; sets ``classes_``."""
        X, y = self._validate(X, y, reset=True)
        labeled = check_semi_supervised_targets(y, classes)
        self.classes_ = np.unique(y[labeled] if classes is None else classes)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs labeled samples (y != -1) of at least 2 "
                f"classes; got {labeled.sum()} labeled of {len(self.classes_)} class(es)."
            )
        net = self._net(
            LadderNetwork,
            net_class=LadderNet,
            criterion=torch.nn.CrossEntropyLoss,
            clip_grad_norm=self.clip_grad_norm,
            noise_std=float(self.noise_std),
            denoising_costs=self._layer_costs(),
            **self._fused_adam(),
            **self._module_params(X.shape[1], len(self.classes_)),
        )
        return X, self._encode(y), net

    def _fused_adam(self):
        """torch's fused Adam where it has one: on a CPU, 3 ms a step instead of 19 for the
        paper's 1.5 million weights (an eighth of the step)."""
        adam = self.optimizer in ("adam", torch.optim.Adam)
        fused = adam and check_device(self.device).type in ("cpu", "cuda")
        return {"optimizer__fused": True} if fused else {}

    def _encode(self, y):
        """Labels as int64 indices into ``classes_``, -1 for unlabeled samples."""
        labeled = y != UNLABELED
        if not labeled.any():
            raise ValueError(
                f"{type(self).__name__} needs labeled samples in every fit: y holds only -1."
            )
        codes = super()._encode(y[labeled]).numpy()
        encoded = np.full(len(y), UNLABELED, dtype=np.int64)
        encoded[labeled] = codes
        return torch.from_numpy(encoded)

    def _module_params(self, n_features, n_classes):
        if self.architecture == "fc":  # the other architecture's sizes are not checked
            sizes = {"module__hidden_units": self._hidden_units()}
        else:
            sizes = {"module__channels": check_sizes(self, "channels", self.channels, length=4)}
        return {
            "module__n_features": n_features,
            "module__n_classes": n_classes,
            "module__architecture": self.architecture,
            "module__image_shape": self.image_shape_,
            **sizes,
        }

    def _hidden_units(self):
        return check_sizes(self, "hidden_units", self.hidden_units, empty=True)

    def _layer_costs(self):
        """The denoising weight of every layer of the network, input first, from
        ``denoising_costs`` (``"conv"``: the top layer's, the others 0)."""
        fc = self.architecture == "fc"
        n_layers = len(self._hidden_units()) + 2 if fc else CONV_DEPTH + 1
        default = (1000.0, 10.0) + (0.1,) * (n_layers - 2) if fc else (1.0,)
        costs = default if self.denoising_costs is None else tuple(self.denoising_costs)
        expected = n_layers if fc else 1
        what = "one per layer, the input first" if fc else "the top layer's only (Gamma-model)"
        valid = all(isinstance(c, Real) and np.isfinite(c) and c >= 0 for c in costs)
        if len(costs) != expected or not valid:
            raise ValueError(
                f"denoising_costs must hold {expected} non-negative finite numbers for "
                f"architecture={self.architecture!r} ({what}); got {self.denoising_costs!r}."
            )
        costs = tuple(float(c) for c in costs)
        return costs if fc else (0.0,) * (n_layers - 1) + costs

    def _extra_callbacks(self):
        user = self._user_callbacks()
        if self.lr_decay_start < 1 and any(isinstance(c, LRScheduler) for c in user):
            raise ValueError(
                f"lr_decay_start={self.lr_decay_start} anneals the learning rate, which would "
                "override the LRScheduler callback's: set lr_decay_start=1.0 to schedule it "
                "with your own."
            )
        return [("lr_decay", LinearLRDecay())]

    def _fit_net(self, net, X, y=None, epochs=None):
        net.lr_decay_start = self.lr_decay_start if epochs is None else 1.0  # partial_fit: flat
        return super()._fit_net(net, X, y, epochs=epochs)

    def _as_trained(self, name, value):
        """As the base's; the sizes of the other architecture are no change of the network."""
        if name == {"fc": "channels", "conv": "hidden_units"}.get(self.architecture):
            return None
        return super()._as_trained(name, value)

    def _apply_new_params(self, net):
        super()._apply_new_params(net)
        net.noise_std, net.denoising_costs = float(self.noise_std), self._layer_costs()
