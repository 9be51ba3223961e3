"""Callbacks, optimizer settings, continued training and per-sample scores."""

import copy
import os
import pickle
import signal
import time
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, EpochScoring, LRScheduler

import skae._autoencoder
import skae._base
from skae import (
    CNNClassifier,
    ConvAETransformer,
    EncoderClassifier,
    SoftmaxClassifier,
    VAETransformer,
)

RNG = np.random.default_rng(0)
X = RNG.random((120, 784), dtype=np.float32)
Y = (X[:, :392].mean(1) > 0.5).astype(int)


class CountEpochs(Callback):
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


class BatchSizes(Callback):
    def __init__(self):
        self.sizes = []

    def on_batch_begin(self, net, batch=None, **kwargs):
        self.sizes.append(len(batch[0]))


def zero_score(net, X, y):
    return 0.0


def learning_rates(estimator):
    return [group["lr"] for group in estimator.net_.optimizer_.param_groups]


def test_callbacks_run_and_survive_clone_search_and_pickling():
    schedule = LRScheduler("StepLR", step_size=1, gamma=0.5)
    clf = SoftmaxClassifier(max_epochs=3, lr=0.1, callbacks=[schedule], random_state=0)
    clf.fit(X, Y)
    assert learning_rates(clf) == [pytest.approx(0.1 * 0.5**3)]
    assert clf.callbacks == [schedule] and not hasattr(schedule, "lr_scheduler_")  # untouched
    assert isinstance(clone(clf).callbacks[0], LRScheduler)
    search = GridSearchCV(clf, {"max_epochs": [1, 2]}, cv=2).fit(X, Y)
    assert learning_rates(search.best_estimator_) == [
        pytest.approx(0.1 * 0.5**search.best_estimator_.max_epochs)
    ]
    pickle.loads(pickle.dumps(clf)).fit(X, Y)


def test_named_callbacks_on_an_autoencoder():
    ae = ConvAETransformer(max_epochs=2, callbacks=[("count", CountEpochs())], random_state=0)
    ae.fit(X)
    assert dict(ae.net_.callbacks_)["count"].epochs == 2


def test_weight_decay_and_momentum_reach_the_optimizer():
    cnn = CNNClassifier(max_epochs=1, weight_decay=1e-3, momentum=0.9, random_state=0).fit(X, Y)
    (group,) = cnn.net_.optimizer_.param_groups
    assert group["weight_decay"] == 1e-3 and group["momentum"] == 0.9
    pipe = Pipeline([("ae", ConvAETransformer(max_epochs=1)), ("clf", SoftmaxClassifier())])
    pipe.set_params(ae__weight_decay=0.1)
    assert pipe.named_steps["ae"].weight_decay == 0.1


def test_weight_decay_shrinks_the_weights():
    norms = [
        SoftmaxClassifier(max_epochs=5, lr=0.05, weight_decay=decay, random_state=0)
        .fit(X, Y)
        .net_.module_.layers[0]
        .weight.norm()
        for decay in (0.0, 1.0)
    ]
    assert norms[1] < 0.5 * norms[0]


def test_momentum_with_adam_is_a_clear_error():
    with pytest.raises(ValueError, match="momentum applies to optimizer='sgd'"):
        SoftmaxClassifier(momentum=0.9, max_epochs=1).fit(X, Y)


def test_nested_optimizer_parameters_name_the_plain_ones():
    pipe = Pipeline([("ae", ConvAETransformer())])
    with pytest.raises(ValueError, match="set weight_decay and momentum directly"):
        pipe.set_params(ae__optimizer__weight_decay=1e-4)


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: ConvAETransformer(channels=(4, 2), random_state=0, **kw),
        lambda **kw: SoftmaxClassifier(random_state=0, **kw),
        lambda **kw: CNNClassifier(random_state=0, **kw),
    ],
    ids=["autoencoder", "head", "cnn"],
)
def test_warm_start_goes_on_training(make):
    y = None if isinstance(make(), ConvAETransformer) else Y
    warm = make(max_epochs=2, warm_start=True).fit(X, y)
    first = list(warm.loss_curve_)
    module = warm.net_.module_
    warm.fit(X, y)
    assert warm.n_epochs_ == 4 and len(warm.net_.history) == 4
    assert warm.loss_curve_[:2] == first and warm.net_.module_ is module  # went on
    cold = make(max_epochs=2).fit(X, y)
    cold.fit(X, y)
    assert cold.n_epochs_ == 2 and cold.loss_curve_ == first  # started again
    again = make(max_epochs=2, warm_start=True).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(again.loss_curve_, warm.loss_curve_)  # reproducible


def test_partial_fit_trains_one_epoch_at_a_time():
    ae = ConvAETransformer(channels=(4, 2), random_state=0)
    for _ in range(3):
        ae.partial_fit(X)
    assert ae.n_epochs_ == 3 and ae.loss_curve_[-1] < ae.loss_curve_[0]
    with pytest.raises(ValueError, match="features"):
        ae.partial_fit(X[:, :100])


def test_partial_fit_of_a_classifier_needs_its_classes_first():
    labels = np.array(["no", "yes"])[Y]
    clf = SoftmaxClassifier(random_state=0)
    clf.partial_fit(X[:10], np.full(10, "no"), classes=["no", "yes"])
    clf.partial_fit(X, labels)
    assert clf.n_epochs_ == 2 and list(clf.classes_) == ["no", "yes"]
    assert set(clf.predict(X)) <= {"no", "yes"}
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:3], ["no", "maybe", "yes"])
    clf.partial_fit(X, labels, classes=["yes", "no"])  # the same classes: fine
    for other in (["no", "yes", "maybe"], ["no"]):  # once ignored, silently
        with pytest.raises(ValueError, match="differs from the classes of the first fit"):
            clf.partial_fit(X, labels, classes=other)
    assert clf.n_epochs_ == 3


def test_score_samples_flag_images_unlike_the_training_images(fitted_ae, mnist_small):
    digits = mnist_small[2][:100]
    noise = np.random.default_rng(1).random((100, 784), dtype=np.float32)
    scores = fitted_ae.score_samples(digits)
    assert scores.shape == (100,) and (scores <= 0).all()
    assert fitted_ae.score(digits) == pytest.approx(scores.mean(), rel=1e-5)
    assert np.median(fitted_ae.score_samples(noise)) < scores.min()


def test_vae_score_samples_are_its_negative_loss_at_the_mean():
    vae = VAETransformer(latent_dim=2, channels=(4, 4, 4), max_epochs=1, beta=2.0, random_state=0)
    vae.fit(X)
    module = vae.net_.module_.eval()
    with torch.no_grad():
        x = torch.from_numpy(X[:5])
        mu, log_var = module.encode_distribution(x)
        squared_error = ((module.decode(mu) - x) ** 2).sum(1)
        kl = -0.5 * (1 + log_var - mu**2 - log_var.exp()).sum(1)
    np.testing.assert_allclose(vae.score_samples(X[:5]), -(squared_error + 2.0 * kl), rtol=1e-5)


def test_predict_log_proba_is_the_log_of_predict_proba():
    clf = SoftmaxClassifier(max_epochs=2, random_state=0).fit(X, Y)
    log_proba = clf.predict_log_proba(X[:10])
    np.testing.assert_allclose(np.exp(log_proba), clf.predict_proba(X[:10]), rtol=1e-5)


def test_progress_bar_with_verbose_2_and_silence_with_0(capsys):
    SoftmaxClassifier(max_epochs=3, verbose=2, random_state=0).fit(X, Y)
    err = capsys.readouterr().err
    assert "3/3" in err and "epoch" in err and "train_loss" in err
    SoftmaxClassifier(max_epochs=3, verbose=0, random_state=0).fit(X, Y)
    assert capsys.readouterr() == ("", "")


def test_validation_fraction_with_few_labels_per_class_falls_back_to_a_plain_split():
    three_per_class = np.repeat(np.arange(10), 3)  # 6 validation images for 10 classes
    one_image_class = np.r_[0, np.ones(29, int)]
    for y in (three_per_class, one_image_class):
        clf = SoftmaxClassifier(validation_fraction=0.2, max_epochs=2, random_state=0)
        with pytest.warns(UserWarning, match=r"validation_fraction=0\.2 of 30 samples cannot"):
            clf.fit(X[:30], y)
        assert (
            len(clf.validation_loss_curve_) == 2 and np.isfinite(clf.validation_loss_curve_).all()
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enough of each class: stratified, no warning
        SoftmaxClassifier(validation_fraction=0.2, max_epochs=1).fit(X, Y)


@pytest.mark.parametrize(
    "estimator, n",
    [
        (SoftmaxClassifier(validation_fraction=0.9), 5),
        (ConvAETransformer(validation_fraction=0.5), 1),
    ],
    ids=["classifier", "autoencoder"],
)
def test_a_validation_fraction_leaving_no_training_data_is_named(estimator, n):
    with pytest.raises(ValueError, match=f"validation_fraction={estimator.validation_fraction} "
                       f"of {n} samples leaves none to train on"):  # fmt: skip
        estimator.set_params(max_epochs=1).fit(X[:n], Y[:n])


@pytest.mark.parametrize(
    "callback",
    [
        EarlyStopping(),
        Checkpoint(),
        EpochScoring(zero_score, on_train=False),
        LRScheduler("ReduceLROnPlateau", monitor="valid_loss"),
    ],
    ids=type,
)
def test_callbacks_reading_validation_scores_need_validation_fraction(callback, tmp_path):
    if isinstance(callback, Checkpoint):
        callback.set_params(dirname=str(tmp_path))
    clf = SoftmaxClassifier(callbacks=[("cb", callback)], max_epochs=2, random_state=0)
    with pytest.raises(ValueError, match=r"reads validation scores .* set validation_fraction"):
        clf.fit(X, Y)
    assert not list(tmp_path.iterdir())  # failed before training
    clf.set_params(validation_fraction=0.2).fit(X, Y)
    assert clf.n_epochs_ >= 1 and clf.validation_loss_curve_


def test_patience_needs_validation_fraction_and_so_does_a_warm_fit_adding_it():
    with pytest.raises(ValueError, match=r"patience=2 stops on the validation loss: set "
                       "validation_fraction"):  # fmt: skip
        ConvAETransformer(patience=2, max_epochs=1).fit(X)
    clf = SoftmaxClassifier(max_epochs=1, warm_start=True, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="set validation_fraction"):
        clf.set_params(callbacks=[EarlyStopping()]).fit(X, Y)
    ae = ConvAETransformer(callbacks=[EarlyStopping(monitor="train_loss")], max_epochs=1)
    assert ae.fit(X).n_epochs_ == 1  # the training loss needs no validation data


def test_warm_start_applies_new_optimizer_settings_and_batch_size():
    clf = SoftmaxClassifier(max_epochs=1, lr=0.1, warm_start=True, random_state=0)
    clf.set_params(callbacks=[("sizes", BatchSizes())]).fit(X, Y)
    clf.set_params(lr=1e-30, weight_decay=0.5, batch_size=7, clip_grad_norm=0.5)
    weights = clf.net_.module_.layers[0].weight.detach().clone()
    clf.fit(X, Y)
    (group,) = clf.net_.optimizer_.param_groups
    assert (group["lr"], group["weight_decay"]) == (1e-30, 0.5) == (clf.lr, clf.weight_decay)
    assert clf.net_.clip_grad_norm == 0.5 and clf.n_epochs_ == 2
    assert dict(clf.net_.callbacks_)["sizes"].sizes[8:] == [7] * 17 + [
        1
    ]  # 120 = 8 x 16, 17 x 7 + 1
    torch.testing.assert_close(clf.net_.module_.layers[0].weight, weights, rtol=0, atol=0)
    cnn = CNNClassifier(max_epochs=1, warm_start=True, random_state=0).fit(X, Y)
    cnn.set_params(momentum=0.9).partial_fit(X, Y)  # partial_fit applies them too
    assert cnn.net_.optimizer_.param_groups[0]["momentum"] == 0.9


def test_warm_start_applies_new_loss_weights(monkeypatch):
    ae = ConvAETransformer(channels=(4, 2), max_epochs=1, warm_start=True, random_state=0).fit(X)
    corrupted = []
    corrupt = skae._autoencoder.corrupt
    monkeypatch.setattr(
        skae._autoencoder, "corrupt", lambda X, kind: corrupted.append(kind) or corrupt(X, kind)
    )
    ae.set_params(sparsity=1e3, noise="gaussian").fit(X)
    assert (ae.net_.sparsity, ae.net_.noise) == (1e3, "gaussian") and set(corrupted) == {"gaussian"}
    assert ae.loss_curve_[1] > 10 * ae.loss_curve_[0]  # the L1 penalty now counts
    vae = VAETransformer(latent_dim=2, channels=(4, 4, 4), max_epochs=1, warm_start=True)
    vae.fit(X).set_params(beta=100.0).fit(X)
    assert vae.net_.beta == 100.0


def test_warm_start_applies_a_new_validation_split_and_encoder_schedule(fitted_ae):
    clf = SoftmaxClassifier(max_epochs=1, warm_start=True, random_state=0).fit(X, Y)
    clf.set_params(validation_fraction=0.2, patience=1).fit(X, Y)
    assert len(clf.validation_loss_curve_) == 1 and "early_stopping" in dict(clf.net_.callbacks_)
    data = np.random.default_rng(2).random((32, 784), dtype=np.float32), np.arange(32) % 2
    clf = EncoderClassifier(fitted_ae, max_epochs=1, warm_start=True, random_state=0).fit(*data)
    encoder = {k: w.clone() for k, w in clf.net_.module_.encoder.state_dict().items()}
    clf.set_params(freeze_epochs=3, encoder_lr=1e-4, lr=1e-2).fit(*data)  # epoch 2: frozen
    assert [group["lr"] for group in clf.net_.optimizer_.param_groups] == [1e-4, 1e-2]
    torch.testing.assert_close(clf.net_.module_.encoder.state_dict(), encoder, rtol=0, atol=0)
    clf.set_params(freeze_epochs=0).fit(*data)  # epoch 3: trained
    assert not torch.equal(clf.net_.module_.encoder.encoder[0].weight, encoder["encoder.0.weight"])


@pytest.mark.parametrize(
    "estimator, change",
    [
        (ConvAETransformer(channels=(4, 2)), {"channels": (2, 2)}),
        (ConvAETransformer(channels=(4, 2)), {"latent_dim": 3}),
        (ConvAETransformer(channels=(4, 2)), {"image_shape": (1, 784, 1)}),
        (ConvAETransformer(channels=(4, 2)), {"optimizer": "sgd"}),
        (ConvAETransformer(channels=(4, 2)), {"device": "meta"}),
        (VAETransformer(latent_dim=2, channels=(4, 4, 4)), {"dropout": 0.5}),
        (SoftmaxClassifier(), {"hidden_units": (4,)}),
        (CNNClassifier(), {"channels": (2, 2)}),
        (EncoderClassifier(), {"autoencoder": ConvAETransformer(channels=(2, 2))}),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, dict) else type(v).__name__,
)
def test_warm_start_refuses_to_change_the_network(estimator, change):
    y = None if isinstance(estimator, ConvAETransformer) else Y
    model = clone(estimator).set_params(max_epochs=1, warm_start=True, random_state=0).fit(X, y)
    name, value = next(iter(change.items()))
    trained = model.get_params()[name]
    with pytest.raises(ValueError, match=f"warm_start cannot change {name} of a trained .*: "
                       rf"set back to {name}=.*, as trained; to train with {name}="):  # fmt: skip
        model.set_params(**change).fit(X, y)
    assert model.n_epochs_ == 1
    assert model.get_params()[name] is trained  # set back: get_params describes the network
    for copied in (clone(model), pickle.loads(pickle.dumps(model))):
        assert repr(copied.get_params()[name]) == repr(trained)
    model.fit(X, y)  # training goes on
    assert model.n_epochs_ == 2


@pytest.mark.parametrize(
    "estimator, change",
    [
        (SoftmaxClassifier(hidden_units=(8,)), {"hidden_units": [8]}),
        (ConvAETransformer(channels=(4, 2)), {"channels": [4, 2]}),
        (CNNClassifier(image_shape=None, channels=(2, 2)), {"image_shape": (1, 28, 28)}),
        (CNNClassifier(image_shape=(1, 28, 28), channels=(2, 2)), {"image_shape": None}),
        (ConvAETransformer(image_shape=None, channels=(4, 2)), {"image_shape": [1, 28, 28]}),
        (SoftmaxClassifier(), {"device": "cpu:0"}),
        (SoftmaxClassifier(), {"device": torch.device("cpu")}),
    ],
    ids=lambda v: "-".join(f"{k}={v[k]}" for k in v) if isinstance(v, dict) else type(v).__name__,
)
def test_warm_start_takes_equal_values_of_the_network(estimator, change):
    """A list for a tuple, or the image shape that ``None`` resolved to, is no change."""
    y = None if isinstance(estimator, ConvAETransformer) else Y
    model = clone(estimator).set_params(max_epochs=1, warm_start=True, random_state=0).fit(X, y)
    ((name, value),) = change.items()
    model.set_params(**change).fit(X, y)  # goes on training, the value kept as set
    assert model.n_epochs_ == 2 and model.get_params()[name] is value
    assert getattr(model, "image_shape_", (1, 28, 28)) == (1, 28, 28)


def test_score_samples_and_score_are_computed_per_batch(monkeypatch):
    """Memory: no array of every reconstruction (70 000 MNIST images: 220 MB each)."""
    ae = ConvAETransformer(channels=(4, 2), max_epochs=1, random_state=0).fit(X)
    vae = VAETransformer(latent_dim=2, channels=(4, 4, 4), max_epochs=1, random_state=0).fit(X)
    errors = [np.mean((model.reconstruct(X) - X) ** 2, axis=1) for model in (ae, vae)]
    expected = [(-errors[0], -errors[0].mean()), (vae.score_samples(X), -errors[1].mean())]
    monkeypatch.setattr(skae._base, "INFERENCE_BATCH_SIZE", 7)
    outputs, batches = [], []
    infer = skae._base.TorchEstimator._infer

    def spy(self, fn, X):
        outputs.append(infer(self, fn, X))
        return outputs[-1]

    monkeypatch.setattr(skae._base.TorchEstimator, "_infer", spy)
    for model, (scores, score) in zip((ae, vae), expected):
        model.net_.module_.register_forward_hook(lambda m, args, out: batches.append(len(args[0])))
        np.testing.assert_allclose(model.score_samples(X), scores, rtol=1e-5)
        assert model.score(X) == pytest.approx(score, rel=1e-5)
    assert [out.shape for out in outputs] == [(120,)] * 4 and max(batches) == 7


def test_an_optuna_pruning_callback_reports_to_the_callers_trial():
    """Each fit copies the callbacks, but not the Optuna trial they report to."""
    optuna = pytest.importorskip("optuna")
    from optuna_integration import SkorchPruningCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = np.random.default_rng(0).random((60, 8), dtype=np.float32), np.arange(60) % 2
    study = optuna.create_study(pruner=optuna.pruners.NopPruner())  # in memory
    trial = study.ask()
    callback = SkorchPruningCallback(trial, "valid_loss")
    model = SoftmaxClassifier(max_epochs=3, validation_fraction=0.2, callbacks=[callback])
    model.fit(X, y)
    assert sorted(study.trials[0].intermediate_values) == [0, 1, 2]  # one report an epoch
    assert model.callbacks[0] is callback  # the parameter is left as set


class FailAt(Callback):
    """Raises ``error`` (an error, or a Ctrl-C) after the first batch of the given epoch."""

    def __init__(self, epoch, error=RuntimeError):
        self.epoch, self.error = epoch, error

    def on_batch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise self.error("out of memory")


FAILING_REFITS = {
    "softmax": (SoftmaxClassifier(max_epochs=2, random_state=0), Y),
    "cnn": (CNNClassifier(channels=(2, 2), max_epochs=1, random_state=0), Y),
    "autoencoder": (ConvAETransformer(channels=(4, 2), max_epochs=1, random_state=0), None),
}


@pytest.mark.parametrize("name", FAILING_REFITS)
def test_a_failed_fit_leaves_the_estimator_as_it_was(name):
    """A refit on other classes that failed its checks kept the old network with the new
    ``classes_``: predictions named the new classes, silently."""
    estimator, y = FAILING_REFITS[name]
    model = clone(estimator).fit(X, y)
    before = model.predict(X) if y is not None else model.transform(X)
    state = {k: v for k, v in vars(model).items() if k.endswith("_")}
    other_y = None if y is None else np.where(Y == 1, "b", "a")
    with pytest.raises(ValueError, match="patience"):
        model.set_params(patience=2).fit(X[:50], other_y if y is None else other_y[:50])
    assert {k: v for k, v in vars(model).items() if k.endswith("_")}.keys() == state.keys()
    after = model.predict(X) if y is not None else model.transform(X)
    np.testing.assert_array_equal(after, before)
    with pytest.raises(ValueError, match="patience"):  # a first fit: still unfitted
        clone(model).fit(X, y)
    unfitted = clone(model)
    with pytest.raises(ValueError):
        unfitted.fit(X, y)
    assert not [k for k in vars(unfitted) if k.endswith("_")]


@pytest.mark.parametrize("name", FAILING_REFITS)
def test_a_warm_fit_failing_in_training_gives_back_the_weights_and_history(name):
    estimator, y = FAILING_REFITS[name]
    model = clone(estimator).set_params(warm_start=True).fit(X, y)
    weights = {k: v.clone() for k, v in model.net_.module_.state_dict().items()}
    n_history, curve = len(model.net_.history), list(model.loss_curve_)
    with pytest.raises(RuntimeError, match="out of memory"):
        model.set_params(max_epochs=3, callbacks=[FailAt(model.n_epochs_ + 2)]).fit(X, y)
    for key, value in model.net_.module_.state_dict().items():
        torch.testing.assert_close(value, weights[key])
    assert len(model.net_.history) == n_history and model.loss_curve_ == curve


def test_ctrl_c_in_a_partial_fit_keeps_the_weights_it_started_from():
    """Each call reset "the best so far": a Ctrl-C in a one-epoch call kept half-trained
    weights and said no epoch had finished."""
    model = SoftmaxClassifier(random_state=0).partial_fit(X, Y).partial_fit(X, Y)
    weights = {k: v.clone() for k, v in model.net_.module_.state_dict().items()}
    model.set_params(callbacks=[FailAt(3, KeyboardInterrupt)])
    with pytest.warns(UserWarning, match="keeps the weights of epoch 2"):
        with pytest.raises(KeyboardInterrupt):
            model.partial_fit(X, Y)
    for key, value in model.net_.module_.state_dict().items():
        torch.testing.assert_close(value, weights[key])


DIVERGING = {"optimizer": "sgd", "lr": 1.0, "momentum": 0.9, "batch_size": 16}  # erratic losses


def _weights(model):
    return {k: v.clone() for k, v in model.net_.module_.state_dict().items()}


def _assert_same_weights(model, weights):
    for key, value in model.net_.module_.state_dict().items():
        torch.testing.assert_close(value, weights[key])


@pytest.mark.parametrize("name", ["softmax", "autoencoder"])
def test_a_warm_fit_after_ctrl_c_goes_on_as_from_a_fit_that_ended_at_the_best_epoch(name):
    """The optimizer state stayed the interrupted epoch's and the later epochs stayed in the
    history (n_epochs_, loss_curve_, the warm fit's shuffling seed, freeze_epochs counted
    them): going on after a Ctrl-C was not going on from the kept weights."""
    estimator, y = FAILING_REFITS[name]
    estimator = clone(estimator).set_params(**{**DIVERGING, "lr": 1.0 if y is Y else 2.0})
    full = clone(estimator).set_params(max_epochs=4).fit(X, y)
    best = int(np.argmin(full.loss_curve_)) + 1
    assert best < 4, "the set-up should make an earlier epoch the best"
    reference = clone(estimator).set_params(max_epochs=best).fit(X, y)
    model = clone(estimator).set_params(max_epochs=5, callbacks=[FailAt(5, KeyboardInterrupt)])
    with pytest.warns(UserWarning, match=f"keeps the weights of epoch {best} "):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y)
    assert model.n_epochs_ == best and model.loss_curve_ == reference.loss_curve_
    _assert_same_weights(model, _weights(reference))
    torch.testing.assert_close(
        model.net_.optimizer_.state_dict(), reference.net_.optimizer_.state_dict()
    )
    for fitted in (model, reference):
        fitted.set_params(callbacks=None, warm_start=True, max_epochs=1).fit(X, y)
    _assert_same_weights(model, _weights(reference))


def test_ctrl_c_in_a_warm_fit_after_early_stopping_keeps_the_weights_it_started_from():
    """The starting weights were scored by the last history row, not by the (earlier) epoch
    EarlyStopping had loaded: the warning named another epoch than the weights kept."""
    model = SoftmaxClassifier(
        **DIVERGING, max_epochs=40, validation_fraction=0.25, patience=2, random_state=0
    ).fit(X, Y)
    losses = model.validation_loss_curve_
    best = int(np.argmin(losses)) + 1
    assert best < len(losses), "early stopping should have loaded an earlier epoch"
    weights = _weights(model)
    model.set_params(warm_start=True, callbacks=[FailAt(len(losses) + 1, KeyboardInterrupt)])
    with pytest.warns(UserWarning, match=f"keeps the weights of epoch {best} "):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, Y)
    _assert_same_weights(model, weights)
    assert model.n_epochs_ == best


@pytest.mark.parametrize("reload", ["pickle", "skae.io"])
def test_a_saved_early_stopped_model_knows_which_epoch_its_weights_are_from(reload, tmp_path):
    """skae.io's files lost it: a warm fit interrupted at once kept the weights but named the
    last epoch and kept the history rows after the one early stopping had loaded."""
    import skae.io

    model = SoftmaxClassifier(
        **DIVERGING, max_epochs=40, validation_fraction=0.25, patience=2, random_state=0
    ).fit(X, Y)
    best = int(np.argmin(model.validation_loss_curve_)) + 1
    if reload == "pickle":
        model = pickle.loads(pickle.dumps(model))
    else:
        skae.io.dump(model, tmp_path / "model.skae")
        model = skae.io.load(tmp_path / "model.skae")
    weights = _weights(model)
    model.set_params(warm_start=True, callbacks=[FailAt(model.n_epochs_ + 1, KeyboardInterrupt)])
    with pytest.warns(UserWarning, match=f"keeps the weights of epoch {best} "):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, Y)
    _assert_same_weights(model, weights)
    assert model.n_epochs_ == best


def test_early_stopping_in_a_warm_fit_keeps_better_starting_weights():
    """skorch's EarlyStopping starts each call afresh: a warm fit whose epochs were all worse
    than the weights it started from ended with the best of the bad ones."""
    model = SoftmaxClassifier(
        max_epochs=5, batch_size=16, lr=0.05, validation_fraction=0.25, patience=2,
        random_state=0,
    ).fit(X, Y)  # fmt: skip
    weights, loss = _weights(model), model.validation_loss_curve_[-1]
    model.set_params(warm_start=True, lr=50.0, max_epochs=4).fit(X, Y)  # every epoch worse
    assert min(model.validation_loss_curve_[5:]) > loss
    _assert_same_weights(model, weights)
    assert model.net_.history[-1, "weights_epoch"] == 5


class NaNWeights(Callback):
    def on_train_begin(self, net, **kwargs):
        for parameter in net.module_.parameters():
            parameter.data.fill_(float("nan"))


def test_ctrl_c_when_every_loss_is_nan_says_so():
    """It said "no epoch had finished" after two finished (NaN) epochs."""
    model = SoftmaxClassifier(max_epochs=3, callbacks=[NaNWeights(), FailAt(3, KeyboardInterrupt)])
    with pytest.warns(UserWarning, match="no finished epoch had a finite loss"):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, Y)
    assert len(model.loss_curve_) == 2 and np.isnan(model.loss_curve_).all()


def test_early_stopping_does_not_load_another_epoch_over_the_one_a_ctrl_c_kept():
    """EarlyStopping(load_best=True) ran after the Ctrl-C's restore and loaded its own best
    epoch of the call: weights of one epoch, optimizer state and warning of another."""
    model = SoftmaxClassifier(
        max_epochs=2, batch_size=16, lr=0.05, validation_fraction=0.25, patience=20,
        random_state=0,
    ).fit(X, Y)  # fmt: skip
    weights, optimizer = _weights(model), copy.deepcopy(model.net_.optimizer_.state_dict())
    model.set_params(
        warm_start=True, lr=50.0, max_epochs=20, callbacks=[FailAt(6, KeyboardInterrupt)]
    )
    with pytest.warns(UserWarning, match="keeps the weights of epoch 2 "):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, Y)
    _assert_same_weights(model, weights)
    torch.testing.assert_close(model.net_.optimizer_.state_dict()["state"], optimizer["state"])


class CtrlCAtEpochEnd(Callback):
    """A real Ctrl-C (SIGINT) while the callbacks of ``epoch``'s end run."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler raises here


@pytest.fixture
def ctrl_c_raises():
    """Python's own SIGINT handler, as in a terminal: a process started in the background
    by a non-interactive shell (nohup, some CI runners) ignores SIGINT."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_epoch_end_callbacks_is_raised_again_unlike_a_callbacks_stop(ctrl_c_raises):
    """It was taken for EarlyStopping's deliberate KeyboardInterrupt: training ended without
    a word and the script went on with a model trained for fewer epochs than asked."""
    model = SoftmaxClassifier(max_epochs=4, random_state=0, callbacks=[CtrlCAtEpochEnd(2)])
    with pytest.warns(UserWarning, match="keeps the weights of epoch 2"):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, Y)
    assert model.n_epochs_ == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.set_params(callbacks=[StopAtEpochEnd(2)]).fit(X, Y)  # a stop, not an error
    assert model.n_epochs_ == 2


class StopAtEpochEnd(Callback):
    """skorch's way to stop (as ``EarlyStopping``): ``KeyboardInterrupt`` at an epoch's end."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_a_callback_changed_in_place_after_fit_is_seen_by_a_warm_fit():
    """The record of the trained parameters held the same callback objects: a setting
    changed in place compared equal, and the warm fit trained with the old copy."""
    stopping = EarlyStopping(monitor="train_loss", patience=100, load_best=False)
    model = SoftmaxClassifier(max_epochs=4, warm_start=True, callbacks=[("stop", stopping)])
    model.fit(X, Y)
    stopping.patience, stopping.threshold = 1, 10.0  # any epoch after the first is a miss
    model.fit(X, Y)
    assert model.n_epochs_ == 4 + 2


def test_encoder_classifier_leaves_the_global_rngs_alone():
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    autoencoder = ConvAETransformer(channels=(4, 2))  # unfitted, random_state=None
    EncoderClassifier(autoencoder, max_epochs=1, random_state=0).fit(X, Y)
    assert np.random.rand() == expected


@pytest.mark.parametrize(
    "estimator",
    [SoftmaxClassifier(), CNNClassifier(channels=(2, 2)), EncoderClassifier()],
    ids=lambda e: type(e).__name__,
)
def test_epoch_scoring_accuracy_scores_class_predictions(estimator):
    scoring = EpochScoring("accuracy", on_train=True, name="train_acc", use_caching=False)
    model = clone(estimator).set_params(max_epochs=1, callbacks=[scoring], random_state=0)
    model.fit(X, Y)
    assert model.net_.history[-1, "train_acc"] == pytest.approx(model.score(X, Y))


def test_malformed_or_colliding_callbacks_and_momentum_are_clear_errors():
    for callbacks, message in [
        ([("x",)], "skorch callbacks or \\(name, callback\\) tuples"),
        (["progress_bar"], "got 'progress_bar'"),
        ([("early_stopping", EarlyStopping())], "'early_stopping' is taken by one of skae"),
    ]:
        model = SoftmaxClassifier(callbacks=callbacks, patience=2, validation_fraction=0.2)
        with pytest.raises(ValueError, match=message):
            model.fit(X, Y)
    named = SoftmaxClassifier(max_epochs=1, callbacks=[("early_stopping", EarlyStopping())])
    named.set_params(validation_fraction=0.2).fit(X, Y)  # no patience: the name is free
    with pytest.raises(ValueError, match="not to Adam"):
        SoftmaxClassifier(optimizer=torch.optim.Adam, momentum=0.9).fit(X, Y)


def test_a_failed_warm_fit_gives_back_the_training_settings():
    """Its batch size and precision stayed on the net: set back, the next warm fit used them."""
    model = SoftmaxClassifier(max_epochs=1, validation_fraction=0.2, random_state=0).fit(X, Y)
    model.set_params(warm_start=True, batch_size=7, precision="bfloat16")
    with pytest.raises(ValueError, match="validation"):
        model.fit(X[:1], Y[:1])
    model.set_params(batch_size=16, precision="float32").fit(X, Y)
    assert (model.net_.batch_size, model.net_.precision) == (16, "float32")


class InterruptAtStart(Callback):
    def on_train_begin(self, net, **kwargs):
        raise KeyboardInterrupt


def test_ctrl_c_before_training_leaves_the_old_model_whole():
    """Its new classes_ were kept over the old network: predictions renamed, silently."""
    model = SoftmaxClassifier(max_epochs=1, random_state=0).fit(X, Y)
    before = model.predict(X)
    with pytest.raises(KeyboardInterrupt):
        model.set_params(callbacks=[InterruptAtStart()]).fit(X, Y + 10)
    np.testing.assert_array_equal(model.classes_, [0, 1])
    np.testing.assert_array_equal(model.predict(X), before)
    fresh = SoftmaxClassifier(callbacks=[InterruptAtStart()])
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X, Y)
    assert not [key for key in vars(fresh) if key.endswith("_")]


def test_a_parameter_list_changed_in_place_is_a_change():
    sizes = [8]
    model = SoftmaxClassifier(hidden_units=sizes, max_epochs=1, warm_start=True, random_state=0)
    model.fit(X, Y)
    sizes.append(4)
    with pytest.raises(ValueError, match="warm_start cannot change hidden_units"):
        model.fit(X, Y)


def test_denoising_standardized_inputs_warns_that_the_noise_clips_them():
    from skae import InputRangeWarning

    standardized = (X - X.mean()) / X.std()
    with pytest.warns(InputRangeWarning, match="clips the noisy images"):
        ConvAETransformer(channels=(4, 2), noise="gaussian", max_epochs=1).fit(standardized)


@pytest.mark.parametrize("new", ["data", "validation split"])
def test_a_warm_fit_on_other_data_compares_its_epochs_with_the_start_on_its_own_split(new):
    """The starting weights' validation loss, measured on the old split, seeded early
    stopping: every epoch on the harder new data looked worse, and the model was set back
    to the starting weights without a word. Now the starting weights are measured again
    on the new split, and the best of them and the new epochs is kept."""
    model = SoftmaxClassifier(
        max_epochs=6, batch_size=16, lr=0.05, validation_fraction=0.25, patience=2,
        random_state=0,
    ).fit(X, Y)  # fmt: skip
    start = model.net_.history[-1].get("weights_epoch", model.n_epochs_)
    old_best = model.validation_loss_curve_[start - 1]
    X_new, fraction = (X, 0.5) if new == "validation split" else (RNG.random(X.shape, "f4"), 0.25)
    Y_new = RNG.permutation(Y) if new == "data" else Y  # labels noise cannot fit: higher loss
    weights, n_before = _weights(model), model.n_epochs_
    model.set_params(warm_start=True, max_epochs=3, validation_fraction=fraction, lr=1.0)
    new_losses = model.fit(X_new, Y_new).validation_loss_curve_[n_before:]
    assert min(new_losses) > old_best, "the set-up should make the new losses higher"
    start_loss = model.net_.start_valid_loss_  # the starting weights on the new split
    assert start_loss != pytest.approx(old_best)
    losses = [start_loss, *new_losses]
    kept = model.net_.history[-1].get("weights_epoch", model.n_epochs_)
    best = int(np.argmin(losses))
    assert kept == (start if best == 0 else n_before + best)
    if best == 0:
        _assert_same_weights(model, weights)


def test_a_numpy_validation_fraction_is_the_same_split():
    """``np.float64(0.25)`` rebuilt the split with another digest: the starting weights,
    better than every new epoch, were taken as measured elsewhere and thrown away."""
    model = SoftmaxClassifier(
        max_epochs=5, batch_size=16, lr=0.05, validation_fraction=0.25, patience=2,
        random_state=0,
    ).fit(X, Y)  # fmt: skip
    weights, n_before = _weights(model), model.n_epochs_
    model.set_params(
        warm_start=True, lr=50.0, max_epochs=3, validation_fraction=np.float64(0.25), patience=3
    ).fit(X, Y)
    assert model.net_.start_valid_loss_ is None  # the recorded loss was comparable
    assert model.net_.history[-1, "weights_epoch"] <= n_before
    _assert_same_weights(model, weights)


def test_ctrl_c_in_a_warm_fit_on_other_data_keeps_its_own_best_epoch():
    model = SoftmaxClassifier(
        max_epochs=4, batch_size=16, lr=0.05, validation_fraction=0.25, random_state=0
    ).fit(X, Y)
    X_new, Y_new = RNG.random(X.shape, "f4"), RNG.permutation(Y)
    model.set_params(warm_start=True, max_epochs=3, callbacks=[FailAt(7, KeyboardInterrupt)])
    with pytest.warns(UserWarning, match="keeps the weights of epoch [56] "):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X_new, Y_new)
    assert model.n_epochs_ in (5, 6)


def test_a_callback_setting_changed_deep_in_place_is_seen_by_a_warm_fit():
    """Only the callback's own attributes were copied: an item of its list changed in place
    compared equal, and the warm fit trained with the old schedule."""
    schedule = LRScheduler("MultiStepLR", milestones=[100], gamma=0.1)
    model = SoftmaxClassifier(max_epochs=1, lr=0.1, warm_start=True, callbacks=[schedule])
    model.fit(X, Y)
    schedule.kwargs["milestones"][0] = 1  # the rate drops after the first epoch
    model.fit(X, Y)
    assert learning_rates(model) == [pytest.approx(0.01)]


class WeightedCount(Callback):
    def __init__(self, weights):
        self.weights = weights
        self.epochs = 0

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


def test_an_equal_array_set_again_is_no_change():
    """Arrays compared with == raised, which counted as a change: the warm fit replaced the
    callbacks with fresh copies, losing their state (here, the epochs counted)."""
    counter = WeightedCount(np.array([0.5, 1.0, 2.0]))
    model = SoftmaxClassifier(max_epochs=1, warm_start=True, callbacks=[("count", counter)])
    model.fit(X, Y)
    counter.weights = np.array([0.5, 1.0, 2.0])  # another object, equal values
    model.fit(X, Y)
    assert dict(model.net_.callbacks_)["count"].epochs == 2
    counter.weights[0] = 0.0  # a real change: fresh copies
    model.fit(X, Y)
    assert dict(model.net_.callbacks_)["count"].epochs == 1


class TensorSetting(Callback):
    def __init__(self, weights):
        self.weights = weights


def test_tensor_and_set_settings_of_callbacks_are_compared_by_value():
    """An equal tensor set again crashed the warm fit (``==`` on tensors is ambiguous); one
    changed in place, or a set, compared equal (the record held the same object)."""
    for value, change in [
        (torch.tensor([1.0, 2.0]), lambda s: s.weights.__setitem__(0, 5.0)),
        ({1, 2}, lambda s: s.weights.add(3)),
    ]:
        setting = TensorSetting(value)
        model = SoftmaxClassifier(max_epochs=1, warm_start=True, callbacks=[("s", setting)])
        model.fit(X, Y)
        setting.weights = copy.copy(value)  # another object, equal values: no change
        model.fit(X, Y)
        assert dict(model.net_.callbacks_)["s"] is not setting
        kept = dict(model.net_.callbacks_)["s"]
        change(setting)
        model.fit(X, Y)
        assert dict(model.net_.callbacks_)["s"] is not kept  # fresh copies: a change


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("refit", ["other params", "same params, other weights"])
def test_a_pretrained_autoencoder_refit_in_place_is_refused_by_a_warm_fit(frozen, refit):
    """The warm fit compared the autoencoder by identity: refit, it still described the
    classifier's network (clone, get_params and skae.io read it). A random encoder
    (max_epochs=0, no seed) refit draws other weights with the same parameters."""
    from sklearn.frozen import FrozenEstimator

    ae = ConvAETransformer(channels=(4, 2), max_epochs=0).fit(X)
    clf = EncoderClassifier(FrozenEstimator(ae) if frozen else ae, max_epochs=1, random_state=0)
    clf.set_params(warm_start=True).fit(X, Y)
    clf.fit(X, Y)  # untouched: goes on
    clf.set_params(autoencoder=ae if frozen else FrozenEstimator(ae)).fit(X, Y)  # the same one
    ae.set_params(latent_dim=3).fit(X) if refit == "other params" else ae.fit(X)
    with pytest.raises(ValueError, match="autoencoder this EncoderClassifier trained from was"):
        clf.fit(X, Y)
    assert clf.n_epochs_ == 3
