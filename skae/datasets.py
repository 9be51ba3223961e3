"""MNIST and FashionMNIST loaders in scikit-learn's ``fetch_*`` style.

Files are read (and, when missing, downloaded) by torchvision's dataset classes, in
torchvision's layout: ``<data_home>/MNIST/raw/train-images-idx3-ubyte`` and so on.
"""

import os
from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home
from sklearn.utils import Bunch

__all__ = ["fetch_mnist", "fetch_fashion_mnist", "get_skae_data_home"]

DATA_HOME_ENV = "SKAE_DATA"

_DESCR = """{name} ({subset} subset)
{rule}
{n} grayscale images of 28x28 pixels in 10 classes.

- data: float32 array (n_samples, 784), pixels scaled to [0, 1], rows are flattened images
- images: float32 array (n_samples, 28, 28)
- target: int64 array (n_samples,), class indices 0-9
- target_names: {target_names}

Read from: {folder}
"""


def get_skae_data_home(data_home=None):
    """Folder holding the data sets.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Explicit folder. ``None`` uses the ``SKAE_DATA`` environment variable if set, else
        scikit-learn's data home (``~/scikit_learn_data`` or ``SCIKIT_LEARN_DATA``).

    Returns
    -------
    data_home : pathlib.Path
        The folder (created if missing when it comes from scikit-learn's default).

    Examples
    --------
    >>> from skae.datasets import get_skae_data_home
    >>> get_skae_data_home("/tmp/data").name
    'data'
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or get_data_home()
    return Path(data_home).expanduser()


def _fetch(name, *, data_home, subset, download_if_missing, return_X_y):
    from torchvision import datasets  # imported when data is asked for, not with skae

    if subset not in ("train", "test"):
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}.")
    root = get_skae_data_home(data_home)
    existed = _existing_folders(root / name / "raw")
    try:
        dataset = getattr(datasets, name)(
            root, train=subset == "train", download=download_if_missing
        )
        images, target = dataset.data.numpy(), dataset.targets.numpy()
    except Exception as error:  # torchvision raises RuntimeError, URLError, struct errors...
        _remove_new_empty_folders(root / name / "raw", existed)
        # torchvision checks an IDX file's header with a bare assert: no message of its own
        reason = str(error) or "a file is not a valid IDX file (bad magic number or header)"
        raise OSError(
            f"Could not load {name} ({subset}) from {root / name / 'raw'}: {reason}\n"
            f"Put the four uncompressed IDX files (e.g. train-images-idx3-ubyte) there, point "
            f"data_home or the {DATA_HOME_ENV} environment variable at the folder holding "
            f"'{name}/', or let torchvision download them (download_if_missing=True, which "
            "needs internet access)."
        ) from error
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(target):
        raise OSError(f"{name} files under {root} are corrupt: images {images.shape}.")
    images = images.astype(np.float32) / 255.0
    data = images.reshape(len(images), -1)
    target = target.astype(np.int64)
    if return_X_y:
        return data, target
    descr = _DESCR.format(
        name=name,
        subset=subset,
        rule="=" * (len(name) + len(subset) + 10),
        n=len(data),
        target_names=", ".join(dataset.classes),
        folder=root / name / "raw",
    )
    return Bunch(
        data=data, target=target, images=images, target_names=list(dataset.classes), DESCR=descr
    )


def _existing_folders(folder):
    """``folder`` and its parents that exist now."""
    return {path for path in (folder, *folder.parents) if path.is_dir()}


def _remove_new_empty_folders(folder, existed):
    """Undo the empty folders a failed download left: the caller's tree stays as it was."""
    for path in (folder, *folder.parents):
        if path in existed:
            return
        try:
            path.rmdir()  # only if empty
        except OSError:
            return


def fetch_mnist(*, data_home=None, subset="train", download_if_missing=True, return_X_y=False):
    """Load the MNIST handwritten digits (60 000 train / 10 000 test images).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds ``MNIST/raw/``. ``None`` uses the ``SKAE_DATA`` environment
        variable, else scikit-learn's data home.
    subset : {"train", "test"}, default="train"
        Which split to load.
    download_if_missing : bool, default=True
        Download the files with torchvision when they are not in ``data_home``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data`` float32 (n_samples, 784) in [0, 1], ``images`` (n_samples, 28, 28),
        ``target`` int64 (n_samples,), ``target_names`` and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    OSError
        If the files are missing (and cannot be downloaded) or corrupt; the message says
        where they were looked for.

    Examples
    --------
    >>> from skae.datasets import fetch_mnist
    >>> X, y = fetch_mnist(subset="test", return_X_y=True)
    >>> X.shape, X.dtype, y[:5]
    ((10000, 784), dtype('float32'), array([7, 2, 1, 0, 4]))
    """
    return _fetch(
        "MNIST",
        data_home=data_home,
        subset=subset,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
    )


def fetch_fashion_mnist(
    *, data_home=None, subset="train", download_if_missing=True, return_X_y=False
):
    """Load Zalando's FashionMNIST clothes images (60 000 train / 10 000 test).

    Same layout and parameters as :func:`fetch_mnist`; files live in
    ``<data_home>/FashionMNIST/raw/``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder that holds ``FashionMNIST/raw/``.
    subset : {"train", "test"}, default="train"
        Which split to load.
    download_if_missing : bool, default=True
        Download the files with torchvision when they are not in ``data_home``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Same fields as :func:`fetch_mnist`; ``target_names`` are clothing categories.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from skae.datasets import fetch_fashion_mnist
    >>> fashion = fetch_fashion_mnist(subset="test")
    >>> fashion.target_names[:3]
    ['T-shirt/top', 'Trouser', 'Pullover']
    """
    return _fetch(
        "FashionMNIST",
        data_home=data_home,
        subset=subset,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
    )
