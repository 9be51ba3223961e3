"""Callbacks, optimizer settings, continued training and per-sample scores."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback, LRScheduler

from skae import CNNClassifier, ConvAETransformer, SoftmaxClassifier, VAETransformer

RNG = np.random.default_rng(0)
X = RNG.random((120, 784), dtype=np.float32)
Y = (X[:, :392].mean(1) > 0.5).astype(int)


class CountEpochs(Callback):
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


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
