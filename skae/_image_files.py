"""Readers for a user's own images: an ``ImageFolder`` tree or a ``.npz`` file.

Both return ``(images, target, target_names)``: ``images`` uint8 or float32 (n, C, H, W) in
torch's channel order, ``target`` int64 with -1 for unlabeled images. Decoding is Pillow's
job (through torchvision's list of image extensions); here are only the layout rules.
"""

from collections import Counter
from pathlib import Path

import numpy as np

from ._checks import CHANNELS, channels_ambiguous, warn_user

UNLABELED = "unlabeled"  # the subfolder of images without labels


def read_image_folder(root, *, image_size=None):
    """Images of ``root/<class>/*`` and ``root/unlabeled/*`` (target -1), as uint8 (n, C, H, W).

    With ``root/train/`` (and ``root/test/``), each split is such a tree, with the train
    split's classes. Class names are the sorted subfolder names (torchvision's ``ImageFolder``
    order). Mixed modes become one (``L`` if every image is grey, else ``RGB``) and mixed sizes
    the most common one (or ``image_size`` = (H, W)), each with a warning that says so.
    Returns ``({"": (images, target), "_test": ...}, class_names)``.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder.")
    trees = {"": root / "train" if (root / "train").is_dir() else root}
    if (root / "test").is_dir():
        if trees[""] == root:
            raise ValueError(f"{root} has a test/ folder but no train/ folder beside it.")
        trees["_test"] = root / "test"
    beside = [p.name for p in _subfolders(root) if p.name not in ("train", "test")]
    if trees[""] != root and beside:
        raise ValueError(f"{root} has train/ and also the folders {beside}: put classes in train/.")
    classes = _class_names(trees[""])
    listed = {suffix: _list_images(tree, classes) for suffix, tree in trees.items()}
    files = [path for paths, _ in listed.values() for path in paths]
    pictures = _one_size(_one_mode([_open(path) for path in files], root), root, image_size)
    images = np.stack([_chw(np.asarray(picture)) for picture in pictures])
    splits, start = {}, 0
    for suffix, (paths, target) in listed.items():
        splits[suffix] = images[start : start + len(paths)], np.array(target, dtype=np.int64)
        start += len(paths)
    return splits, classes


def _class_names(tree):
    return sorted(path.name for path in _subfolders(tree) if path.name != UNLABELED)


def _subfolders(tree):
    """The visible subfolders: hidden ones (``.ipynb_checkpoints``, ``.git``) are no class."""
    return sorted(
        path for path in tree.iterdir() if path.is_dir() and not path.name.startswith(".")
    )


def _list_images(tree, classes):
    """Image paths under ``tree`` and their class indices (-1 under ``unlabeled/``)."""
    from torchvision.datasets.folder import IMG_EXTENSIONS

    paths, target = [], []
    for folder in _subfolders(tree):
        if folder.name != UNLABELED and folder.name not in classes:
            raise ValueError(f"{folder} is a class that the training images do not have.")
        found = sorted(
            p
            for p in folder.rglob("*")
            if p.suffix.lower() in IMG_EXTENSIONS
            and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
        if not found and folder.name != UNLABELED:
            raise ValueError(
                f"Class folder {folder} has no image file ({', '.join(IMG_EXTENSIONS)})."
            )
        paths += found
        target += [-1 if folder.name == UNLABELED else classes.index(folder.name)] * len(found)
    if not paths:
        raise ValueError(
            f"No images under {tree}: expected one subfolder per class (and optionally "
            f"'{UNLABELED}/'), each holding image files."
        )
    return paths, target


def _open(path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            picture.load()
            return picture
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"Cannot read image {path}: {error}") from None


def _one_mode(pictures, root):
    modes = Counter(picture.mode for picture in pictures)
    deep = sorted(set(modes) & {"I", "I;16", "I;16B", "I;16L", "F"})
    if deep:  # Pillow's 8-bit conversion clips these: white or black images, silently
        raise ValueError(
            f"Images under {root} have {deep} pixels (16-bit or float); skae reads 8-bit images "
            "(L, RGB, RGBA, P): convert them, or save X scaled to [0, 1] in a .npz file."
        )
    mode = "L" if set(modes) <= {"1", "L", "LA"} else "RGB"
    if set(modes) != {mode}:
        warn_user(
            f"Images under {root} have modes {dict(modes)}; all converted to {mode}"
            + (" (alpha channels dropped)." if {"LA", "RGBA", "PA"} & set(modes) else "."),
            UserWarning,
        )
    return [picture if picture.mode == mode else picture.convert(mode) for picture in pictures]


def _one_size(pictures, root, image_size):
    sizes = Counter(picture.size for picture in pictures)  # Pillow sizes are (W, H)
    size = sizes.most_common(1)[0][0] if image_size is None else tuple(image_size)[::-1]
    if set(sizes) != {size}:
        if image_size is None:
            warn_user(
                f"Images under {root} have {len(sizes)} sizes (W x H: {dict(sizes)}); "
                f"resized to the most common, {size[1]}x{size[0]} (H x W). Pass image_size "
                "to choose another.",
                UserWarning,
            )
        pictures = [p if p.size == size else p.resize(size) for p in pictures]
    return pictures


def _chw(pixels):
    """(H, W) or (H, W, C) from Pillow or NumPy -> (C, H, W) for torch."""
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def read_npz(path):
    """``X`` (and ``X_test``) of a ``.npz`` file as (n, C, H, W), with ``y`` (and ``y_test``).

    ``X`` may be (n, H, W), (n, H, W, C) (NumPy/Pillow order: a last axis of 1, 3 or 4) or
    (n, C, H, W) (torch order: any other last axis; a warning when the second axis too could
    be channels); uint8 0-255 or float in [0, 1]. ``y``: -1 (``"-1"`` for string labels)
    marks unlabeled images.
    """
    with np.load(path, allow_pickle=False) as archive:
        arrays = dict(archive)
    if "X" not in arrays:
        raise ValueError(f"{path} has no array 'X' (it has {sorted(arrays)}).")
    if "y" not in arrays:
        raise ValueError(f"{path} has no array 'y' of labels (-1 for unlabeled images).")
    if ("X_test" in arrays) != ("y_test" in arrays):
        raise ValueError(f"{path} must hold both X_test and y_test, or neither.")
    for key in ("y", "y_test"):  # bytes labels (b"cat") named as text ("cat")
        if key in arrays and arrays[key].dtype.kind == "S":
            arrays[key] = np.char.decode(arrays[key], "utf-8")
    y, y_test = arrays["y"], arrays.get("y_test")
    labels = np.concatenate([y, y_test]) if y_test is not None else y
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError(f"{path}: y holds NaN labels; mark unlabeled images with -1.")
    classes = np.unique(labels[~_unlabeled(labels)])
    splits = {}
    for suffix in ("", "_test"):
        if "X" + suffix in arrays:
            images = _npz_images(arrays["X" + suffix], f"{path}: X{suffix}")
            labels = _npz_labels(arrays["y" + suffix], classes, len(images), f"{path}: y{suffix}")
            splits[suffix] = images, labels
    return splits, [str(c) for c in classes]


def _npz_images(X, where):
    if X.ndim == 4 and channels_ambiguous(X.shape):
        n, height, width, channels = X.shape
        warn_user(
            f"{where} has shape {X.shape}, whose second and last axes could both be channels: "
            f"read as (n, H, W, C), {channels} channel(s) of {height}x{width}. If it is (n, C, "
            "H, W), store X.transpose(0, 2, 3, 1) (grey images: X[:, 0]).",
            UserWarning,
        )
    if X.ndim == 3:
        X = X[:, None]
    elif X.ndim == 4 and X.shape[3] in CHANNELS:  # (n, H, W, C), NumPy's and Pillow's order
        X = X.transpose(0, 3, 1, 2)
    elif X.ndim != 4:
        raise ValueError(
            f"{where} has shape {X.shape}; expected (n, H, W), (n, H, W, C) or (n, C, H, W)."
        )
    if X.dtype == np.uint8:
        return X
    if X.dtype.kind not in "fiub":
        raise ValueError(f"{where} has dtype {X.dtype}; expected uint8 0-255 or float in [0, 1].")
    X = X.astype(np.float32)
    if not np.isfinite(X).all() or X.min(initial=0) < 0 or X.max(initial=0) > 1:
        raise ValueError(
            f"{where} holds {X.dtype} values outside [0, 1] (or NaN / inf); store uint8 "
            "0-255 pixels or floats scaled to [0, 1]."
        )
    return X


def _npz_labels(y, classes, n_images, where):
    if y.ndim != 1 or len(y) != n_images:
        raise ValueError(f"{where} has shape {y.shape}; expected ({n_images},), one per image.")
    target = np.searchsorted(classes, y).astype(np.int64)
    target[_unlabeled(y)] = -1
    return target


def _unlabeled(y):
    """-1 marks an unlabeled image; in string labels (a .npz holds no object array) "-1"."""
    return y == ("-1" if y.dtype.kind == "U" else -1)
