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

    Examples
    --------
    >>> import torch
    >>> from skae.noise import corrupt
    >>> _ = torch.manual_seed(0)
    >>> corrupt(torch.zeros(2, 4), "salt_pepper").shape
    torch.Size([2, 4])
    """
    if kind == "gaussian":
        noisy = x + 0.5 + 0.3 * torch.randn_like(x)
    elif kind == "salt_pepper":
        hit = torch.rand_like(x) < SALT_PEPPER_FRACTION
        salt = (torch.rand_like(x) < 0.5).to(x.dtype)
        noisy = torch.where(hit, salt, x)
    elif kind == "speckle":
        noisy = x + x * 0.5 * torch.randn_like(x)
    else:
        raise ValueError(f"noise must be one of {NOISE_TYPES}, got {kind!r}.")
    return noisy.clamp(0.0, 1.0)


def add_noise(X, kind, *, random_state=None):
    """Corrupted copy of a numpy array of images in [0, 1].

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Images, pixels in [0, 1].
    kind : {"gaussian", "salt_pepper", "speckle"}
        Type of noise (see the module docstring for the definitions).
    random_state : int, RandomState instance or None, default=None
        Seeds the noise.

    Returns
    -------
    X_noisy : ndarray of shape (n_samples, n_features), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from skae.noise import add_noise
    >>> X = np.full((1000, 784), 0.5, dtype=np.float32)
    >>> noisy = add_noise(X, "salt_pepper", random_state=0)
    >>> round(float(np.mean(noisy != 0.5)), 2)
    0.05
    """
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return corrupt(X, kind).numpy()
