"""Behaviour of the skae estimators beyond sklearn's generic checks."""

import io
import subprocess
import sys
import warnings
from unittest import mock

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, ShuffleSplit, learning_curve
from sklearn.pipeline import Pipeline
from skorch.exceptions import DeviceWarning

from skae import (
    CNNClassifier,
    ConvAETransformer,
    InputRangeWarning,
    SoftmaxClassifier,
    VAETransformer,
)


def test_transform_is_frozen_code(fitted_ae, mnist_small):
    X = mnist_small[0][:50]
    Z = fitted_ae.transform(X)
    assert Z.shape == (50, 196) and Z.dtype == np.float32
    assert (Z >= 0).all()  # ReLU then max-pool
    np.testing.assert_array_equal(Z, fitted_ae.transform(X))
    assert fitted_ae.get_feature_names_out()[0] == "convaetransformer0"


def test_reconstruction_loss_falls_and_beats_random_encoder(mnist_small):
    X = mnist_small[0]
    trained = ConvAETransformer(max_epochs=3, random_state=0).fit(X)
    untrained = ConvAETransformer(max_epochs=0, random_state=0).fit(X)
    assert trained.loss_curve_[-1] < trained.loss_curve_[0]
    assert trained.score(X) > untrained.score(X)
    assert untrained.n_epochs_ == 0 and untrained.loss_curve_ == []
    X_back = trained.inverse_transform(trained.transform(X[:5]))
    np.testing.assert_allclose(X_back, trained.reconstruct(X[:5]), atol=1e-6)


def test_random_encoder_depends_on_seed_only(mnist_small):
    X = mnist_small[0][:20]
    a, b, c = (ConvAETransformer(max_epochs=0, random_state=s).fit(X) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert not np.allclose(a.transform(X), c.transform(X))


def test_sparsity_makes_code_sparser(mnist_small):
    X = mnist_small[0]
    dense = ConvAETransformer(max_epochs=2, random_state=0).fit(X)
    sparse = ConvAETransformer(max_epochs=2, sparsity=1.0, random_state=0).fit(X)
    assert sparse.transform(X).mean() < dense.transform(X).mean()


@pytest.mark.parametrize(
    "estimator",
    [ConvAETransformer(max_epochs=1), SoftmaxClassifier(max_epochs=2), CNNClassifier(max_epochs=1)],
    ids=type,
)
def test_random_state_makes_fits_identical(estimator, mnist_small):
    X, y = mnist_small[0][:200], mnist_small[1][:200]
    first, second = (clone(estimator).set_params(random_state=3).fit(X, y) for _ in range(2))
    assert first.loss_curve_ == second.loss_curve_
    method = "transform" if hasattr(estimator, "transform") else "predict_proba"
    np.testing.assert_array_equal(getattr(first, method)(X), getattr(second, method)(X))


def test_fit_leaves_global_torch_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    SoftmaxClassifier(max_epochs=1, random_state=0).fit(np.eye(4), [0, 1, 0, 1])
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_frozen_pipeline_under_learning_curve_and_grid_search(fitted_ae, mnist_small):
    X, y = mnist_small[0], mnist_small[1]
    head = SoftmaxClassifier(lr=1e-2, max_epochs=10, random_state=0)
    pipe = Pipeline([("ae", FrozenEstimator(fitted_ae)), ("clf", head)])
    weights_before = fitted_ae.transform(X[:10])
    sizes, train_scores, test_scores = learning_curve(
        pipe, X, y, train_sizes=[100, 300], cv=ShuffleSplit(2, test_size=200, random_state=0)
    )
    assert sizes.tolist() == [100, 300] and test_scores.shape == (2, 2)
    assert test_scores.mean() > 0.5
    np.testing.assert_array_equal(fitted_ae.transform(X[:10]), weights_before)  # still frozen

    search = GridSearchCV(pipe, {"clf__lr": [1e-5, 1e-2]}, cv=2).fit(X[:300], y[:300])
    assert search.best_params_ == {"clf__lr": 1e-2}  # 10 epochs at 1e-5 barely move


def test_grid_search_tunes_autoencoder_without_labels(mnist_small):
    X = mnist_small[0][:300]
    search = GridSearchCV(
        ConvAETransformer(max_epochs=2, random_state=0), {"lr": [1e-5, 1e-2]}, cv=2
    ).fit(X)
    assert search.best_params_ == {"lr": 1e-2}
    assert search.best_score_ < 0


def test_joblib_round_trip_in_fresh_process(fitted_ae, mnist_small, tmp_path):
    X, y = mnist_small[0][:200], mnist_small[1][:200]
    head = SoftmaxClassifier(max_epochs=2, random_state=0)
    pipe = Pipeline([("ae", FrozenEstimator(fitted_ae)), ("clf", head)]).fit(X, y)
    np.save(tmp_path / "X.npy", X)
    joblib.dump(pipe, tmp_path / "model.joblib")
    script = (
        "import joblib, numpy as np, sys; d = sys.argv[1]; X = np.load(d + '/X.npy');"
        "pipe = joblib.load(d + '/model.joblib');"
        "np.save(d + '/proba.npy', pipe.predict_proba(X));"
        "np.save(d + '/code.npy', pipe[0].transform(X))"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), pipe.predict_proba(X))
    np.testing.assert_array_equal(np.load(tmp_path / "code.npy"), fitted_ae.transform(X))


def test_string_labels_round_trip():
    X = np.random.default_rng(0).random((40, 4), dtype=np.float32)
    y = np.where(X[:, 0] > 0.5, "cat", "dog")
    clf = SoftmaxClassifier(lr=1e-2, max_epochs=40, random_state=0).fit(X, y)
    assert set(clf.predict(X)) <= {"cat", "dog"}
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize("estimator", [ConvAETransformer(), CNNClassifier()], ids=type)
def test_wrong_image_size_is_a_clear_error(estimator):
    X, y = np.zeros((4, 780), np.float32), [0, 1, 0, 1]
    with pytest.raises(ValueError, match=r"780 features per sample but image_shape=\(1, 28, 28\)"):
        estimator.fit(X, y)


def test_0_255_pixels_warn_at_fit_and_at_transform(fitted_ae):
    X = np.random.default_rng(0).random((40, 784), dtype=np.float32)
    y = np.arange(40) % 2
    pixels = (X * 255).astype(np.uint8)
    with pytest.warns(InputRangeWarning, match=r"\[0, 1\].*Divide by 255"):
        CNNClassifier(max_epochs=1, random_state=0).fit(pixels, y)
    with pytest.warns(InputRangeWarning, match="far outside the range seen in fit"):
        fitted_ae.transform(pixels)
    with pytest.warns(InputRangeWarning, match="far outside"):
        fitted_ae.score(pixels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the usual use is silent: [0, 1] pixels, any features
        fitted_ae.transform(X)
        SoftmaxClassifier(max_epochs=1).fit(fitted_ae.transform(X) * 100, y)


@pytest.mark.parametrize(
    "estimator, name",
    [
        (SoftmaxClassifier(hidden_units=(0,)), "hidden_units"),
        (ConvAETransformer(channels=()), "channels"),
        (ConvAETransformer(channels=(0, 4)), "channels"),
        (ConvAETransformer(channels=(8,)), "channels"),
        (ConvAETransformer(latent_dim=3, channels=()), "channels"),
        (CNNClassifier(channels=(5, 5, 5)), "channels"),
        (ConvAETransformer(image_shape=(28, 28)), "image_shape"),
        (CNNClassifier(image_shape=(1, -28, -28)), "image_shape"),
    ],
)
def test_module_sizes_are_checked(estimator, name):
    X, y = np.zeros((4, 784), np.float32), [0, 1, 0, 1]
    with pytest.raises(ValueError, match=f"The '{name}' parameter of .* must be a tuple of"):
        estimator.set_params(max_epochs=1).fit(X, y)


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="'foo' is not a torch device"):
        ConvAETransformer(device="foo", max_epochs=1).fit(np.zeros((4, 784), np.float32))


def test_sample_and_interpolate_arguments_are_checked():
    X = np.zeros((4, 784), np.float32)
    vae = VAETransformer(latent_dim=2, channels=(4, 4, 4), max_epochs=0).fit(X)
    for n_samples in (-1, 0, 2.5):
        with pytest.raises(ValueError, match="'n_samples' parameter"):
            vae.sample(n_samples)
    with pytest.raises(ValueError, match="'steps' parameter"):
        vae.interpolate(X[0], X[1], steps=0)


def test_transform_with_other_size_than_fit(fitted_ae):
    with pytest.raises(ValueError, match="784 features"):
        fitted_ae.transform(np.zeros((2, 28 * 27), np.float32))
    with pytest.raises(ValueError, match="196"):
        fitted_ae.inverse_transform(np.zeros((2, 10), np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_is_rejected(fitted_ae, bad):
    X = np.zeros((2, 784), np.float32)
    X[0, 3] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        fitted_ae.transform(X)
    with pytest.raises(ValueError, match="NaN|infinity"):
        ConvAETransformer(max_epochs=1).fit(X)


def test_empty_and_single_sample_inputs(fitted_ae):
    with pytest.raises(ValueError, match="0 sample"):
        ConvAETransformer(max_epochs=1).fit(np.zeros((0, 784), np.float32))
    with pytest.raises(ValueError, match="at least 2 classes"):
        SoftmaxClassifier(max_epochs=1).fit(np.zeros((1, 5)), [3])
    one = np.random.default_rng(0).random((1, 784), dtype=np.float32)
    assert fitted_ae.transform(one).shape == (1, 196)
    assert ConvAETransformer(max_epochs=1, random_state=0).fit(one).transform(one).shape == (1, 196)


def test_wrong_dtype_is_rejected(fitted_ae):
    with pytest.raises(ValueError, match="X holds strings"):
        fitted_ae.transform(np.full((2, 784), "a"))
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxClassifier(max_epochs=1).fit(np.zeros((4, 2)), [0.5, 1.5, 2.5, 0.1])


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "score", "reconstruct"])
def test_unfitted_use_raises(method):
    with pytest.raises(NotFittedError):
        getattr(ConvAETransformer(), method)(np.zeros((2, 784), np.float32))


def test_invalid_parameter_is_reported_at_fit():
    with pytest.raises(ValueError, match="optimizer"):
        ConvAETransformer(optimizer="rmsprop").fit(np.zeros((2, 784), np.float32))


def test_ctrl_c_keeps_best_weights_then_stops(mnist_small, ctrl_c):
    X = mnist_small[0][:256]
    reference = ConvAETransformer(max_epochs=2, random_state=0).fit(X)
    ctrl_c(ConvAETransformer, epoch=3)
    ae = ConvAETransformer(max_epochs=3, random_state=0)
    match = "interrupted during epoch 3; the model keeps the weights of epoch 2"
    with pytest.warns(UserWarning, match=match), pytest.raises(KeyboardInterrupt):
        ae.fit(X)
    assert ae.n_epochs_ == 2  # fitted state complete: usable at the prompt
    np.testing.assert_allclose(ae.transform(X), reference.transform(X), atol=1e-6)
    assert len(ae.get_feature_names_out()) == 196


def test_ctrl_c_stops_a_grid_search(mnist_small, ctrl_c):
    X, y = mnist_small[0], mnist_small[1]
    ctrl_c(SoftmaxClassifier, epoch=2)
    search = GridSearchCV(SoftmaxClassifier(max_epochs=3), {"lr": [1e-3, 1e-2]}, cv=2)
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        search.fit(X, y)  # error_score catches exceptions, not the interrupt
    assert not hasattr(search, "best_estimator_")


def test_early_stopping_uses_validation_split(mnist_small):
    X, y = mnist_small[0], mnist_small[1]
    clf = SoftmaxClassifier(
        max_epochs=50, lr=0.5, validation_fraction=0.2, patience=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # early stopping is not an interruption
        clf.fit(X, y)
    assert clf.n_epochs_ < 50
    assert len(clf.validation_loss_curve_) == clf.n_epochs_


def test_no_hidden_validation_split_by_default(mnist_small):
    X, y = mnist_small[0][:160], mnist_small[1][:160]
    clf = SoftmaxClassifier(max_epochs=1, batch_size=16, random_state=0).fit(X, y)
    assert clf.net_.history[-1]["train_batch_count"] == 10  # all 160 samples train


def test_cnn_learns_digits(mnist_small):
    X, y, X_test, y_test = mnist_small
    cnn = CNNClassifier(max_epochs=5, random_state=0).fit(X, y)
    assert cnn.score(X_test, y_test) > 0.6
    # transform: the features its last layer turns into the class probabilities
    features = cnn.transform(X_test)
    last = cnn.net_.module_.classifier
    logits = features @ last.weight.detach().numpy().T + last.bias.detach().numpy()
    np.testing.assert_allclose(
        np.exp(logits) / np.exp(logits).sum(1, keepdims=True), cnn.predict_proba(X_test),
        rtol=1e-4, atol=1e-6,
    )  # fmt: skip
    assert cnn.get_feature_names_out()[-1] == f"cnnclassifier{features.shape[1] - 1}"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_model_loads_on_cpu(fitted_ae, mnist_small, tmp_path):
    X = mnist_small[0][:100]
    ae = ConvAETransformer(max_epochs=1, device="cuda", random_state=0).fit(X)
    joblib.dump(ae, tmp_path / "ae.joblib")
    loaded = joblib.load(tmp_path / "ae.joblib")
    np.testing.assert_allclose(loaded.transform(X), ae.transform(X), atol=1e-5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_cuda_saved_model_loads_on_cpu_only_machine(mnist_small):
    # Without a GPU, make the file look CUDA-trained: the device set to "cuda" and every
    # tensor tagged "cuda:0", as torch.save writes them from a GPU. Loading it here must
    # map the weights to the CPU and give the same codes.
    X, y = mnist_small[0][:100], mnist_small[1][:100]
    ae = ConvAETransformer(max_epochs=1, random_state=0).fit(X)
    model = Pipeline(
        [("ae", FrozenEstimator(ae)), ("head", SoftmaxClassifier(max_epochs=1, random_state=0))]
    ).fit(X, y)
    expected = model.predict_proba(X)
    for estimator in (ae, model[1]):
        estimator.set_params(device="cuda")
        estimator.net_.device = "cuda"
    cpu_tag = torch.serialization.location_tag

    def cuda_tag(obj):
        return "cuda:0" if cpu_tag(obj) == "cpu" else cpu_tag(obj)

    buffer = io.BytesIO()
    with mock.patch.object(torch.serialization, "location_tag", cuda_tag):
        joblib.dump(model, buffer)
    assert b"cuda:0" in buffer.getvalue()
    buffer.seek(0)
    with (
        pytest.warns(UserWarning, match="no CUDA devices"),
        pytest.warns(DeviceWarning, match="device \\(cuda\\) is not available"),
    ):
        loaded = joblib.load(buffer)
    assert str(loaded[1].net_.device) == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-6)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only error")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        SoftmaxClassifier(device="cuda").fit(np.eye(4), [0, 1, 0, 1])


def test_saved_model_keeps_epoch_history_only(mnist_small):
    ae = ConvAETransformer(max_epochs=2, random_state=0).fit(mnist_small[0])
    assert [epoch["batches"] for epoch in ae.net_.history] == [[], []]
    assert [epoch["train_loss"] for epoch in ae.net_.history] == ae.loss_curve_


def test_html_repr_links_to_skae_docs():
    pipe = Pipeline([("ae", ConvAETransformer()), ("clf", SoftmaxClassifier())])
    assert pipe.named_steps["ae"]._get_doc_link().endswith("generated/skae.ConvAETransformer.html")
    html = pipe._repr_html_()
    assert "skae.readthedocs.io" in html and "generated/skae.SoftmaxClassifier.html" in html
