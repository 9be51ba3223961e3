"""Convolutional autoencoder as a scikit-learn transformer."""

from numbers import Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.utils import to_tensor

from ._base import TorchEstimator, as_tensor, resolve_image_shape
from ._modules import POOLING, ConvAE, padded_shape


class AutoencoderNet(NeuralNet):
    """skorch net whose loss is the reconstruction error plus an optional sparsity penalty."""

    def __init__(self, *args, sparsity=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.sparsity = sparsity

    def get_loss(self, y_pred, y_true, X=None, training=False):
        reconstruction, code = y_pred
        loss = self.criterion_(reconstruction, to_tensor(X, device=self.device))
        if self.sparsity > 0:  # L1 on the code activations: the seed's sparse AE
            loss = loss + self.sparsity * code.abs().mean()
        return loss


class ConvAETransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, TorchEstimator):
    """Seed-0 convolutional autoencoder whose ``transform`` returns the frozen code.

    ``fit(X)`` trains the autoencoder on unlabeled images to reconstruct them (mean squared
    error). ``transform`` returns the flattened encoder output: for 28x28 MNIST images a
    4x7x7 code, i.e. 196 features, ready for any classifier in a ``Pipeline``. Wrap a fitted
    instance in :class:`sklearn.frozen.FrozenEstimator` so that ``learning_curve`` or
    ``GridSearchCV`` reuse the pretrained encoder instead of refitting it.

    With ``max_epochs=0`` the autoencoder is never trained: ``transform`` then computes the
    features of a randomly initialised encoder (PyTorch's default initialisation, seeded by
    ``random_state``), the seed study's random-encoder baseline.

    Parameters
    ----------
    image_shape : tuple of 3 ints or None, default=(1, 28, 28)
        ``(channels, height, width)`` of one image; each row of ``X`` is one flattened image.
        ``None`` infers a square single-channel image from the number of features, or a
        ``1 x 1 x n_features`` strip when that is not square. Height and width are zero-padded
        to a multiple of 4 inside the network.
    channels : tuple of 2 ints, default=(8, 4)
        Filters of the two encoder convolutions; the second is the number of code maps.
    sparsity : float, default=0.0
        Weight of the L1 penalty on the code activations (mean absolute activation) added to
        the reconstruction loss. The seed's sparse autoencoder uses ``1e-3``.
    lr : float, default=1e-3
        Learning rate.
    batch_size : int, default=32
        Mini-batch size for training.
    max_epochs : int, default=10
        Passes over the training data. ``0`` gives the untrained random encoder.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer.
    validation_fraction : float or None, default=None
        Fraction of the training images held out to report a validation loss each epoch.
        ``None`` trains on every image given (skorch would otherwise silently hold out 20 %).
    patience : int or None, default=None
        With ``validation_fraction``, stop after this many epochs without improvement of the
        validation loss and restore the best weights.
    device : str or torch.device, default="cpu"
        Where to train and infer, e.g. ``"cuda"``. A model trained on a GPU loads on a
        CPU-only machine.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation and shuffling; an int makes ``fit`` reproducible.
    verbose : int, default=0
        ``1`` prints skorch's table of losses after each epoch.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the :class:`torch.nn.Module`.
    image_shape_ : tuple of int
        Image shape used, after inference when ``image_shape=None``.
    loss_curve_ : list of float
        Training loss after each epoch.
    validation_loss_curve_ : list of float
        Validation loss after each epoch (empty without ``validation_fraction``).
    n_epochs_ : int
        Epochs completed.
    n_features_in_ : int
        Number of features (pixels) seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    SoftmaxClassifier : Linear head to train on the code.
    sklearn.frozen.FrozenEstimator : Keeps a pretrained encoder fixed inside a pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import ConvAETransformer
    >>> X = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    >>> ae = ConvAETransformer(max_epochs=1, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (64, 196)
    >>> ae.inverse_transform(ae.transform(X[:2])).shape
    (2, 784)
    """

    _parameter_constraints = {
        **TorchEstimator._parameter_constraints,
        "image_shape": [tuple, list, None],
        "channels": [tuple, list],
        "sparsity": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        image_shape=(1, 28, 28),
        channels=(8, 4),
        sparsity=0.0,
        lr=1e-3,
        batch_size=32,
        max_epochs=10,
        optimizer="adam",
        validation_fraction=None,
        patience=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.image_shape = image_shape
        self.channels = channels
        self.sparsity = sparsity
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Flattened images, pixels scaled to [0, 1].
        y : None
            Ignored; autoencoders learn without labels.

        Returns
        -------
        self : ConvAETransformer
            The fitted autoencoder.
        """
        X = validate_data(self, X, dtype=np.float32)
        self.image_shape_ = resolve_image_shape(self.image_shape, X.shape[1])
        net = self._net(
            ConvAE,
            net_class=AutoencoderNet,
            module__image_shape=self.image_shape_,
            module__channels=tuple(self.channels),
            criterion=torch.nn.MSELoss,
            sparsity=float(self.sparsity),
        )
        self._fit_net(net, as_tensor(X))
        _, height, width = padded_shape(self.image_shape_)
        self._code_shape = (self.channels[-1], height // POOLING, width // POOLING)
        self._n_features_out = int(np.prod(self._code_shape))
        return self

    def transform(self, X):
        """Encode ``X`` with the frozen encoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Flattened images.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_code_features), dtype float32
            Flattened code (196 features for 28x28 images and the default channels).
        """
        X = self._validate_images(X)
        return self._infer(lambda x: self.net_.module_.encode(x).flatten(1), X)

    def inverse_transform(self, X):
        """Decode codes back to flattened images.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_code_features)
            Codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features), dtype float32
            Reconstructed images.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float32)
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__} codes have "
                f"{self._n_features_out} (as returned by transform)."
            )
        return self._infer(self._decode_flat, Z)

    def reconstruct(self, X):
        """Encode then decode ``X``: the autoencoder's reconstructions of flattened images."""
        return self._reconstruct(self._validate_images(X))

    def score(self, X, y=None):
        """Negative mean squared reconstruction error (higher is better).

        Lets ``GridSearchCV`` tune the autoencoder without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Flattened images.
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``-mean((X - reconstruct(X)) ** 2)``.
        """
        X = self._validate_images(X)
        return -float(np.mean((self._reconstruct(X) - X) ** 2))

    def _validate_images(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float32, reset=False)

    def _reconstruct(self, X):
        return self._infer(lambda x: self.net_.module_(x)[0], X)

    def _decode_flat(self, z):
        return self.net_.module_.decode(z.reshape(-1, *self._code_shape))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
