"""Image data sets in scikit-learn's ``load_*`` / ``fetch_*`` style.

:func:`load_dataset` reads any labeled image set: MNIST, FashionMNIST, scikit-learn's bundled
8x8 digits (no file, no network), a folder of images or a ``.npz`` file. MNIST and
FashionMNIST are read (and, when missing, downloaded) by torchvision's dataset classes, in
torchvision's layout: ``<data_home>/MNIST/raw/train-images-idx3-ubyte`` and so on.
"""

import os
from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home
from sklearn.utils import Bunch

__all__ = ["fetch_mnist", "fetch_fashion_mnist", "get_skae_data_home", "load_dataset"]

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
            "needs internet access). To try skae offline, use the bundled data set: "
            "load_dataset('digits') (or --dataset digits)."
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


NAMED = {"mnist": fetch_mnist, "fashion": fetch_fashion_mnist}  # and "digits", bundled


def load_dataset(name_or_path, *, data_home=None, image_size=None):
    """Load a labeled image set by name or path, in one layout whatever the source.

    Parameters
    ----------
    name_or_path : str or path-like
        - ``"mnist"`` or ``"fashion"``: MNIST / FashionMNIST (60 000 + 10 000 test images,
          1x28x28), read from ``data_home`` (see :func:`fetch_mnist`);
        - ``"digits"``: scikit-learn's bundled 8x8 handwritten digits (1 797 images, 17 grey
          levels, no test split): needs no file and no network;
        - a folder in torchvision's ``ImageFolder`` layout: one subfolder per class (sorted
          names give the label order) holding images in any format Pillow reads, an optional
          ``unlabeled/`` subfolder (target -1), optionally split into ``train/`` and ``test/``
          folders of that layout;
        - a ``.npz`` file with ``X`` as (n, H, W), (n, H, W, C) or (n, C, H, W), uint8 0-255
          or float in [0, 1], ``y`` (n,) with -1 for unlabeled images, and optionally
          ``X_test`` and ``y_test``. A 4-D ``X`` whose last axis has 1, 3 or 4 entries is read
          as (n, H, W, C), NumPy's and Pillow's order (with a warning when its second axis
          could be channels too); any other as (n, C, H, W).
    data_home : str or path-like, default=None
        Folder holding ``MNIST/`` and ``FashionMNIST/`` (``None``: ``SKAE_DATA``, else
        scikit-learn's data home).
    image_size : tuple of int (H, W), default=None
        Size to resize a folder's images to. ``None``: the most common size, with a warning
        when some images have another.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        - ``data``: float32 (n, C*H*W) in [0, 1], rows are images flattened in (C, H, W) order;
        - ``images``: float32 (n, C, H, W), the same pixels (channels first, as torch wants);
        - ``target``: int64 (n,), class indices, -1 for unlabeled images;
        - ``target_names``: list of str, the class of each index;
        - ``image_shape``: (C, H, W), to pass to the estimators' ``image_shape``;
        - ``data_test``, ``images_test``, ``target_test``: the source's test split, or ``None``
          when it has none;
        - ``name``: short name (``"mnist"``, or the folder's / file's stem, suffixed with
          ``_folder`` / ``_npz`` when it is a built-in name: a folder ``mnist/`` of your
          own is ``"mnist_folder"``, never taken for MNIST); ``DESCR``.

    Raises
    ------
    OSError
        MNIST or FashionMNIST files missing (the message names ``"digits"`` for offline use).
    ValueError
        An unknown name, a built-in name that is also a file or folder here, an empty
        folder, a class folder without images, an unreadable image (named), a ``.npz``
        without ``X`` or ``y``, labels that do not match the images or NaN labels, pixels
        outside the stated ranges, fewer than 2 classes.

    Examples
    --------
    >>> from skae.datasets import load_dataset
    >>> digits = load_dataset("digits")
    >>> digits.data.shape, digits.image_shape, digits.target[:5], digits.data_test is None
    ((1797, 64), (1, 8, 8), array([0, 1, 2, 3, 4]), True)
    """
    source = str(name_or_path)
    builtin = source in (*NAMED, "digits")
    if builtin and Path(source).exists():
        raise ValueError(
            f"{source!r} names a built-in data set and also the {source} here: pass "
            f"'./{source}' for yours, or run elsewhere for the built-in one."
        )
    if source in NAMED:
        (splits, names), kind = _named(source, data_home), "torchvision IDX files"
    elif source == "digits":
        (splits, names), kind = _digits(), "scikit-learn's load_digits (bundled)"
    elif Path(source).suffix.lower() == ".npz":
        from ._image_files import read_npz

        (splits, names), kind = read_npz(source), "a .npz file"
    elif Path(source).is_dir():
        from ._image_files import read_image_folder

        (splits, names), kind = read_image_folder(source, image_size=image_size), "an image folder"
    else:
        raise ValueError(
            f"Unknown data set {source!r}: give 'mnist', 'fashion', 'digits', a folder of "
            "images (one subfolder per class) or a .npz file."
        )
    return _bunch(source if builtin else _own_name(Path(source)), splits, names, kind, source)


def _own_name(path):
    """A user's data set's name: the folder's or file's stem, suffixed with its kind when it
    would pass for a built-in one (studies key published numbers and designs on the name)."""
    name = Path(os.path.abspath(path)).stem  # "." and "set/.." are named after the folder
    if name.removesuffix("_standardized") in (*NAMED, "digits"):
        name += "_npz" if path.suffix.lower() == ".npz" else "_folder"
    return name


def _named(name, data_home):
    loader = NAMED[name]
    train, test = (loader(data_home=data_home, subset=s) for s in ("train", "test"))
    return {
        "": (train.images[:, None], train.target),
        "_test": (test.images[:, None], test.target),
    }, train.target_names


def _digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images[:, None] / 16.0).astype(np.float32)  # 17 grey levels, 0-16
    return {"": (images, digits.target)}, [str(c) for c in digits.target_names]


def _bunch(name, splits, target_names, kind, source):
    images, target = (_unit_float(splits[""][0]), splits[""][1].astype(np.int64))
    n_classes = len(np.unique(target[target >= 0]))
    if n_classes < 2:
        raise ValueError(
            f"{source} has {n_classes} labeled class(es); a classification study needs at "
            "least 2 (images with target -1 are unlabeled)."
        )
    test = splits.get("_test")
    images_test = None if test is None else _unit_float(test[0])
    if images_test is not None and images_test.shape[1:] != images.shape[1:]:
        raise ValueError(
            f"{source}: test images {images_test.shape[1:]} differ from the "
            f"training images {images.shape[1:]} (C, H, W)."
        )
    image_shape = tuple(int(d) for d in images.shape[1:])
    n_unlabeled = int(np.sum(target < 0))
    descr = (
        f"{name}\n{'=' * len(name)}\n{len(images)} images of {image_shape} (C, H, W) from "
        f"{kind} ({source}), {len(target_names)} classes, {n_unlabeled} unlabeled; "
        + ("no test split." if test is None else f"test split: {len(test[1])} images.")
        + f"\nClasses: {', '.join(target_names)}"
    )
    return Bunch(
        data=images.reshape(len(images), -1),
        images=images,
        target=target,
        target_names=list(target_names),
        image_shape=image_shape,
        data_test=None if test is None else images_test.reshape(len(images_test), -1),
        images_test=images_test,
        target_test=None if test is None else test[1].astype(np.int64),
        name=name,
        DESCR=descr,
    )


def _unit_float(images):
    """uint8 0-255 or float [0, 1] pixels as contiguous float32 in [0, 1]."""
    if images.dtype == np.uint8:
        return np.ascontiguousarray(images, dtype=np.float32) / np.float32(255)
    return np.ascontiguousarray(images, dtype=np.float32)
