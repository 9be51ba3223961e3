"""A classifier that starts from a pretrained autoencoder's encoder and fine-tunes it."""

from functools import partial
from numbers import Integral, Real

from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import Interval
from skorch.callbacks import ParamMapper
from skorch.utils import freeze_parameter, unfreeze_parameter

from ._autoencoder import ConvAETransformer
from ._checks import check_sizes, resolve_image_shape
from ._classifiers import NeuralClassifier, shared_params_doc
from ._modules import EncoderHead


class EncoderClassifier(NeuralClassifier):
    """An autoencoder's encoder plus a softmax (or MLP) head, trained end to end.

    With a fitted ``autoencoder`` the encoder starts from its pretrained weights (a copy:
    the autoencoder passed in is never modified); the encoder can stay frozen, be
    fine-tuned from the start, or stay frozen for ``freeze_epochs`` epochs and then be
    fine-tuned, with its own learning rate. With an unfitted autoencoder, or ``None`` (the
    default :class:`ConvAETransformer` network), the same architecture trains from scratch:
    the fair baseline for "does pretraining help?" (Erhan et al. 2010).

    ``clone`` keeps a pretrained autoencoder object instead of cloning it (it holds
    pretrained weights, not parameters to fit), so ``GridSearchCV`` and ``learning_curve``
    start every fit from the pretrained encoder; ``FrozenEstimator(autoencoder)`` is accepted
    too. Its nested parameters (``autoencoder__lr``...) cannot be set: they are those it was
    trained with (``ValueError``); search over ``autoencoder`` itself instead, with each
    pretrained one in a ``FrozenEstimator``: ``{{"autoencoder": [FrozenEstimator(ae_1),
    FrozenEstimator(ae_2)]}}``. A search clones its values, and a bare fitted autoencoder
    cloned is unfitted: its candidates would train from scratch. An unfitted autoencoder is
    cloned like any parameter.

    ``X`` holds flattened images, or images of shape ``(n, H, W)`` / ``(n, C, H, W)``
    checked against the autoencoder's ``image_shape`` (kept as ``image_shape_``).

    Parameters
    ----------
    autoencoder : ConvAETransformer, VAETransformer, FrozenEstimator of one, or None, \
default=None
        Fitted: the pretrained encoder to start from. Unfitted or ``None``: the network
        whose encoder trains from scratch (``None``: ``ConvAETransformer()``'s).
    hidden_units : tuple of int, default=()
        Widths of hidden ReLU layers of the head; empty for a linear softmax head.
    freeze_epochs : int, default=0
        Epochs during which the encoder stays frozen (only the head trains), counted from
        the first epoch; ``0`` fine-tunes from the start, ``>= max_epochs`` never does.
    encoder_lr : float or None, default=None
        Learning rate of the encoder's weights; ``None`` uses ``lr``. A smaller value
        keeps fine-tuning close to the pretrained encoder.
    {shared}
    See Also
    --------
    ConvAETransformer : The autoencoders to pretrain on unlabeled images.
    sklearn.frozen.FrozenEstimator : A frozen encoder in a ``Pipeline`` (codes computed once).

    Examples
    --------
    >>> import numpy as np
    >>> from skae import ConvAETransformer, EncoderClassifier
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.random((64, 784), dtype=np.float32), np.arange(64) % 2
    >>> ae = ConvAETransformer(max_epochs=1, random_state=0).fit(X)
    >>> clf = EncoderClassifier(ae, freeze_epochs=1, max_epochs=2, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _expects_pixels = True
    _parameter_constraints = {
        **NeuralClassifier._parameter_constraints,
        "autoencoder": [ConvAETransformer, FrozenEstimator, None],
        "hidden_units": [tuple, list],
        "freeze_epochs": [Interval(Integral, 0, None, closed="left")],
        "encoder_lr": [Interval(Real, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        autoencoder=None,
        *,
        hidden_units=(),
        freeze_epochs=0,
        encoder_lr=None,
        lr=1e-3,
        batch_size=16,
        max_epochs=100,
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
        self.autoencoder = autoencoder
        self.hidden_units = hidden_units
        self.freeze_epochs = freeze_epochs
        self.encoder_lr = encoder_lr
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

    def __sklearn_clone__(self):
        # A pretrained autoencoder is state, not a parameter to refit: share it. It is never
        # modified (fit copies its weights, set_params refuses its nested parameters), so
        # sharing is safe. An unfitted one is only parameters: cloned like any.
        params = self.get_params(deep=False)
        autoencoder = params.pop("autoencoder")
        if self._pretrained() is None:
            autoencoder = clone(autoencoder, safe=False)
        return type(self)(autoencoder, **{k: clone(v, safe=False) for k, v in params.items()})

    def set_params(self, **params):
        nested = sorted(key for key in params if key.startswith("autoencoder__"))
        autoencoder = params.get("autoencoder", self.autoencoder)
        if nested and hasattr(getattr(autoencoder, "estimator", autoencoder), "net_"):
            raise ValueError(
                f"{', '.join(nested)}: the autoencoder is pretrained, so its parameters are "
                "those it was trained with (and clones share it). To compare autoencoders, "
                "pretrain each and search over autoencoder=[FrozenEstimator(ae_1), "
                "FrozenEstimator(ae_2), ...] (scikit-learn clones search values, which would "
                "unfit bare ones)."
            )
        return super().set_params(**params)

    def _autoencoder(self):
        """The autoencoder given, out of its ``FrozenEstimator``; ``None`` if none."""
        ae = self.autoencoder
        return ae.estimator if isinstance(ae, FrozenEstimator) else ae

    def _pretrained(self):
        """The fitted autoencoder to start from, or ``None``."""
        ae = self._autoencoder()
        return ae if hasattr(ae, "net_") else None

    def _input_image_shape(self, reset):
        if not reset:
            return super()._input_image_shape(reset)
        self._check_frozen()
        ae = self._pretrained()
        return ae.image_shape_ if ae is not None else self._architecture().image_shape

    def _check_frozen(self):
        """A ``FrozenEstimator`` holds a pretrained autoencoder: anything else is an error."""
        if not isinstance(self.autoencoder, FrozenEstimator):
            return
        inner = self.autoencoder.estimator
        if not isinstance(inner, ConvAETransformer):
            raise ValueError(
                f"autoencoder=FrozenEstimator({type(inner).__name__}(...)): EncoderClassifier "
                "fine-tunes the encoder of a ConvAETransformer or VAETransformer. For features "
                "of another transformer, use Pipeline([(..., FrozenEstimator(...)), "
                "(..., SoftmaxClassifier())])."
            )
        if not hasattr(inner, "net_"):
            raise ValueError(
                "autoencoder=FrozenEstimator of an unfitted autoencoder: pretrain it first "
                "(fit), or pass the unfitted autoencoder itself to train its network from "
                "scratch."
            )

    def _architecture(self):
        """The autoencoder whose network is fine-tuned (``None``: ``ConvAETransformer()``)."""
        return self._autoencoder() or ConvAETransformer()

    def _resolve_image_shape(self, n_features, found):
        ae = self._pretrained()
        if ae is None:
            try:
                return resolve_image_shape(self._architecture(), n_features, found)
            except ValueError as error:
                raise ValueError(
                    f"{error} The image_shape is the autoencoder's: e.g. EncoderClassifier("
                    "ConvAETransformer(image_shape=(C, H, W)))."
                ) from None
        if ae.n_features_in_ != n_features:
            raise ValueError(
                f"X has {n_features} features, but the autoencoder was fitted on images of "
                f"{ae.n_features_in_}."
            )
        return ae.image_shape_

    def _module_class(self):
        return EncoderHead

    def _module_params(self, n_features, n_classes):
        encoder = self._encoder_net()
        param_groups = [("encoder.*", {"lr": float(self._group_lrs()[0])})]  # head: the rest
        return {
            "module__encoder_class": encoder.module,
            "module__encoder_params": encoder.get_params_for("module"),
            "module__n_classes": n_classes,
            "module__hidden_units": check_sizes(
                self, "hidden_units", self.hidden_units, empty=True
            ),
            "optimizer__param_groups": param_groups,
        }

    def _encoder_net(self):
        """The pretrained autoencoder's net, or the unbuilt one an unfitted autoencoder would
        train: its parameters checked, no weights allocated (a file's sizes are checked
        against its weights before anything of that size exists, see ``skae.io``)."""
        ae = self._pretrained()
        if ae is not None:
            return ae.net_
        ae = clone(self._architecture()).set_params(device="cpu", callbacks=None)
        ae._validate_params()
        ae.image_shape_ = self.image_shape_
        return ae._build_net()

    def _group_lrs(self):
        return [self.lr if self.encoder_lr is None else self.encoder_lr, self.lr]

    def _extra_callbacks(self):  # also when 0: a warm fit may lower freeze_epochs to 0
        schedule = partial(_freeze_schedule, epochs=self.freeze_epochs)
        return [("freeze_encoder", ParamMapper("encoder.*", schedule=schedule))]

    def _initialize_net(self, net):
        net = super()._initialize_net(net)
        ae = self._pretrained()
        if ae is not None:  # load_state_dict copies: the autoencoder keeps its weights
            net.module_.encoder.load_state_dict(ae.net_.module_.state_dict())
        return net


def _freeze_schedule(net, epochs):
    """Frozen during the model's first ``epochs`` epochs (warm fits included), then trained."""
    return freeze_parameter if len(net.history) <= epochs else unfreeze_parameter


EncoderClassifier.__doc__ = EncoderClassifier.__doc__.format(
    shared=shared_params_doc(lr="1e-3", optimizer="adam", clip="None")
)
