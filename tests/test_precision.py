"""Mixed precision: autocast in training and inference, fp32 weights, warnings, cache keys."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

import skae._skorch
from skae import (
    CNNClassifier,
    ConvAETransformer,
    EncoderClassifier,
    SoftmaxClassifier,
    VAETransformer,
    _precision,
)
from skae._batched import fit_batched
from skae.studies import cache_key

RNG = np.random.default_rng(0)
X = RNG.random((120, 784), dtype=np.float32)
Y = (X[:, :392].mean(1) > X[:, 392:].mean(1)).astype(int)

ESTIMATORS = {
    "ConvAE": lambda **kw: ConvAETransformer(max_epochs=2, random_state=0, **kw),
    "dense AE": lambda **kw: ConvAETransformer(latent_dim=8, max_epochs=2, random_state=0, **kw),
    "VAE": lambda **kw: VAETransformer(latent_dim=4, max_epochs=2, random_state=0, **kw),
    "softmax": lambda **kw: SoftmaxClassifier(max_epochs=2, random_state=0, **kw),
    "CNN": lambda **kw: CNNClassifier(max_epochs=2, random_state=0, **kw),
    "encoder": lambda **kw: EncoderClassifier(max_epochs=2, random_state=0, **kw),
}


def _output(model):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.transform(X)


def _layer_dtypes(call):
    """dtypes of the outputs of every Linear / Conv layer while ``call`` runs."""
    seen, layers = set(), (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)

    def record(module, inputs, output):
        if isinstance(module, layers):
            seen.add(output.dtype)

    hook = torch.nn.modules.module.register_module_forward_hook(record)
    try:
        call()
    finally:
        hook.remove()
    return seen


@pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS.keys())
def test_bfloat16_computes_in_bfloat16_and_keeps_float32_weights(make):
    fp32 = make().fit(X, Y)
    model = make(precision="bfloat16")
    assert _layer_dtypes(lambda: _output(fp32)) == {torch.float32}
    assert _layer_dtypes(lambda: model.fit(X, Y)) == {torch.bfloat16}
    assert _layer_dtypes(lambda: _output(model)) == {torch.bfloat16}
    assert {p.dtype for p in model.net_.module_.parameters()} == {torch.float32}
    out, expected = _output(model), _output(fp32)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert not np.array_equal(out, expected)  # computed otherwise...
    np.testing.assert_allclose(out, expected, atol=0.1)  # ...to nearly the same values


def test_float16_trains_with_a_gradient_scaler(monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_amx_fp16_supported", lambda: False)
    _precision._warn_once.cache_clear()
    with pytest.warns(UserWarning, match="float16. on cpu: this CPU has no AMX-FP16"):
        model = SoftmaxClassifier(max_epochs=2, random_state=0, precision="float16").fit(X, Y)
    assert isinstance(model.net_.grad_scaler_, torch.amp.GradScaler)
    assert model.net_.grad_scaler_.get_scale() > 0
    fp32 = SoftmaxClassifier(max_epochs=2, random_state=0).fit(X, Y)
    np.testing.assert_allclose(model.loss_curve_, fp32.loss_curve_, rtol=0.02)
    assert getattr(fp32.net_, "grad_scaler_", None) is None
    model.set_params(warm_start=True, precision="float32").fit(X, Y)  # leaving float16
    assert model.net_.grad_scaler_ is None


def test_float16_says_when_overflows_skipped_the_steps(monkeypatch):
    """A scale far too high overflows every step of a short fit: no silent untrained model."""
    big = lambda precision, device: torch.amp.GradScaler("cpu", init_scale=2.0**60)  # noqa: E731
    monkeypatch.setattr(skae._skorch, "grad_scaler", big)
    model = SoftmaxClassifier(max_epochs=1, batch_size=10, precision="float16", random_state=0)
    with pytest.warns(UserWarning, match=r"12 of the 12 optimizer steps of epoch 1 were skipped"):
        model.fit(X, Y)
    untrained = SoftmaxClassifier(max_epochs=0, precision="float16", random_state=0).fit(X, Y)
    for a, b in zip(model.net_.module_.parameters(), untrained.net_.module_.parameters()):
        assert torch.equal(a, b)  # what the warning says: not one step was taken


def test_bfloat16_without_cpu_support_warns_once_with_its_cost(monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    _precision._warn_once.cache_clear()
    with pytest.warns(UserWarning, match="no bfloat16 instructions.*slower than float32"):
        SoftmaxClassifier(max_epochs=1, precision="bfloat16").fit(X, Y)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SoftmaxClassifier(max_epochs=1, precision="bfloat16").fit(X, Y)  # once only


def test_unknown_precision_is_refused():
    with pytest.raises(InvalidParameterError, match="precision"):
        SoftmaxClassifier(precision="half").fit(X, Y)


def test_precision_may_change_between_warm_fits():
    model = ConvAETransformer(max_epochs=1, random_state=0, warm_start=True).fit(X)
    model.set_params(precision="bfloat16").fit(X)
    assert model.net_.precision == "bfloat16" and model.n_epochs_ == 2
    assert _layer_dtypes(lambda: model.transform(X)) == {torch.bfloat16}


def test_pickles_made_before_precision_load_as_float32():
    model = SoftmaxClassifier(max_epochs=1, random_state=0).fit(X, Y)
    expected = model.predict_proba(X)
    del model.__dict__["precision"], model.net_.__dict__["precision"]
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.get_params()["precision"] == "float32"
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    loaded.set_params(warm_start=True).fit(X, Y)  # trains on, in float32
    assert clone(loaded).precision == "float32"


def test_cache_key_counts_precision_only_when_not_float32():
    old = ConvAETransformer(max_epochs=1)
    key = cache_key(old, {"n": 1})
    assert cache_key(ConvAETransformer(max_epochs=1, precision="float32"), {"n": 1}) == key
    assert cache_key(ConvAETransformer(max_epochs=1, precision="bfloat16"), {"n": 1}) != key


def test_batched_bfloat16_models_are_the_lone_bfloat16_fits():
    rows = [np.arange(60), np.arange(30, 120)]
    make = lambda seed: CNNClassifier(max_epochs=2, dropout=0.0, random_state=seed,  # noqa: E731
                                      precision="bfloat16")  # fmt: skip
    lone = [make(seed).fit(X[r], Y[r]) for seed, r in zip([0, 1], rows)]
    batched = fit_batched([make(0), make(1)], X, Y, rows)
    fp32 = fit_batched([clone(make(0)).set_params(precision="float32")], X, Y, rows[:1])[0]
    for a, b in zip(lone, batched):
        np.testing.assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-3)
        np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), atol=1e-2)
    assert not np.allclose(batched[0].loss_curve_, fp32.loss_curve_, rtol=1e-6, atol=0)
