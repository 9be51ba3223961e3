"""LadderClassifier: the ladder network beats its supervised baseline on few MNIST labels;
-1 marks unlabeled samples; seeds, errors, both variants on image-shaped input."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback
from skorch.dataset import Dataset

from skae import SoftmaxClassifier
from skae._ladder import MixedBatchLoader
from skae.datasets import load_dataset
from skae.semi_supervised import LadderClassifier

RNG = np.random.default_rng(0)
X_TINY = RNG.random((60, 64), dtype=np.float32)  # 8x8 "images"
Y_TINY = np.where(np.arange(60) < 12, np.arange(60) % 3, -1)  # 12 labels of 3 classes

FC = {"hidden_units": (16, 8), "image_shape": (1, 8, 8)}
CONV = {"architecture": "conv", "channels": (2, 2, 2, 2), "image_shape": (1, 8, 8)}


def tiny(**params):
    defaults = {**FC, "batch_size": 20, "max_epochs": 1, "random_state": 0}
    return LadderClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def mnist_100_labels():
    """2 000 MNIST training images, 10 labels per class, and 2 000 test images."""
    data = load_dataset("mnist")  # data_home from SKAE_DATA
    X, y = data.data[:2000], data.target[:2000]
    partial = np.full_like(y, -1)
    labeled = np.concatenate([np.flatnonzero(y == digit)[:10] for digit in range(10)])
    partial[labeled] = y[labeled]
    return X, partial, data.data_test[:2000], data.target_test[:2000]


def test_ladder_beats_the_same_network_trained_on_the_labels_only(mnist_100_labels):
    """Denoising the unlabeled images is what helps: the same network, noise and training
    with all denoising weights 0 (the paper's supervised baseline) is clearly worse."""
    X, y, X_test, y_test = mnist_100_labels
    params = {"hidden_units": (500, 250), "lr": 0.005, "max_epochs": 10, "random_state": 0}
    ladder = LadderClassifier(**params).fit(X, y)
    baseline = LadderClassifier(denoising_costs=(0, 0, 0, 0), **params).fit(X, y)
    accuracy, baseline_accuracy = ladder.score(X_test, y_test), baseline.score(X_test, y_test)
    assert accuracy > 0.7  # 10 classes, 100 labels
    assert accuracy > baseline_accuracy + 0.04  # measured: 73.3 % against 67.0 %


def test_same_random_state_same_predictions():
    first = tiny().fit(X_TINY, Y_TINY).predict_proba(X_TINY)
    np.testing.assert_array_equal(tiny().fit(X_TINY, Y_TINY).predict_proba(X_TINY), first)
    assert not np.array_equal(tiny(random_state=1).fit(X_TINY, Y_TINY).predict_proba(X_TINY), first)


def test_minus_one_marks_unlabeled_samples_not_a_class():
    model = tiny().fit(X_TINY, Y_TINY)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert set(model.predict(X_TINY)) <= {0, 1, 2}
    y = np.where(Y_TINY == -1, -1.0, Y_TINY + 10.0)  # float labels
    np.testing.assert_array_equal(tiny().fit(X_TINY, y).classes_, [10.0, 11.0, 12.0])


def test_string_labels_with_minus_one_for_unlabeled_samples():
    names = np.array(["cat", "dog", "eel"], dtype=object)
    y = np.where(Y_TINY == -1, -1, names[np.arange(60) % 3]).astype(object)
    model = tiny().fit(X_TINY, y)
    assert list(model.classes_) == ["cat", "dog", "eel"]
    assert set(model.predict(X_TINY)) <= set(names)
    with pytest.raises(ValueError, match="the string '-1'"):
        tiny().fit(X_TINY, y.astype(str))


@pytest.mark.parametrize("kind", ["str", "bytes", "object", "pandas"])
def test_a_string_minus_one_is_refused_whatever_the_array_type(kind):
    """A pandas Series of strings is an object array: its "-1" once became a class."""
    names = np.array(["cat", "dog", "eel"])[np.arange(60) % 3]
    y = np.where(Y_TINY == -1, "-1", names)
    y = {
        "str": y,
        "bytes": y.astype(bytes),
        "object": y.astype(object),
        "pandas": pytest.importorskip("pandas").Series(y, dtype=object),
    }[kind]
    with pytest.raises(ValueError, match="the string '-1'"):
        tiny().fit(X_TINY, y)


@pytest.mark.parametrize("classes", [np.arange(-1, 3), np.array(["-1", "a"], dtype=object)])
def test_minus_one_is_never_one_of_the_classes(classes):
    with pytest.raises(ValueError, match="holds -1, the marker of unlabeled samples"):
        tiny().partial_fit(X_TINY, Y_TINY, classes=classes)


def test_string_labels_when_all_samples_are_labeled():
    y = np.array(["cat", "dog", "eel"])[np.arange(60) % 3]
    model = tiny().fit(X_TINY, y)
    assert list(model.classes_) == ["cat", "dog", "eel"]
    assert set(model.predict(X_TINY)) <= set(y)


@pytest.mark.parametrize(
    ("y", "params", "match"),
    [
        (np.full(60, -1), {}, "at least 2 classes; got 0 labeled"),
        (np.where(Y_TINY == 0, 0, -1), {}, "at least 2 classes; got 4 labeled of 1 class"),
        (Y_TINY, {"denoising_costs": (1.0, 1.0)}, "4 non-negative finite numbers"),
        (Y_TINY, {"denoising_costs": (1.0, -1.0, 0.0, 0.0)}, "non-negative"),
        (Y_TINY, {**CONV, "denoising_costs": (0.0, 1.0)}, "the top layer's only"),
        (Y_TINY, {"hidden_units": (0,)}, "'hidden_units' .* positive ints"),
        (Y_TINY, {**CONV, "channels": (2, 2)}, "'channels' .* 4 positive ints"),
    ],
)
def test_errors(y, params, match):
    with pytest.raises(ValueError, match=match):
        tiny(**params).fit(X_TINY, y)


def test_the_other_architectures_sizes_are_ignored():
    tiny(channels=()).fit(X_TINY, Y_TINY)
    tiny(**CONV, hidden_units=(0,)).fit(X_TINY, Y_TINY)


def test_batch_statistics_need_two_samples():
    with pytest.raises(InvalidParameterError, match="batch_size"):
        tiny(batch_size=1).fit(X_TINY, Y_TINY)


@pytest.mark.parametrize("n_samples", [2, 3, 5, 41, 401])
@pytest.mark.parametrize("batch_size", [2, 3, 7, 100])
def test_no_batch_part_has_a_single_sample(n_samples, batch_size):
    """An odd count in batches of 2 once left a one-sample pool part (variance 0)."""
    y = np.full(n_samples, -1)
    y[:2] = [0, 1]
    dataset = Dataset(torch.zeros(n_samples, 4), torch.as_tensor(y))
    loader = MixedBatchLoader(dataset, batch_size=batch_size, shuffle=False)
    parts = [len(batch["x"]) - int(batch["labeled"].sum()) for batch, _ in loader]
    assert sum(parts) == n_samples and min(parts) >= 2 and max(parts) <= max(batch_size, 3)
    assert len(parts) == len(loader)


def test_the_training_split_keeps_two_labels_of_two_classes():
    """With one labeled sample left to train on, its batch variance is 0 and the running
    statistics decay towards it: predictions then blow up, silently."""
    y = np.full(60, -1)
    y[0] = 0
    with pytest.raises(ValueError, match="1 labeled sample"):
        MixedBatchLoader(Dataset(torch.zeros(60, 4), torch.as_tensor(y)))
    y[:4] = [0, 0, 1, 1]  # the split (seed 0) keeps the two 0s out of training
    with pytest.raises(ValueError, match="fewer than 2 classes"):
        tiny(validation_fraction=0.7).fit(X_TINY, y)


def test_a_users_lr_scheduler_is_not_overridden():
    from skorch.callbacks import LRScheduler
    from torch.optim.lr_scheduler import StepLR

    schedule = LRScheduler(policy=StepLR, step_size=1, gamma=0.1)
    model = tiny(lr=0.01, lr_decay_start=1.0, max_epochs=3, callbacks=[schedule, LRRecorder()])
    assert first_lrs(model.fit(X_TINY, Y_TINY)) == pytest.approx([0.01, 0.001, 0.0001])
    with pytest.raises(ValueError, match="set lr_decay_start=1.0"):
        tiny(callbacks=[("schedule", schedule)]).fit(X_TINY, Y_TINY)


def test_a_users_lr_scheduler_steps_across_partial_fits_as_elsewhere():
    """The ladder set the rate back to lr at every call: each trained at lr x gamma."""
    from skorch.callbacks import LRScheduler
    from torch.optim.lr_scheduler import StepLR

    def rates(model, y):
        seen = []
        for _ in range(3):
            model.partial_fit(X_TINY, y, classes=[0, 1, 2])
            seen.append(model.net_.optimizer_.param_groups[0]["lr"])
        return seen

    schedule = LRScheduler(policy=StepLR, step_size=1, gamma=0.5)
    ladder = tiny(lr=0.01, lr_decay_start=1.0, callbacks=[schedule])
    softmax = SoftmaxClassifier(lr=0.01, callbacks=[schedule], random_state=0)
    expected = rates(softmax, np.where(Y_TINY == -1, 0, Y_TINY))
    assert rates(ladder, Y_TINY) == pytest.approx(expected)
    assert expected[-1] < expected[0]


def test_a_warm_fit_starts_again_from_lr():
    model = tiny(lr=0.01, lr_decay_start=0.0, warm_start=True).fit(X_TINY, Y_TINY)
    model.set_params(lr_decay_start=1.0, callbacks=[LRRecorder()]).fit(X_TINY, Y_TINY)
    assert first_lrs(model) == [0.01]  # not the 0 the first fit annealed to


class LRRecorder(Callback):
    """The learning rate of each epoch's first training step."""

    def on_train_begin(self, net, **kwargs):
        self.seen_ = []

    def on_epoch_begin(self, net, **kwargs):
        self.first_ = True

    def on_batch_end(self, net, training=False, **kwargs):
        if training and self.first_:
            self.seen_.append(net.optimizer_.param_groups[0]["lr"])
            self.first_ = False


def first_lrs(model):
    return dict(model.net_.callbacks_)["LRRecorder"].seen_


def test_an_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="is not a torch device"):
        tiny(device="foo").fit(X_TINY, Y_TINY)


def test_warm_start_trains_on_and_keeps_the_architecture():
    model = tiny(warm_start=True).fit(X_TINY, Y_TINY)
    changes = {"noise_std": 0.1, "denoising_costs": (0, 0, 0, 1.0), "channels": (4, 4, 4, 4)}
    model.set_params(**changes).fit(X_TINY, Y_TINY)  # fc: channels are unused
    assert model.n_epochs_ == 2 and model.net_.noise_std == 0.1
    assert model.net_.denoising_costs == (0, 0, 0, 1.0)
    with pytest.raises(ValueError, match="cannot change architecture"):
        model.set_params(architecture="conv").fit(X_TINY, Y_TINY)
    assert model.architecture == "fc"


@pytest.mark.parametrize("batch_size", [4, 7, 60])
def test_validation_loss_is_the_cross_entropy_on_the_labeled_held_out_samples(batch_size):
    """Whatever the batch size: the validation batches hold labeled samples only (they once
    held the unlabeled ones too, each scoring 0, which diluted the loss by batch)."""
    model = tiny(validation_fraction=0.5, max_epochs=2, batch_size=batch_size)
    model.fit(X_TINY, Y_TINY)
    assert len(model.validation_loss_curve_) == 2
    _, valid = model.net_.get_split_datasets(X_TINY, model._encode(Y_TINY).numpy())
    X_valid, y_valid = valid.X, valid.y
    assert len(y_valid) and (y_valid >= 0).all()
    proba = model.predict_proba(X_valid)
    cross_entropy = -np.log(proba[np.arange(len(y_valid)), y_valid]).mean()
    assert model.validation_loss_curve_[-1] == pytest.approx(cross_entropy, rel=1e-4)


def test_a_validation_split_without_labels_is_an_error():
    y = np.where(np.arange(60) < 4, np.arange(60) % 2, -1)  # 4 labels: none held out
    with pytest.raises(ValueError, match="validation split holds no labeled sample"):
        tiny(validation_fraction=0.1).fit(X_TINY, y)


@pytest.mark.parametrize("params", [FC, CONV], ids=["fc", "conv"])
def test_bfloat16_keeps_statistics_and_losses_in_float32(params):
    fp32 = tiny(**params).fit(X_TINY, Y_TINY)
    model = tiny(precision="bfloat16", **params).fit(X_TINY, Y_TINY)
    assert np.isfinite(model.loss_curve_).all()
    np.testing.assert_allclose(model.loss_curve_, fp32.loss_curve_, rtol=0.05)
    proba = model.predict_proba(X_TINY)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, fp32.predict_proba(X_TINY), atol=0.1)


def test_pickle_and_clone():
    model = tiny(**CONV).fit(X_TINY, Y_TINY)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict_proba(X_TINY), model.predict_proba(X_TINY))
    assert clone(model).get_params() == model.get_params()


@pytest.mark.slow
def test_conv_gamma_model_learns_mnist_from_100_labels(mnist_100_labels):
    X, y, X_test, y_test = mnist_100_labels
    model = LadderClassifier(
        architecture="conv", channels=(8, 16, 16, 32), lr=0.005, max_epochs=5, random_state=0
    ).fit(X.reshape(-1, 28, 28), y)
    assert model.score(X_test, y_test) > 0.7  # measured: 74.1 % (27 s of one core)
