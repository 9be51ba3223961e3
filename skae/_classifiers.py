"""Neural classifiers as scikit-learn estimators: a softmax/MLP head and the seed-0 CNN."""

from numbers import Real

import numpy as np
import torch
from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._base import (
    TRAINING_OPTIONS_DOC,
    TorchEstimator,
    as_tensor,
)
from ._checks import check_sizes
from ._modules import MLPHead, SmallCNN
from ._skorch import ClassifierNet

_SHARED_PARAMS_DOC = """
    lr : float, default={lr}
        Learning rate.
    batch_size : int, default=16
        Mini-batch size for training. The last, smaller batch is kept (the seed dropped it).
    max_epochs : int, default=100
        Passes over the training data.
    optimizer : {{"adam", "sgd"}} or torch optimizer class, default="{optimizer}"
        Optimizer.
    weight_decay : float, default=0.0
        L2 penalty applied by the optimizer (torch's ``weight_decay``).
    momentum : float, default=0.0
        Momentum of SGD (or of an optimizer class that takes one); 0 with ``"adam"``.
    clip_grad_norm : float or None, default={clip}
        Clip the gradient norm of each step to this value; ``None`` disables clipping.
    validation_fraction : float or None, default=None
        Fraction of the training samples held out to report a validation loss, stratified
        unless a class has too few samples for it (then a warning).
        ``None`` trains on every sample given: inside ``learning_curve`` a train size of 160
        means 160 training labels, not the 128 skorch's default split would leave.
    patience : int or None, default=None
        Stop after this many epochs without improvement of the validation loss and restore
        the best weights; needs ``validation_fraction``.
    device : str or torch.device, default="cpu"
        Where to train and infer, e.g. ``"cuda"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and shuffling.
    {training_options}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the :class:`torch.nn.Module`.
    loss_curve_ : list of float
        Training cross-entropy after each epoch.
    validation_loss_curve_ : list of float
        Validation cross-entropy after each epoch (empty without ``validation_fraction``).
    n_epochs_ : int
        Epochs completed.
    input_range_ : tuple of float
        ``(min, max)`` of the training data; ``predict`` and ``transform`` warn
        (:class:`~skae.InputRangeWarning`) when given inputs far outside it.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit, when ``X`` has string column names.
"""


class NeuralClassifier(ClassifierMixin, TorchEstimator):
    """Shared fit/predict of the torch classifiers; subclasses build the module."""

    _parameter_constraints = {
        **TorchEstimator._parameter_constraints,
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    }
    _stratify = True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train on ``X`` with cross-entropy loss on labels ``y``.

        With ``warm_start=True`` a fitted classifier goes on training for ``max_epochs``
        more epochs instead of starting again.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (any hashable type: ints, strings...).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._train(X, y, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Train one epoch on ``X``, ``y``, going on from the current weights if fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels, all among ``classes`` (or the classes seen by the first call).
        classes : array-like of shape (n_classes,) or None, default=None
            Every class the classifier will see. Needed on the first call when ``y`` may
            not contain them all; once fitted, classes other than ``classes_`` are an error.

        Returns
        -------
        self : object
            The classifier, trained one more epoch.
        """
        return self._train(X, y, partial=True, classes=classes)

    def _train(self, X, y, partial, classes=None):
        with self._unchanged_on_error(partial):
            epochs = 1 if partial else None
            if not self._continues(partial):
                X, y, net = self._prepare_fit(X, y, classes)
                return self._fit_net(net, as_tensor(X), y, epochs=epochs)
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={np.unique(classes).tolist()} differs from the classes of the "
                    f"first fit, {self.classes_.tolist()}: a trained network keeps its output "
                    "layer; fit from scratch (warm_start=False) to train on other classes."
                )
            X, y = self._validate(X, y)
            return self._fit_net(self.net_, as_tensor(X), self._encode(y), epochs=epochs)

    def _prepare_fit(self, X, y, classes=None):
        """Validated ``X``, encoded labels and the unfitted net; sets ``classes_``."""
        X, y = self._validate(X, y, reset=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y if classes is None else classes)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; "
                f"got 1 class: {self.classes_[0]!r}."
            )
        net = self._net(
            self._module_class(),
            net_class=ClassifierNet,
            criterion=torch.nn.CrossEntropyLoss,  # softmax is applied once, inside the loss
            clip_grad_norm=self.clip_grad_norm,
            **self._module_params(X.shape[1], len(self.classes_)),
        )
        return X, self._encode(y), net

    def _encode(self, y):
        """Labels as int64 class indices into ``classes_``; unknown labels are an error."""
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            why = (
                "A trained network keeps the classes of its first fit: pass every class to "
                "the first partial_fit (classes=), or fit from scratch."
                if hasattr(self, "net_")
                else "Pass classes= that hold every label of y."
            )
            raise ValueError(
                f"y contains labels not in classes_ {self.classes_.tolist()}: "
                f"{unknown[:5].tolist()}. {why}"
            )
        return torch.from_numpy(np.searchsorted(self.classes_, y).astype(np.int64))

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``.
        """
        return self._from_logits(lambda logits: logits.softmax(dim=1), X)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities (log-softmax of the logits, computed stably).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns ordered as ``classes_``.
        """
        return self._from_logits(lambda logits: logits.log_softmax(dim=1), X)

    def _from_logits(self, fn, X):
        # softmax in float32 (autocast keeps it in bfloat16 on CPUs: 3 significant digits)
        return self._from_module(lambda module, x: fn(module(x).float()), X)

    def _from_module(self, fn, X):
        check_is_fitted(self)
        X = self._validate(X)
        return self._infer(lambda x: fn(self.net_.module_, x), X)

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class SoftmaxClassifier(NeuralClassifier):
    """Softmax regression (or a small MLP) trained with Adam, as in the seed-0 study.

    A linear layer on any feature matrix, trained on the cross-entropy of its softmax. The
    seed-0 head also clipped gradient norms at 1.0 and used batch 16 for 100 epochs; it
    applied softmax twice (a softmax layer before ``CrossEntropyLoss``), which flattens the
    gradients: here the softmax is applied once, inside the loss. With
    ``hidden_units=(128,)`` it is the seed-1 transfer-learning MLP head.

    Parameters
    ----------
    hidden_units : tuple of int, default=()
        Widths of hidden ReLU layers; empty for plain softmax regression.
    {shared}
    See Also
    --------
    ConvAETransformer : Pretrained features to put in front of this head.
    sklearn.linear_model.LogisticRegression : The convex, full-batch equivalent.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skae import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(lr=1e-2, max_epochs=30, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        **NeuralClassifier._parameter_constraints,
        "hidden_units": [tuple, list],
    }

    def __init__(
        self,
        *,
        hidden_units=(),
        lr=1e-3,
        batch_size=16,
        max_epochs=100,
        optimizer="adam",
        weight_decay=0.0,
        momentum=0.0,
        clip_grad_norm=1.0,
        validation_fraction=None,
        patience=None,
        device="cpu",
        precision="float32",
        random_state=None,
        callbacks=None,
        warm_start=False,
        verbose=0,
    ):
        self.hidden_units = hidden_units
        self.lr = lr
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

    def _module_class(self):
        return MLPHead

    def _module_params(self, n_features, n_classes):
        return {
            "module__n_features": n_features,
            "module__n_classes": n_classes,
            "module__hidden_units": check_sizes(
                self, "hidden_units", self.hidden_units, empty=True
            ),
        }


class CNNClassifier(ClassNamePrefixFeaturesOutMixin, TransformerMixin, NeuralClassifier):
    """The seed-0 CNN, trained end to end on raw images with SGD.

    Two 3x3 convolutions (5 filters each, ReLU, 2x2 max-pooling), dropout, and a linear
    layer, trained on the cross-entropy of the softmax (applied once; the seed applied it
    twice).

    Parameters
    ----------
    image_shape : tuple of 3 ints or None, default=(1, 28, 28)
        ``(channels, height, width)`` of one flattened image. Every method also takes images
        unflattened, ``X`` of shape ``(n, height, width)`` or ``(n, channels, height, width)``,
        checked against ``image_shape``. ``None`` infers the shape of image-shaped ``X``, else
        a square single-channel image, or a ``1 x 1 x n_features`` strip.
    channels : tuple of 2 ints, default=(5, 5)
        Filters of the two convolutions.
    dropout : float, default=0.2
        Dropout probability before the linear layer.
    {shared}
    See Also
    --------
    SoftmaxClassifier : Head for frozen pretrained features.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import CNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.random((32, 784), dtype=np.float32), np.arange(32) % 2
    >>> CNNClassifier(max_epochs=1, random_state=0).fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _expects_pixels = True
    _parameter_constraints = {
        **NeuralClassifier._parameter_constraints,
        "image_shape": [tuple, list, None],
        "channels": [tuple, list],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        *,
        image_shape=(1, 28, 28),
        channels=(5, 5),
        dropout=0.2,
        lr=0.1,
        batch_size=16,
        max_epochs=100,
        optimizer="sgd",
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
        self.image_shape = image_shape
        self.channels = channels
        self.dropout = dropout
        self.lr = lr
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

    def transform(self, X):
        """The features the last layer classifies: the pooled convolution maps, flattened.

        A representation learned from the labels, e.g. for a graph over it
        (:class:`~skae.semi_supervised.PseudoLabelClassifier`'s ``relabeler``). Dropout is
        off.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input images, flattened.

        Returns
        -------
        features : ndarray of shape (n_samples, channels[1] * height // 4 * width // 4)
        """
        return self._from_module(lambda module, x: module.embed(x), X)

    @property
    def _n_features_out(self):  # read by get_feature_names_out
        return self.net_.module_.classifier.in_features

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # torch computes in float32
        return tags

    def _module_class(self):
        return SmallCNN

    def _module_params(self, n_features, n_classes):
        return {
            "module__image_shape": self.image_shape_,
            "module__n_classes": n_classes,
            "module__channels": check_sizes(self, "channels", self.channels, length=2),
            "module__dropout": float(self.dropout),
        }


def shared_params_doc(lr, optimizer, clip):
    """The parameters and attributes every classifier documents, with its defaults."""
    return _SHARED_PARAMS_DOC.format(
        lr=lr, optimizer=optimizer, clip=clip, training_options=TRAINING_OPTIONS_DOC.strip()
    ).strip()


SoftmaxClassifier.__doc__ = SoftmaxClassifier.__doc__.format(
    shared=shared_params_doc(lr="1e-3", optimizer="adam", clip="1.0")
)
CNNClassifier.__doc__ = CNNClassifier.__doc__.format(
    shared=shared_params_doc(lr="0.1", optimizer="sgd", clip="None")
)
