"""EncoderClassifier: a pretrained encoder fine-tuned with a head, and its from-scratch twin."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import ConvAETransformer, EncoderClassifier, VAETransformer


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y, X_test, y_test = mnist_small
    return X[:200], y[:200], X_test, y_test


def weights(module):
    return {name: w.detach().clone() for name, w in module.state_dict().items()}


def same(a, b):
    return all(torch.equal(a[name], b[name]) for name in a)


def test_the_autoencoder_passed_in_is_never_modified(fitted_ae, data):
    before = weights(fitted_ae.net_.module_)
    clf = EncoderClassifier(fitted_ae, max_epochs=2, random_state=0).fit(*data[:2])
    assert same(before, weights(fitted_ae.net_.module_))
    assert not same(before, weights(clf.net_.module_.encoder))  # fine-tuned: a copy moved


@pytest.mark.parametrize("freeze_epochs, frozen_after", [(3, True), (1, False), (0, False)])
def test_encoder_frozen_for_freeze_epochs_then_fine_tuned(
    fitted_ae, data, freeze_epochs, frozen_after
):
    clf = EncoderClassifier(fitted_ae, freeze_epochs=freeze_epochs, max_epochs=3, random_state=0)
    clf.fit(*data[:2])
    assert same(weights(fitted_ae.net_.module_), weights(clf.net_.module_.encoder)) == frozen_after
    assert clf.n_epochs_ == 3


def test_decoder_never_changes(fitted_ae, data):
    clf = EncoderClassifier(fitted_ae, max_epochs=2, random_state=0).fit(*data[:2])
    decoder = {k: w for k, w in weights(clf.net_.module_.encoder).items() if "decoder" in k}
    assert decoder and same(decoder, weights(fitted_ae.net_.module_))


def test_encoder_learning_rate_is_its_own(fitted_ae, data):
    clf = EncoderClassifier(fitted_ae, encoder_lr=1e-5, lr=1e-2, max_epochs=1).fit(*data[:2])
    assert [group["lr"] for group in clf.net_.optimizer_.param_groups] == [1e-5, 1e-2]


def test_pretrained_start_beats_the_same_network_from_scratch(fitted_ae, data):
    """Frozen pretrained codes + head vs the same architecture trained from scratch."""
    X, y, X_test, y_test = data
    kwargs = dict(freeze_epochs=100, max_epochs=10, lr=1e-2, random_state=0)
    pretrained = EncoderClassifier(fitted_ae, **kwargs).fit(X, y)
    scratch = EncoderClassifier(None, **kwargs).fit(X, y)  # random frozen encoder
    assert pretrained.score(X_test, y_test) > scratch.score(X_test, y_test) + 0.05


def test_clone_keeps_the_pretrained_encoder(fitted_ae, data):
    """Inside a search every fit starts from the pretrained encoder, not a cloned, unfitted one."""
    kwargs = dict(freeze_epochs=5, max_epochs=5, lr=1e-2, random_state=0)
    clf = EncoderClassifier(fitted_ae, **kwargs)
    assert clone(clf).autoencoder is fitted_ae
    scores = cross_val_score(clf, *data[:2], cv=2)
    wrapped = EncoderClassifier(FrozenEstimator(fitted_ae), **kwargs)
    np.testing.assert_allclose(cross_val_score(wrapped, *data[:2], cv=2), scores)
    unfitted = cross_val_score(EncoderClassifier(clone(fitted_ae), **kwargs), *data[:2], cv=2)
    assert scores.mean() > unfitted.mean() + 0.05


def test_a_search_never_changes_the_users_autoencoder(fitted_ae):
    """Clones share a pretrained autoencoder: set_params(autoencoder__lr=...) once changed
    the user's object (its lr no longer the one it trained with) and every candidate scored
    the same, since a pretrained autoencoder's parameters change nothing."""
    before = fitted_ae.get_params()
    for autoencoder in (fitted_ae, FrozenEstimator(fitted_ae)):
        clf = EncoderClassifier(autoencoder)
        with pytest.raises(ValueError, match="autoencoder__lr: the autoencoder is pretrained"):
            clone(clf).set_params(autoencoder__lr=0.1)
    assert fitted_ae.get_params() == before
    architecture = ConvAETransformer(channels=(4, 4))  # unfitted: parameters, cloned
    clf = EncoderClassifier(architecture)
    copy = clone(clf).set_params(autoencoder__channels=(2, 2), autoencoder__lr=0.1)
    assert architecture.channels == (4, 4) and copy.autoencoder.channels == (2, 2)


def test_images_the_default_architecture_does_not_take_say_how_to_give_it(data):
    with pytest.raises(ValueError, match=r"e\.g\. EncoderClassifier\(ConvAETransformer\(image_"):
        EncoderClassifier(max_epochs=1).fit(np.zeros((4, 64), np.float32), [0, 1, 0, 1])


def test_from_scratch_uses_the_given_architecture(data):
    vae = VAETransformer(latent_dim=5, channels=(4, 4, 4))
    clf = EncoderClassifier(vae, max_epochs=1, random_state=0).fit(*data[:2])
    assert clf.net_.module_.head.layers[0].in_features == 5
    assert not hasattr(vae, "net_")  # the parameter stays unfitted
    default = EncoderClassifier(max_epochs=1, random_state=0).fit(*data[:2])
    assert default.net_.module_.head.layers[0].in_features == 196


def test_images_of_another_size_than_the_autoencoder_saw(fitted_ae):
    with pytest.raises(ValueError, match="fitted on images of 784"):
        EncoderClassifier(fitted_ae, max_epochs=1).fit(np.zeros((4, 100), np.float32), [0, 1] * 2)


def test_reproducible_and_picklable(fitted_ae, data):
    a, b = (EncoderClassifier(fitted_ae, max_epochs=2, random_state=3).fit(*data[:2]) for _ in "ab")
    assert same(weights(a.net_.module_), weights(b.net_.module_))
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(loaded.predict_proba(data[2][:20]), a.predict_proba(data[2][:20]))


def test_choose_the_pretrained_encoder_by_downstream_accuracy(fitted_ae, data):
    """The user guide's recipe: GridSearchCV over frozen candidate encoders, few labels."""
    X, y = data[:2]
    untrained = ConvAETransformer(max_epochs=0, random_state=0).fit(X)
    candidates = [FrozenEstimator(untrained), FrozenEstimator(fitted_ae)]
    pipe = Pipeline([("encoder", candidates[0]), ("scale", StandardScaler()), ("svc", SVC())])
    search = GridSearchCV(pipe, {"encoder": candidates}, cv=StratifiedKFold(3)).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 2 and search.best_params_["encoder"] is candidates[int(scores.argmax())]
    assert search.best_estimator_.named_steps["encoder"].estimator in (untrained, fitted_ae)


def test_a_search_over_frozen_pretrained_autoencoders_starts_from_each(data):
    """The documented search: bare fitted autoencoders would be cloned unfitted by the
    search, and every candidate trained from scratch."""
    X, y = data[0][:60], data[1][:60]
    pretrained = [
        ConvAETransformer(channels=(4, 2), max_epochs=1, random_state=seed).fit(X)
        for seed in (0, 1)
    ]
    started = []
    original = EncoderClassifier._module_params

    def record(self, *args):
        started.append(self._pretrained())
        return original(self, *args)

    search = GridSearchCV(
        EncoderClassifier(max_epochs=1, random_state=0),
        {"autoencoder": [FrozenEstimator(ae) for ae in pretrained]},
        cv=2,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EncoderClassifier, "_module_params", record)
        search.fit(X, y)
    assert len(started) == 5 and all(ae is not None for ae in started)
    assert {id(ae) for ae in started} == {id(ae) for ae in pretrained}


def test_a_frozen_estimator_must_hold_a_pretrained_autoencoder(data):
    from sklearn.decomposition import PCA

    X, y = data[0][:20], data[1][:20]
    for frozen, message in [
        (FrozenEstimator(PCA(2).fit(X)), r"FrozenEstimator\(PCA\(\.\.\.\)\)"),
        (FrozenEstimator(ConvAETransformer()), "unfitted autoencoder: pretrain it first"),
    ]:
        with pytest.raises(ValueError, match=message):
            EncoderClassifier(frozen, max_epochs=1).fit(X, y)


@pytest.mark.parametrize(
    "change",
    [
        lambda model: model.set_params(autoencoder__latent_dim=9),
        lambda model: model.autoencoder.set_params(channels=(4, 4, 4)),
    ],
    ids=["nested set_params", "the autoencoder's own set_params"],
)
def test_changes_to_an_unfitted_autoencoder_after_fit_are_seen(change, data, tmp_path):
    """Trained with the autoencoder object itself as the record: a change in place compared
    equal, so a warm fit went on with the old network and skae.io wrote a file that did not
    load ("nets are damaged")."""
    import skae.io

    X, y = data[:2]
    model = EncoderClassifier(ConvAETransformer(latent_dim=5), max_epochs=1, random_state=0)
    proba = model.fit(X, y).predict_proba(X)
    change(model)
    skae.io.dump(model, tmp_path / "model.skae")  # describes the trained network
    np.testing.assert_allclose(skae.io.load(tmp_path / "model.skae").predict_proba(X), proba)
    with pytest.raises(ValueError, match="warm_start cannot change autoencoder"):
        model.set_params(warm_start=True).fit(X, y)
    assert model.autoencoder.latent_dim == 5  # set back, as trained
    assert model.set_params(warm_start=True).fit(X, y).n_epochs_ == 2  # unchanged: goes on
