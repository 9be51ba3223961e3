"""Input and parameter checks that give a clear message instead of a silent wrong answer."""

import math
import sys
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets


class InputRangeWarning(UserWarning):
    """Input values outside the range an estimator expects or saw during ``fit``.

    A warning rather than an error: other scales can be deliberate (standardized inputs),
    but 0-255 pixels fed to a network that expects [0, 1] train it to chance level.
    """


def warn_user(message, category):
    """Warn at the user's line: the first caller outside skae and scikit-learn."""
    frame, stacklevel = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in {
        "skae",
        "sklearn",
    }:
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)


def check_semi_supervised_targets(y, classes=None):
    """The mask of labeled samples of ``y`` (``-1``: unlabeled), whose labels must be classes.

    scikit-learn's convention (``SelfTrainingClassifier``): string labels come as an object
    array with the integer -1 for unlabeled samples; a string "-1" (of any array dtype: a
    pandas Series of strings is an object array) is refused, not a class. So is -1 among
    ``classes``, the classes a ``partial_fit`` will see.
    """
    y = np.asarray(y)
    if y.dtype.kind in "USO" and any(map(_is_string_minus_one, y.ravel())):
        raise ValueError(
            "y holds the string '-1', which would be a class here; mark the unlabeled "
            "samples with the integer -1 (an object array for string labels), "
            "scikit-learn's convention."
        )
    if classes is not None and any(c == -1 or _is_string_minus_one(c) for c in np.ravel(classes)):
        raise ValueError(
            f"classes={np.ravel(classes).tolist()!r} holds -1, the marker of unlabeled samples, "
            "which cannot be a class; pass the classes of the labeled samples only."
        )
    labeled = y != -1
    check_classification_targets(y[labeled])
    return labeled


class LabeledScoreMixin:
    """``score`` on the labeled samples only: in a semi-supervised estimator's ``y``, -1
    means "no label", not a wrong prediction (``ClassifierMixin.score`` counts it wrong, so
    a search scored on semi-supervised ``y`` would rank parameters by the -1 entries)."""

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the samples of ``y`` that are labeled (``y != -1``).

        Raises ``ValueError`` when ``y`` holds only -1.
        """
        labeled = np.flatnonzero(check_semi_supervised_targets(y))
        if not len(labeled):
            raise ValueError("score needs labeled samples: y holds only -1 (unlabeled).")
        weights = None if sample_weight is None else _safe_indexing(sample_weight, labeled)
        return super().score(
            _safe_indexing(X, labeled), _safe_indexing(y, labeled), sample_weight=weights
        )


def _is_string_minus_one(value):
    return isinstance(value, (str, bytes)) and value in ("-1", b"-1")


def check_no_strings(X):
    """Refuse text in ``X`` as scikit-learn's ``dtype="numeric"`` does: a float32 cast would
    read ``"0.5"`` as 0.5 and silently accept what is likely a column of labels or paths."""
    values = np.asarray(X)
    if values.dtype.kind in "US" or (
        values.dtype.kind == "O" and any(isinstance(v, (str, bytes)) for v in values.ravel())
    ):
        raise ValueError("X holds strings; pass numbers (pixels or features).")


def check_device(device):
    """``device`` as a torch device this machine has, else a clear ``ValueError``."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device={device!r} is not a torch device: use e.g. 'cpu', 'cuda' or 'cuda:1'."
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} was asked for but CUDA is not available.")
    return device


def looks_standardized(X):
    """Whether ``X`` has mean about 0 and standard deviation about 1: standardized pixels.

    Such inputs are deliberate (seed-0 fed MNIST as ``(x - 0.1307) / 0.3081``), not 0-255
    pixels, whose mean and spread are in the tens.
    """
    return X.size > 1 and abs(float(X.mean())) < 0.5 and 0.5 < float(X.std()) < 2


def value_range(X):
    """``(min, max)`` of an array, ``(0, 0)`` when empty."""
    return (float(X.min()), float(X.max())) if X.size else (0.0, 0.0)


def outside_unit_range(low, high):
    """Whether values spanning ``[low, high]`` leave [0, 1] (beyond float rounding)."""
    return low < -1e-6 or high > 1 + 1e-6


def scale_hint(high):
    """What to say of values up to ``high`` outside [0, 1]: above 1, likely 0-255 pixels."""
    return " Are these 0-255 pixels? Divide by 255 (X / 255.0)." if high > 1 else ""


def check_sizes(estimator, name, value, length=None, empty=False):
    """``value`` as a tuple of positive ints: ``length`` of them, or any number (``empty``: 0 too).

    For the sizes the torch modules take (channels, hidden units, image shape): a clear
    error instead of a raw torch error, a silent default or a network that cannot learn.
    """
    sizes = tuple(value)
    positive = all(isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in sizes)
    right_length = len(sizes) == length if length else empty or len(sizes) > 0
    if not (positive and right_length):
        what = f"{length} positive ints" if length else "positive ints"
        raise ValueError(
            f"The {name!r} parameter of {type(estimator).__name__} must be a tuple of {what}"
            f"{'' if length or empty else ' (at least one)'}; got {value!r}."
        )
    return tuple(int(v) for v in sizes)


CHANNELS = (1, 3, 4)  # grey, RGB, RGBA: the channel counts an image axis may hold


def channels_ambiguous(shape):
    """Whether both the second and the last axis of a 4-D image batch could be channels."""
    return shape[1] in CHANNELS and shape[3] in CHANNELS


def flatten_images(estimator, X, image_shape):
    """Image-shaped ``X`` as rows of flattened images; ``(X, None)`` when ``X`` is not.

    An image model takes images of shape ``(n, H, W)`` or ``(n, C, H, W)``, checked against
    its ``(C, H, W)`` ``image_shape`` (``None``: any); returns the flat rows and the images'
    ``(C, H, W)``. Any other array of more than 2 dimensions is an error saying how to flatten;
    one that looks channels last (last axis 1, 3 or 4, second axis not) says to transpose.
    """
    ndim = X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim  # array-likes may refuse np.ndim
    if ndim <= 2:
        return X, None
    X = np.asarray(X)
    name, shape = type(estimator).__name__, X.shape
    flatten = "flatten each sample to one row: X.reshape(len(X), -1)"
    if not estimator._expects_pixels or ndim > 4:
        takes = " or images (n, H, W) / (n, C, H, W)" if estimator._expects_pixels else ""
        raise ValueError(
            f"{name} takes a 2-D array (n_samples, n_features){takes}; X has shape "
            f"{shape}: {flatten}."
        )
    if ndim == 4 and image_shape is None and channels_ambiguous(shape):
        raise ValueError(
            f"X has shape {shape}: its second and last axes could both be channels. Pass "
            f"image_shape=(C, H, W) to {name}, or flattened rows: X.reshape(len(X), -1)."
        )
    if ndim == 4 and shape[3] in CHANNELS and shape[1] not in CHANNELS:
        raise ValueError(
            f"X has shape {shape}, channels last (n, H, W, C), but {name} takes images "
            "channels first (n, C, H, W): pass X.transpose(0, 3, 1, 2) (already channels "
            f"first: X.reshape(len(X), -1) and image_shape={shape[1:]})."
        )
    found = tuple(shape[1:]) if ndim == 4 else (1, *shape[1:])
    if image_shape is not None and found != tuple(image_shape):
        raise ValueError(
            f"X holds images of shape {shape[1:]}, but {name} takes images of "
            f"(channels, height, width) = {tuple(image_shape)}: pass images of that shape, "
            f"or {flatten}."
        )
    return X.reshape(len(X), -1), found


def resolve_image_shape(estimator, n_features, found=None):
    """``image_shape`` checked against ``n_features``; ``None`` infers a square or 1xn image.

    ``found``: the ``(C, H, W)`` of image-shaped input (see ``flatten_images``), used when
    ``image_shape`` is ``None``.
    """
    image_shape = estimator.image_shape
    if image_shape is None and found is not None:
        return found
    if image_shape is None:
        side = math.isqrt(n_features)
        return (1, side, side) if side * side == n_features else (1, 1, n_features)
    image_shape = check_sizes(estimator, "image_shape", image_shape, length=3)
    if math.prod(image_shape) != n_features:
        raise ValueError(
            f"X has {n_features} features per sample but image_shape={image_shape} needs "
            f"{math.prod(image_shape)} (channels x height x width). Flatten each image to "
            "one row, or set image_shape (None infers a square single-channel image)."
        )
    return image_shape


def needs_validation_data(callback):
    """Whether a skorch callback reads validation scores (``valid_loss``, ``valid_acc``...)."""
    monitor = getattr(callback, "monitor", None)
    monitors_valid = isinstance(monitor, str) and monitor.startswith("valid")
    return monitors_valid or getattr(callback, "on_train", True) is False
