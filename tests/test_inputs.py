"""What the neural estimators accept: any numpy array layout, image-shaped input, and what
they never return: NaN or infinite values."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skae import (
    CNNClassifier,
    ConvAETransformer,
    EncoderClassifier,
    InputRangeWarning,
    SoftmaxClassifier,
    VAETransformer,
)
from skae.semi_supervised import LadderClassifier

RNG = np.random.default_rng(0)
X = RNG.integers(0, 5, (24, 64)).astype(np.float32) / 4  # exact in float16: 8x8 images
Y = np.arange(24) % 2
SMALL = dict(max_epochs=1, batch_size=8, random_state=0)
ESTIMATORS = {
    "ae": ConvAETransformer(image_shape=(1, 8, 8), channels=(2, 2), **SMALL),
    "vae": VAETransformer(image_shape=(1, 8, 8), latent_dim=2, channels=(2, 2, 2), **SMALL),
    "softmax": SoftmaxClassifier(**SMALL),
    "cnn": CNNClassifier(image_shape=(1, 8, 8), channels=(2, 2), **SMALL),
    "encoder": EncoderClassifier(
        ConvAETransformer(image_shape=(1, 8, 8), channels=(2, 2)), **SMALL
    ),
}
AE_METHODS = ["fit", "partial_fit", "fit_transform", "transform", "inverse_transform",
              "reconstruct", "score", "score_samples"]  # fmt: skip
CLF_METHODS = ["fit", "partial_fit", "predict", "predict_proba", "predict_log_proba", "score"]
METHODS = {
    "ae": AE_METHODS,
    "vae": AE_METHODS,
    "softmax": CLF_METHODS,
    "cnn": [*CLF_METHODS, "transform"],
    "encoder": CLF_METHODS,
}
CASES = [(name, method) for name, methods in METHODS.items() for method in methods]


def read_only(A):
    A = A.copy()
    A.flags.writeable = False
    return A


def np_load_mmap(A, tmp_path):
    np.save(tmp_path / "X.npy", A)
    return np.load(tmp_path / "X.npy", mmap_mode="r")


def np_memmap(A, tmp_path):
    mapped = np.memmap(tmp_path / "X.dat", dtype=np.float32, mode="w+", shape=A.shape)
    mapped[:] = A
    return mapped


LAYOUTS = {
    "reversed_view": lambda A, tmp: A[::-1].copy()[::-1],  # one row: X[::-1][:1]
    "strided_view": lambda A, tmp: np.repeat(A, 2, axis=1)[:, ::2],
    "fortran": lambda A, tmp: np.asfortranarray(A),
    "read_only": lambda A, tmp: read_only(A),
    "np_load_mmap": np_load_mmap,
    "np_memmap": np_memmap,
    "big_endian": lambda A, tmp: A.astype(">f4"),
    "float16": lambda A, tmp: A.astype(np.float16),
    "float64": lambda A, tmp: A.astype(np.float64),
    "int64": lambda A, tmp: A.round().astype(np.int64),
    "big_endian_int": lambda A, tmp: A.round().astype(">i4"),
}
IMAGE_SHAPES = {"n_h_w": (8, 8), "n_c_h_w": (1, 8, 8)}


@pytest.fixture(scope="module")
def fitted():
    return {name: clone(est).fit(X, Y) for name, est in ESTIMATORS.items()}


def run(estimator, method, A):
    """What ``method`` gives on ``A`` (fitting: the losses and the fitted model's output)."""
    y = None if isinstance(estimator, ConvAETransformer) else Y[: len(A)]
    if method in ("fit", "partial_fit", "fit_transform"):
        estimator = clone(estimator)
        out = getattr(estimator, method)(A, y)
        check = estimator.transform if hasattr(estimator, "transform") else estimator.predict_proba
        return estimator.loss_curve_, out if method == "fit_transform" else check(X)
    if method == "score":
        return (estimator.score(A) if y is None else estimator.score(A, y),)
    return (getattr(estimator, method)(A),)


def rows_for(estimator, method, n_rows):
    """The rows ``method`` takes: codes for ``inverse_transform``, else images."""
    if method == "inverse_transform":
        return estimator.transform(X[:n_rows])
    return X[:n_rows]


def row_counts(name, method):
    """Fitting a classifier needs both classes; every other call also gets one row."""
    fitting = method in ("fit", "partial_fit", "fit_transform")
    return (24,) if fitting and name in ("softmax", "cnn", "encoder") else (1, 24)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name, method", CASES)
def test_any_array_layout_gives_the_plain_arrays_output(fitted, name, method, layout, tmp_path):
    estimator = fitted[name] if method not in ("fit", "partial_fit") else ESTIMATORS[name]
    for n_rows in row_counts(name, method):
        A = LAYOUTS[layout](rows_for(fitted[name], method, n_rows), tmp_path)
        plain = np.array(A, dtype=np.float32, order="C")
        result, expected = run(estimator, method, A), run(estimator, method, plain)
        for got, want in zip(result, expected, strict=True):
            np.testing.assert_array_equal(got, want)


IMAGE_CASES = [
    (name, method) for name, method in CASES if name != "softmax" and method != "inverse_transform"
]


@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize("name, method", IMAGE_CASES)
def test_image_shaped_input_is_flattened(fitted, name, method, shape):
    estimator = fitted[name] if method not in ("fit", "partial_fit") else ESTIMATORS[name]
    for n_rows in row_counts(name, method):
        rows = X[:n_rows]
        images = rows.reshape(n_rows, *IMAGE_SHAPES[shape])
        result, expected = run(estimator, method, images), run(estimator, method, rows)
        for got, want in zip(result, expected, strict=True):
            np.testing.assert_array_equal(got, want)


def test_image_shape_none_is_taken_from_image_shaped_input():
    images = RNG.random((6, 2, 4, 8), dtype=np.float32)
    ae = ConvAETransformer(image_shape=None, channels=(2, 2), max_epochs=1).fit(images)
    cnn = CNNClassifier(image_shape=None, channels=(2, 2), max_epochs=1).fit(images, Y[:6])
    assert ae.image_shape_ == cnn.image_shape_ == (2, 4, 8)
    assert ae.net_.module_.image_shape == cnn.net_.module_.image_shape == (2, 4, 8)
    np.testing.assert_array_equal(ae.transform(images), ae.transform(images.reshape(6, -1)))
    with pytest.raises(ValueError, match=r"X\.reshape\(len\(X\), -1\)"):
        ae.transform(images.reshape(6, 4, 2, 8))
    untrained_encoder = EncoderClassifier(ConvAETransformer(image_shape=None), max_epochs=1)
    assert untrained_encoder.fit(images, Y[:6]).image_shape_ == (2, 4, 8)


@pytest.mark.parametrize("make", [ConvAETransformer, CNNClassifier, LadderClassifier])
def test_image_shape_none_with_two_possible_channel_axes_is_an_error(make):
    """(6, 3, 4, 4): 3 channels of 4x4, or 4 channels of 3x4? Once read channels first."""
    images = RNG.random((6, 3, 4, 4), dtype=np.float32)
    y = np.arange(6) % 2
    with pytest.raises(ValueError, match="could both be channels. Pass image_shape"):
        make(image_shape=None, max_epochs=1).fit(images, y)
    assert make(image_shape=(3, 4, 4), max_epochs=1).fit(images, y).image_shape_ == (3, 4, 4)


@pytest.mark.parametrize("name", ["ae", "vae", "cnn", "encoder"])
@pytest.mark.parametrize("shape", [(7, 9), (2, 8, 8), (4, 4, 4)])
def test_images_of_another_shape_say_how_to_flatten(fitted, name, shape):
    images = np.zeros((3, *shape), np.float32)
    for call in (fitted[name].predict if name in ("cnn", "encoder") else fitted[name].transform,
                 lambda A: clone(ESTIMATORS[name]).fit(A, Y[:3])):  # fmt: skip
        with pytest.raises(ValueError, match=r"\(1, 8, 8\).*X\.reshape\(len\(X\), -1\)"):
            call(images)


@pytest.mark.parametrize("image_shape", [None, (1, 8, 8), (8, 8, 3)])
@pytest.mark.parametrize("make, shape", [(CNNClassifier, (8, 8, 3)), (CNNClassifier, (8, 8, 1)),
                                         (ConvAETransformer, (16, 16, 3)),
                                         (ConvAETransformer, (7, 5, 4))])  # fmt: skip
def test_channels_last_images_say_to_transpose(make, shape, image_shape):
    images = RNG.random((6, *shape), dtype=np.float32)
    estimator = make(image_shape=image_shape, channels=(2, 2), max_epochs=1, random_state=0)
    y = Y[:6] if make is CNNClassifier else None
    transpose = r"channels last .* channels first \(n, C, H, W\): pass X\.transpose\(0, 3, 1, 2\) "
    with pytest.raises(ValueError, match=transpose):
        clone(estimator).fit(images, y)
    fitted = clone(estimator).set_params(image_shape=None).fit(images.transpose(0, 3, 1, 2), y)
    assert fitted.image_shape_ == (shape[2], *shape[:2])  # channels first, as told
    with pytest.raises(ValueError, match=transpose):
        (fitted.predict if y is not None else fitted.transform)(images)
    flat = clone(estimator).set_params(image_shape=shape).fit(images.reshape(6, -1), y)
    assert flat.image_shape_ == shape  # the way out for channels-first images of that shape


def test_non_image_estimators_and_5d_arrays_say_how_to_flatten(fitted):
    with pytest.raises(ValueError, match=r"SoftmaxClassifier takes a 2-D array.*X\.reshape"):
        fitted["softmax"].predict(X.reshape(24, 8, 8))
    with pytest.raises(ValueError, match=r"shape \(24, 1, 1, 8, 8\).*X\.reshape"):
        fitted["ae"].transform(X.reshape(24, 1, 1, 8, 8))


def poison(estimator, value):
    """Put ``value`` in each weight tensor of the network, as a diverged training leaves it."""
    with torch.no_grad():
        for weights in estimator.net_.module_.parameters():
            weights.view(-1)[0] = value
    return estimator


INFERENCE = [(name, method) for name, method in CASES if "fit" not in method and method != "score"]
INFERENCE += [("vae", "sample")]


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
@pytest.mark.parametrize("name, method", INFERENCE)
def test_non_finite_weights_are_an_error_naming_the_cause(name, method, value):
    estimator = poison(clone(ESTIMATORS[name]).fit(X, Y), value)
    if method == "inverse_transform":
        args = (np.ones((2, estimator._n_features_out), np.float32),)
    else:
        args = (2,) if method == "sample" else (X,)
    with pytest.raises(ValueError, match=r"weights are NaN or infinite: training diverged.*lr"):
        getattr(estimator, method)(*args)


def test_a_diverged_training_names_its_loss_and_lr():
    cnn = CNNClassifier(image_shape=(1, 8, 8), lr=1e20, max_epochs=2, random_state=0).fit(X, Y)
    assert np.isnan(cnn.loss_curve_).all()
    with pytest.raises(ValueError, match=r"loss nan from epoch 1\)\. Lower lr \(now 1e\+20\)"):
        cnn.predict(X)


def test_inputs_too_large_for_float32_are_an_error():
    ae = ESTIMATORS["ae"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputRangeWarning)
        with pytest.raises(ValueError, match=r"spanning \[3e\+38, 3e\+38\].*too large for float32"):
            clone(ae).fit(X).score_samples(np.full((1, 64), 3e38, np.float32))


@pytest.mark.parametrize("name", ["ae", "softmax", "cnn"])
def test_numbers_as_text_are_refused_as_scikit_learn_does(fitted, name):
    """A float32 cast read "0.5" as 0.5: a column of text accepted silently."""
    estimator = clone(ESTIMATORS[name])
    for text in (X.astype(str), X.astype(str).astype(object)):
        with pytest.raises(ValueError, match="X holds strings"):
            estimator.fit(text, Y)
        with pytest.raises(ValueError, match="X holds strings"):
            (fitted[name].transform if name == "ae" else fitted[name].predict)(text)
