"""Convolutional autoencoders (plain, sparse, denoising, variational) as sklearn transformers."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted
from skorch.utils import to_tensor

from ._base import (
    SkaeNet,
    TorchEstimator,
    as_tensor,
    document_training_options,
    seeded,
)
from ._checks import check_sizes
from ._modules import ConvAE, DenseConvAE
from .noise import NOISE_TYPES, corrupt


class AutoencoderNet(SkaeNet):
    """skorch net for autoencoders: optional input noise while training, sparsity penalty.

    The loss always compares the reconstruction with the clean input ``X``.
    """

    def __init__(self, *args, sparsity=0.0, noise=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sparsity = sparsity
        self.noise = noise

    def fit_input(self, X):
        return corrupt(X, self.noise) if self.noise else X  # denoising: noisy in, clean out

    def get_loss(self, y_pred, y_true, X=None, training=False):
        reconstruction, code = y_pred
        loss = self.criterion_(reconstruction, to_tensor(X, device=self.device))
        if self.sparsity > 0:  # L1 on the code activations: the seed's sparse AE
            loss = loss + self.sparsity * code.abs().mean()
        return loss


class VAENet(AutoencoderNet):
    """skorch net with the VAE loss of seed-1: squared error + beta * KL, per image."""

    def __init__(self, *args, beta=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = beta

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return vae_losses(y_pred, to_tensor(X, device=self.device), self.beta).mean()


def vae_losses(y_pred, X, beta):
    """Per-image VAE loss: squared error summed over pixels + beta * KL(N(mu, sigma) || N(0, I))."""
    reconstruction, (mu, log_var) = y_pred
    squared_error = ((reconstruction - X) ** 2).sum(dim=1)
    kl = -0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(dim=1)
    return squared_error + beta * kl


@document_training_options
class ConvAETransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, TorchEstimator):
    """Seed-0 convolutional autoencoder whose ``transform`` returns the frozen code.

    ``fit(X)`` trains the autoencoder on unlabeled images to reconstruct them (mean squared
    error). ``transform`` returns the flattened encoder output: for 28x28 MNIST images a
    4x7x7 code, i.e. 196 features, ready for any classifier in a ``Pipeline``. Wrap a fitted
    instance in :class:`sklearn.frozen.FrozenEstimator` so that ``learning_curve`` or
    ``GridSearchCV`` reuse the pretrained encoder instead of refitting it.

    One class, several autoencoders (options on shared code rather than parallel classes):

    * ``latent_dim=None``: the seed-0 network, conv-pool-conv-pool, a 4x7x7 code;
    * ``latent_dim=33`` (any int): the seed-1 network, 3 stride-2 convolutions and 2 fully
      connected layers to a dense code, mirrored by transposed convolutions, sigmoid output,
      ``dropout`` after each hidden layer;
    * ``sparsity>0``: a sparse autoencoder (L1 penalty on the code);
    * ``noise="gaussian"|"salt_pepper"|"speckle"``: a denoising autoencoder, corrupted inputs
      while training, loss against the clean images (see :mod:`skae.noise`);
    * ``max_epochs=0``: never trained; ``transform`` then computes the features of a randomly
      initialised encoder (PyTorch's default initialisation, seeded by ``random_state``), the
      seed-0 random-encoder baseline.

    :class:`VAETransformer` is the variational version of the dense-latent network.

    Parameters
    ----------
    image_shape : tuple of 3 ints or None, default=(1, 28, 28)
        ``(channels, height, width)`` of one image; each row of ``X`` is one flattened image.
        Every method taking images also takes them unflattened, ``X`` of shape
        ``(n, height, width)`` (one channel) or ``(n, channels, height, width)``, checked
        against ``image_shape``. ``None`` infers the shape of image-shaped ``X``, else a square
        single-channel image from the number of features, or a ``1 x 1 x n_features`` strip
        when that is not square. Height and width are zero-padded to a multiple of 4 inside
        the network.
    latent_dim : int or None, default=None
        ``None``: the seed-0 convolutional code (4 maps of 7x7 for MNIST). An int: the seed-1
        dense code of that many features.
    channels : tuple of int or None, default=None
        Filters of the encoder convolutions: ``(8, 4)`` for the seed-0 network (the second is
        the number of code maps), ``(8, 16, 32)`` for the dense-latent one.
    dropout : float, default=0.0
        Dropout after each hidden layer of the dense-latent network (``latent_dim`` set).
    sparsity : float, default=0.0
        Weight of the L1 penalty on the code activations (mean absolute activation) added to
        the reconstruction loss. The seed's sparse autoencoder uses ``1e-3``.
    noise : {"gaussian", "salt_pepper", "speckle"} or None, default=None
        Corrupt the inputs seen during ``fit`` (training and validation batches; the loss
        compares with the clean images); ``transform``, ``score`` and ``reconstruct`` never
        add noise.
    lr : float, default=1e-3
        Learning rate.
    batch_size : int, default=32
        Mini-batch size for training.
    max_epochs : int, default=10
        Passes over the training data. ``0`` gives the untrained random encoder.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer.
    weight_decay : float, default=0.0
        L2 penalty applied by the optimizer (torch's ``weight_decay``).
    momentum : float, default=0.0
        Momentum of SGD (or of an optimizer class that takes one); 0 with ``"adam"``.
    validation_fraction : float or None, default=None
        Fraction of the training images held out to report a validation loss each epoch.
        ``None`` trains on every image given (skorch would otherwise silently hold out 20 %).
    patience : int or None, default=None
        Stop after this many epochs without improvement of the validation loss and restore
        the best weights; needs ``validation_fraction``.
    device : str or torch.device, default="cpu"
        Where to train and infer, e.g. ``"cuda"``. A model trained on a GPU loads on a
        CPU-only machine.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation and shuffling; an int makes ``fit`` reproducible.
    {training_options}

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the :class:`torch.nn.Module`;
        ``net_.history`` keeps one record per epoch (per-batch records are dropped after
        fit, which keeps saved models small).
    image_shape_ : tuple of int
        Image shape used, after inference when ``image_shape=None``.
    loss_curve_ : list of float
        Training loss after each epoch.
    validation_loss_curve_ : list of float
        Validation loss after each epoch (empty without ``validation_fraction``).
    n_epochs_ : int
        Epochs completed.
    input_range_ : tuple of float
        ``(min, max)`` of the training data; ``predict`` and ``transform`` warn
        (:class:`~skae.InputRangeWarning`) when given inputs far outside it.
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

    _expects_pixels = True
    _parameter_constraints = {
        **TorchEstimator._parameter_constraints,
        "image_shape": [tuple, list, None],
        "latent_dim": [Interval(Integral, 1, None, closed="left"), None],
        "channels": [tuple, list, None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "noise": [StrOptions(set(NOISE_TYPES)), None],
    }

    def __init__(
        self,
        *,
        image_shape=(1, 28, 28),
        latent_dim=None,
        channels=None,
        dropout=0.0,
        sparsity=0.0,
        noise=None,
        lr=1e-3,
        batch_size=32,
        max_epochs=10,
        optimizer="adam",
        weight_decay=0.0,
        momentum=0.0,
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
        self.latent_dim = latent_dim
        self.channels = channels
        self.dropout = dropout
        self.sparsity = sparsity
        self.noise = noise
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct ``X``.

        With ``warm_start=True`` a fitted autoencoder goes on training for ``max_epochs``
        more epochs instead of starting again.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
            Images, flattened or not (see ``image_shape``), pixels scaled to [0, 1].
        y : None
            Ignored; autoencoders learn without labels.

        Returns
        -------
        self : ConvAETransformer
            The fitted autoencoder.
        """
        return self._train(X, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train one epoch on ``X``, going on from the current weights if fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
            Images, flattened or not (see ``image_shape``), pixels scaled to [0, 1].
        y : None
            Ignored.

        Returns
        -------
        self : ConvAETransformer
            The autoencoder, trained one more epoch.
        """
        return self._train(X, partial=True)

    def _train(self, X, partial):
        epochs = 1 if partial else None
        with self._unchanged_on_error(partial):
            if self._continues(partial):
                X = as_tensor(self._validate_images(X))
                return self._fit_net(self.net_, X, epochs=epochs)
            X = self._validate(X, reset=True)
            return self._fit_net(self._build_net(), as_tensor(X), epochs=epochs)

    @property
    def _n_features_out(self):  # read by get_feature_names_out
        return math.prod(self.net_.module_.code_shape)

    def _build_net(self):
        common = {
            "criterion": torch.nn.MSELoss,
            "sparsity": float(self.sparsity),
            "noise": self.noise,
            "module__image_shape": self.image_shape_,
        }
        if self.latent_dim is None:
            if self.dropout:
                raise ValueError("dropout needs the dense-latent network: set latent_dim.")
            channels = self._channels(default=(8, 4), length=2)
            return self._net(ConvAE, AutoencoderNet, module__channels=channels, **common)
        return self._net(DenseConvAE, AutoencoderNet, **common, **self._dense_module_params())

    def _channels(self, default, length=None):
        """``channels`` checked; ``None`` gives ``default``."""
        if self.channels is None:
            return default
        return check_sizes(self, "channels", self.channels, length)

    def _dense_module_params(self):
        return {
            "module__channels": self._channels(default=(8, 16, 32)),
            "module__latent_dim": self.latent_dim,
            "module__dropout": float(self.dropout),
        }

    def transform(self, X):
        """Encode ``X`` with the frozen encoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
            Images, flattened or not (see ``image_shape``).

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
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
            Images, flattened or not (see ``image_shape``).
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``-mean((X - reconstruct(X)) ** 2)``.
        """
        return -float(np.mean(self._squared_errors(X)))

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each image (higher is more typical).

        Images unlike the training images reconstruct worse, so low scores flag anomalies,
        as with sklearn's outlier detectors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
            Images, flattened or not (see ``image_shape``).

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float32
            ``-mean((X - reconstruct(X)) ** 2, axis=1)``.
        """
        return -self._squared_errors(X)

    def _squared_errors(self, X):
        """Mean squared reconstruction error of each image, batch by batch (no copy of X)."""
        X = self._validate_images(X)
        return self._infer(lambda x: ((self.net_.module_(x)[0] - x) ** 2).mean(dim=1), X)

    @validate_params(
        {
            "x_start": ["array-like"],
            "x_end": ["array-like"],
            "steps": [Interval(Integral, 2, None, closed="left")],
        },
        prefer_skip_nested_validation=True,
    )
    def interpolate(self, x_start, x_end, steps=10):
        """Decode evenly spaced points on the line between the codes of two images.

        For a :class:`VAETransformer` the codes are the posterior means mu.

        Parameters
        ----------
        x_start, x_end : array-like of shape (n_features,)
            Two flattened images.
        steps : int, default=10
            Number of images (at least 2), ``x_start``'s reconstruction first, ``x_end``'s
            last.

        Returns
        -------
        X : ndarray of shape (steps, n_features), dtype float32
        """
        ends = np.vstack([np.ravel(x_start), np.ravel(x_end)])
        if hasattr(self, "feature_names_in_"):  # fitted on a DataFrame: rows of its columns
            import pandas as pd  # there, since a DataFrame was given

            ends = pd.DataFrame(ends, columns=self.feature_names_in_)
        ends = np.asarray(self.transform(ends))  # set_output(transform="pandas"): a DataFrame
        weights = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        return self.inverse_transform((1 - weights) * ends[0] + weights * ends[1])

    def _validate_images(self, X):
        check_is_fitted(self)
        return self._validate(X)

    def _reconstruct(self, X):
        return self._infer(lambda x: self.net_.module_(x)[0], X)

    def _decode_flat(self, z):
        return self.net_.module_.decode(z.reshape(-1, *self.net_.module_.code_shape))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


@document_training_options
class VAETransformer(ConvAETransformer):
    """Variational autoencoder (seed-1) whose ``transform`` returns the posterior mean.

    The dense-latent network of :class:`ConvAETransformer` with a second fully connected head:
    the encoder outputs mu and log sigma^2 of a diagonal Gaussian, training decodes a sample
    ``mu + sigma * eps`` (reparameterisation), and the loss per image is the squared
    reconstruction error summed over pixels plus ``beta`` times
    ``KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2)``.
    ``transform`` returns mu, so it is deterministic; ``score`` is the negative mean squared
    error of the reconstruction of mu, comparable with :class:`ConvAETransformer`.

    Parameters
    ----------
    image_shape : tuple of 3 ints or None, default=(1, 28, 28)
        ``(channels, height, width)`` of one flattened image (image-shaped ``X`` is
        flattened, as in :class:`ConvAETransformer`); ``None`` infers it.
    latent_dim : int, default=33
        Dimension of the latent space.
    channels : tuple of int or None, default=None
        Filters of the encoder convolutions; ``None`` means ``(8, 16, 32)``.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    beta : float, default=1.0
        Weight of the KL term (``beta > 1``: a beta-VAE).
    lr : float, default=1e-3
        Learning rate.
    batch_size : int, default=32
        Mini-batch size for training.
    max_epochs : int, default=10
        Passes over the training data.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer.
    weight_decay : float, default=0.0
        L2 penalty applied by the optimizer (torch's ``weight_decay``).
    momentum : float, default=0.0
        Momentum of SGD (or of an optimizer class that takes one); 0 with ``"adam"``.
    validation_fraction : float or None, default=None
        Fraction of the images held out to report a validation loss.
    patience : int or None, default=None
        Early stopping on the validation loss, restoring the best weights; needs
        ``validation_fraction``.
    device : str or torch.device, default="cpu"
        Where to train and infer.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, sampling of the codes during training and shuffling.
    {training_options}

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the :class:`torch.nn.Module`.
    image_shape_ : tuple of int
        Image shape used.
    loss_curve_ : list of float
        Training loss (squared error + beta KL per image) after each epoch.
    validation_loss_curve_ : list of float
        Validation loss after each epoch (empty without ``validation_fraction``).
    n_epochs_ : int
        Epochs completed.
    input_range_ : tuple of float
        ``(min, max)`` of the training data; ``predict`` and ``transform`` warn
        (:class:`~skae.InputRangeWarning`) when given inputs far outside it.
    n_features_in_ : int
        Number of features (pixels) seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    ConvAETransformer : Deterministic autoencoders.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import VAETransformer
    >>> X = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    >>> vae = VAETransformer(latent_dim=2, max_epochs=1, random_state=0).fit(X)
    >>> vae.transform(X[:3]).shape
    (3, 2)
    >>> vae.sample(5, random_state=0).shape
    (5, 784)
    >>> vae.interpolate(X[0], X[1], steps=7).shape
    (7, 784)
    """

    _parameter_constraints = {
        **TorchEstimator._parameter_constraints,
        "image_shape": [tuple, list, None],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "channels": [tuple, list, None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        image_shape=(1, 28, 28),
        latent_dim=33,
        channels=None,
        dropout=0.0,
        beta=1.0,
        lr=1e-3,
        batch_size=32,
        max_epochs=10,
        optimizer="adam",
        weight_decay=0.0,
        momentum=0.0,
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
        self.latent_dim = latent_dim
        self.channels = channels
        self.dropout = dropout
        self.beta = beta
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.verbose = verbose

    def _build_net(self):
        return self._net(
            DenseConvAE,
            VAENet,
            criterion=torch.nn.MSELoss,  # skorch requires one; VAENet.get_loss does the work
            beta=float(self.beta),
            module__image_shape=self.image_shape_,
            module__variational=True,
            **self._dense_module_params(),
        )

    def score_samples(self, X):
        """Negative VAE loss of each image (higher is more typical), without sampling.

        The squared reconstruction error of the decoded mean mu, summed over pixels, plus
        ``beta`` times the KL term: the training loss with the code at its mean. ``score``
        stays the mean squared error, comparable with :class:`ConvAETransformer`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, [C,] H, W)
            Images, flattened or not (see ``image_shape``).

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float32
            Negative per-image loss.
        """
        X = self._validate_images(X)
        return -self._infer(lambda x: vae_losses(self.net_.module_(x), x, self.beta), X)

    @validate_params(
        {
            "n_samples": [Interval(Integral, 1, None, closed="left")],
            "random_state": ["random_state"],
        },
        prefer_skip_nested_validation=True,
    )
    def sample(self, n_samples=1, *, random_state=None):
        """Decode codes drawn from the prior N(0, I): new images.

        Parameters
        ----------
        n_samples : int, default=1
            Number of images.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw; ``None``: the estimator's ``random_state`` (as
            ``GaussianMixture.sample``).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), dtype float32
            Generated flattened images in [0, 1].
        """
        check_is_fitted(self)
        seed = self.random_state if random_state is None else random_state
        with seeded(seed, "cpu"):
            codes = torch.randn(n_samples, self.latent_dim).numpy()
        return self._infer(self.net_.module_.decode, codes)
