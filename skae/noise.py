"""Input corruptions of the seed-1 denoising autoencoder.

Each takes images with pixels in [0, 1] and returns corrupted copies, clipped to [0, 1]:

* ``"gaussian"``: add samples of N(0.5, 0.3) (mean 0.5, standard deviation 0.3);
* ``"salt_pepper"``: set 1 pixel in 20 to 0 or 1, with equal probability;
* ``"speckle"``: add the image multiplied by a filter of N(0, 0.5) samples.

:func:`add_noise` works on numpy arrays (to make noisy test sets);
:func:`corrupt` is the torch version used during training.
"""

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._checks import (
    InputRangeWarning,
    check_no_strings,
    outside_unit_range,
    scale_hint,
    value_range,
    warn_user,
)

__all__ = ["NOISE_TYPES", "add_noise", "corrupt"]

NOISE_TYPES = ("gaussian", "salt_pepper", "speckle")
SALT_PEPPER_FRACTION = 1 / 20


def corrupt(x, kind):
    """Corrupt a float tensor of images in [0, 1]; draws from torch's global RNG.

    Parameters
    ----------
    x : torch.Tensor
        Images, any shape, pixels in [0, 1].
    kind : {"gaussian", "salt_pepper", "speckle"}
        Type of noise.

    Returns
    -------
    noisy : torch.Tensor
        Same shape and dtype as ``x``, clipped to [0, 1].

    Raises
    ------
    TypeError
        ``x`` is not a floating-point tensor (use :func:`add_noise` for arrays).
    ValueError
        Unknown ``kind``.

    Examples
    --------
    >>> import torch
    >>> from skae.noise import corrupt
    >>> _ = torch.manual_seed(0)
    >>> corrupt(torch.zeros(2, 4), "salt_pepper").shape
    torch.Size([2, 4])
    """
    if not (isinstance(x, torch.Tensor) and x.is_floating_point()):
        what = f"a {x.dtype} tensor" if isinstance(x, torch.Tensor) else type(x).__name__
        raise TypeError(
            f"corrupt takes a floating-point torch tensor, got {what}: use add_noise for "
            "arrays, or x.float() / 255 for 0-255 pixels."
        )
    if kind == "gaussian":
        noisy = x + 0.5 + 0.3 * torch.randn_like(x)
    elif kind == "salt_pepper":
        hit = torch.rand_like(x) < SALT_PEPPER_FRACTION
        salt = (torch.rand_like(x) < 0.5).to(x.dtype)
        noisy = torch.where(hit, salt, x)
    elif kind == "speckle":
        noisy = x + x * 0.5 * torch.randn_like(x)
    else:
        raise ValueError(f"kind must be one of {NOISE_TYPES}, got {kind!r}.")
    return noisy.clamp(0.0, 1.0)


def add_noise(X, kind, *, random_state=None):
    """Corrupted copy of a numpy array of images in [0, 1].

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or of any shape
        Images, pixels in [0, 1] (a torch tensor too).
    kind : {"gaussian", "salt_pepper", "speckle"}
        Type of noise (see the module docstring for the definitions).
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the noise.

    Returns
    -------
    X_noisy : ndarray of the shape of ``X``, dtype float32
        Clipped to [0, 1].

    Raises
    ------
    ValueError
        ``X`` holds NaN or infinity, or ``kind`` is unknown.

    Warns
    -----
    InputRangeWarning
        ``X`` lies outside [0, 1] (0-255 pixels: the result is nearly all 1).

    Examples
    --------
    >>> import numpy as np
    >>> from skae.noise import add_noise
    >>> X = np.full((1000, 784), 0.5, dtype=np.float32)
    >>> noisy = add_noise(X, "salt_pepper", random_state=0)
    >>> round(float(np.mean(noisy != 0.5)), 2)
    0.05
    """
    if isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(np.iinfo(np.int32).max))
    else:
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu()
    check_no_strings(X)
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X holds {X.dtype} values; pass pixels as numbers in [0, 1].")
    if not np.isfinite(X).all():
        raise ValueError("X holds NaN or infinity: noise is defined on pixels in [0, 1].")
    low, high = value_range(X)  # before the cast: float64 beyond float32's range is no inf
    if outside_unit_range(low, high):
        warn_user(
            f"add_noise expects pixels in [0, 1], but X spans [{low:.4g}, {high:.4g}]; its "
            f"output is clipped to [0, 1].{scale_hint(high)}",
            InputRangeWarning,
        )
    X = torch.as_tensor(X.astype(np.float32))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return corrupt(X, kind).numpy()
