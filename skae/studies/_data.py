"""The studies' data layer: a data set as an unlabeled pool, labeled draws and a test set.

Studies ask :func:`study_data` for a :class:`StudyData` and never name a data set: image shape,
classes, label budgets, the test set and the titles of tables and figures all come from here.
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import train_test_split

from ._request import StudyError

TITLES = {"mnist": "MNIST", "fashion": "FashionMNIST", "digits": "digits (scikit-learn, 8x8)"}
INPUTS = ("unit", "standardized")  # pixels in [0, 1], or (x - mean) / std as seed-0 fed them
HELD_OUT = 0.2  # share of the labeled images held out for testing when a source has no test split


@dataclass(frozen=True, eq=False)
class StudyData:
    """One data set as the studies use it (arrays are flattened images in [0, 1])."""

    name: str  # the data set's short name, as the cells record it ("mnist_standardized"...)
    X: np.ndarray  # (n_pool, C*H*W) float32: the pool, labeled and unlabeled images
    y: np.ndarray  # (n_pool,) int64, -1 for unlabeled
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple
    target_names: list
    test_source: str  # where the test images come from, stated in the outputs
    source: str = ""  # the source's name ("mnist"): its published numbers, its seed design
    inputs: str = "unit"  # "unit": pixels in [0, 1]; else how they were standardized
    fingerprint: str = field(init=False)  # hash of the pool's pixels: autoencoders' cache key
    content: str = field(init=False)  # hash of pixels and labels of pool and test: the cells'

    def __post_init__(self):
        object.__setattr__(self, "fingerprint", _hash(self.X))
        arrays = (self.X, self.y, self.X_test, self.y_test)
        object.__setattr__(self, "content", _hash(*arrays))

    @property
    def title(self):
        title = TITLES.get(self.source, self.source)
        return title if self.inputs == "unit" else f"{title}, standardized inputs"

    @property
    def n_classes(self):
        return len(self.target_names)

    def identity(self, n_images=None):
        """What a model trained on the first ``n_images`` of the pool saw: part of cache keys."""
        n = len(self.X) if n_images is None else n_images
        X = self.X if n == len(self.X) else self.X[:n]
        digest = self.fingerprint if n == len(self.X) else _hash(X)
        return {"sha256": digest, "shape": list(X.shape), "inputs": self.inputs}

    def describe(self):
        """The facts a reader of the outputs needs: shapes, counts, the test set's source."""
        labeled = self.y >= 0
        return {
            "name": self.name,
            "title": self.title,
            "image_shape": list(self.image_shape),
            "classes": list(self.target_names),
            "pool": len(self.X),
            "labeled": int(labeled.sum()),
            "smallest_class": int(np.bincount(self.y[labeled], minlength=self.n_classes).min()),
            "test": len(self.X_test),
            "test_source": self.test_source,
            "inputs": self.inputs,
            "sha256": self.fingerprint,
            "content_sha256": self.content,
        }

    def labeled_draw(self, n_labels, draw):
        """Indices of ``n_labels`` labeled pool images, as many of each class (seed ``draw``)."""
        return labeled_draw(self.y, n_labels, draw)

    def budgets(self, labels_per_class):
        """Total label budgets (per class x classes) that every class can fill, and a note."""
        counts = np.bincount(self.y[self.y >= 0], minlength=self.n_classes)
        smallest = int(counts.min())
        kept = [n * self.n_classes for n in labels_per_class if n <= smallest]
        dropped = [n for n in labels_per_class if n > smallest]
        note = (
            f"{self.title}: {dropped} labels per class skipped (its smallest class has "
            f"{smallest} labeled images in the pool)"
            if dropped
            else ""
        )
        if not kept:
            short = [self.target_names[c] for c in np.flatnonzero(counts == smallest)]
            raise StudyError(
                f"{self.title}: class(es) {short} have only {smallest} labeled images in the "
                f"pool (the test images are not in it); the study needs at least "
                f"{min(labels_per_class)} per class."
            )
        return kept, note


def labeled_draw(y, n_labels, draw):
    """Indices of ``n_labels`` labeled images, as many of each class, drawn with seed ``draw``."""
    classes = np.unique(y[y >= 0])
    if n_labels % len(classes):
        raise StudyError(f"n_labels={n_labels} is not a multiple of {len(classes)} classes.")
    rng = np.random.default_rng(draw)
    per_class = n_labels // len(classes)
    return np.sort(
        np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, False) for c in classes])
    )


def _hash(*arrays):
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()[:16]


def _first(n, n_kept, name):
    """The ``n_kept`` of ``n`` images a study keeps (a slice, or sorted indices).

    MNIST's and FashionMNIST's files are in no class order, and the seed studies keep their
    first images; other sources (a folder is read class by class) are cut at random (seed 0).
    """
    if n_kept is None or n_kept >= n:
        return slice(None)
    if name in ("mnist", "fashion"):
        return slice(n_kept)
    return np.sort(np.random.default_rng(0).permutation(n)[:n_kept])


def study_data(dataset, *, data_home=None, n_pool=None, n_test=None, inputs="unit"):
    """Load ``dataset`` (a name or path of :func:`skae.datasets.load_dataset`) for a study.

    The pool is ``n_pool`` of the training images (labeled and unlabeled; MNIST's and
    FashionMNIST's first, others drawn at random, seed 0); the test set is ``n_test`` of the
    labeled images of the source's test split or, when it has none, a stratified
    ``HELD_OUT`` share of the labeled images (seed 0), which leave the pool.

    ``inputs="standardized"`` feeds every image as ``(x - mean) / std`` per channel, with the
    mean and standard deviation of the training images (seed-0's inputs: MNIST's 0.1307 and
    0.3081); the data set is then named ``<name>_standardized`` in cells, caches and tables.
    Unreadable data or a bad request raises :class:`StudyError` with one clear line.
    """
    from ..datasets import load_dataset

    if inputs not in INPUTS:
        raise StudyError(f"Unknown inputs {inputs!r}; choose from {list(INPUTS)}.")
    try:
        bunch = load_dataset(dataset, data_home=data_home)
    except (OSError, ValueError) as error:
        raise StudyError(str(error)) from error
    X, y = bunch.data, bunch.target
    if bunch.data_test is not None:
        labeled = bunch.target_test >= 0
        X_test, y_test = bunch.data_test[labeled], bunch.target_test[labeled]
        source = f"the source's test split ({len(y_test)} labeled images)"
    else:
        labeled = np.flatnonzero(y >= 0)
        counts = np.bincount(y[labeled], minlength=len(bunch.target_names))
        if counts.min() < 2:
            single = [bunch.target_names[c] for c in np.flatnonzero(counts < 2)]
            raise StudyError(
                f"{dataset}: class(es) {single} have fewer than 2 labeled images; holding "
                "out a test set (the source has no test split) needs 2 of each class."
            )
        try:
            train, test = train_test_split(
                labeled, test_size=HELD_OUT, stratify=y[labeled], random_state=0
            )
        except ValueError as error:
            raise StudyError(
                f"{dataset}: too few labeled images to hold out a test set ({error})."
            ) from error
        test = np.sort(test)
        keep = np.ones(len(y), bool)
        keep[test] = False
        X_test, y_test = X[test], y[test]
        X, y = X[keep], y[keep]
        source = (
            f"a stratified {HELD_OUT:.0%} of the labeled images held out (seed 0; "
            f"{len(y_test)} images; the source has no test split)"
        )
    pool, test = _first(len(y), n_pool, bunch.name), _first(len(y_test), n_test, bunch.name)
    if n_test is not None and n_test < len(y_test):  # the caption says how many are scored
        source = f"{n_test} images of {source}"
    if inputs == "standardized":
        X, X_test, inputs = _standardize(X, X_test, bunch.image_shape)
    return StudyData(
        name=bunch.name if inputs == "unit" else f"{bunch.name}_standardized",
        source=bunch.name,
        inputs=inputs,
        X=X[pool],
        y=y[pool],
        X_test=X_test[test],
        y_test=y_test[test],
        image_shape=bunch.image_shape,
        target_names=bunch.target_names,
        test_source=source,
    )


def _standardize(X, X_test, image_shape):
    """``(x - mean) / std`` per channel, from ``X``; and how, as the outputs record it."""
    channels = X.reshape(len(X), image_shape[0], -1)
    mean = channels.mean(axis=(0, 2), dtype=np.float64)
    std = channels.std(axis=(0, 2), dtype=np.float64)
    per_pixel = np.repeat(mean, np.prod(image_shape[1:])), np.repeat(std, np.prod(image_shape[1:]))
    scale = [((Z - per_pixel[0]) / per_pixel[1]).astype(np.float32) for Z in (X, X_test)]
    how = (
        f"standardized: (x - mean) / std per channel, mean {np.round(mean, 4).tolist()}, "
        f"std {np.round(std, 4).tolist()} (the training images)"
    )
    return *scale, how
