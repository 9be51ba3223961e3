"""skae.io: every estimator and pipeline round-trips exactly; untrusted files are refused."""

import copy
import json
import os
import subprocess
import sys
import zipfile
from io import BytesIO
from unittest import mock

import joblib
import numpy as np
import pytest
import torch
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from skorch.callbacks import EarlyStopping
from skorch.exceptions import DeviceWarning

import skae.io
import skae.semi_supervised
from skae import (
    CNNClassifier,
    ConvAETransformer,
    EncoderClassifier,
    SoftmaxClassifier,
    VAETransformer,
)
from skae.semi_supervised import GraphClassifier, LadderClassifier, PseudoLabelClassifier

skops_io = pytest.importorskip("skops.io")
try:
    import graphlearning  # noqa: F401

    HAS_GRAPH = True
except ImportError:
    HAS_GRAPH = False
needs_graph = pytest.mark.skipif(not HAS_GRAPH, reason='needs pip install "skae[graph]"')

SHAPE = (1, 8, 8)
METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _ae(**params):
    params = {"image_shape": SHAPE, "max_epochs": 1, "random_state": 0, **params}
    return ConvAETransformer(**params)


def _frozen_ae():
    return FrozenEstimator(_ae().fit(_digits()[0]))


# name: (unfitted model, how it fits: "X" without labels, "y" labels, "semi" -1 = unlabeled)
MODELS = {
    "conv_ae": (lambda: _ae(), "X"),
    "sparse_denoising_ae": (lambda: _ae(sparsity=1e-3, noise="gaussian"), "X"),
    "random_encoder": (lambda: _ae(max_epochs=0), "X"),
    "dense_latent_ae": (lambda: _ae(latent_dim=5, channels=(2, 4, 4), dropout=0.1), "X"),
    "vae": (
        lambda: VAETransformer(
            image_shape=SHAPE, latent_dim=3, channels=(2, 4, 4), max_epochs=1, random_state=0
        ),
        "X",
    ),
    "softmax": (lambda: SoftmaxClassifier(max_epochs=2, random_state=0), "y"),
    "softmax_bfloat16": (
        lambda: SoftmaxClassifier(precision="bfloat16", max_epochs=2, random_state=0),
        "y",
    ),
    "mlp_sgd_momentum": (
        lambda: SoftmaxClassifier(
            hidden_units=(8,), optimizer="sgd", momentum=0.9, lr=0.01, max_epochs=2, random_state=0
        ),
        "y",
    ),
    "cnn": (
        lambda: CNNClassifier(image_shape=SHAPE, channels=(2, 2), max_epochs=1, random_state=0),
        "y",
    ),
    "encoder_classifier_pretrained": (
        lambda: EncoderClassifier(
            _frozen_ae(), freeze_epochs=1, encoder_lr=1e-4, max_epochs=2, random_state=0
        ),
        "y",
    ),
    "encoder_classifier_from_scratch": (
        lambda: EncoderClassifier(_ae(), hidden_units=(4,), max_epochs=1, random_state=0),
        "y",
    ),
    "graph": (lambda: GraphClassifier(n_neighbors=5), "semi"),
    "graph_on_8_features": (  # fewer than 16: NearestNeighbors' "auto" was a KD-tree
        lambda: make_pipeline(PCA(8), GraphClassifier(n_neighbors=5)),
        "semi",
    ),
    "pseudo_label_cnn": (
        lambda: PseudoLabelClassifier(
            GraphClassifier(n_neighbors=5),
            CNNClassifier(image_shape=SHAPE, channels=(2, 2), max_epochs=1, random_state=0),
        ),
        "semi",
    ),
    "ladder": (
        lambda: LadderClassifier(
            hidden_units=(8, 4), image_shape=SHAPE, max_epochs=2, batch_size=16, random_state=0
        ),
        "semi",
    ),
    "pipe_logistic": (
        lambda: make_pipeline(_frozen_ae(), StandardScaler(), LogisticRegression(max_iter=50)),
        "y",
    ),
    "pipe_svc": (lambda: make_pipeline(_frozen_ae(), SVC()), "y"),
    "pipe_softmax": (
        lambda: make_pipeline(
            _frozen_ae(), StandardScaler(), SoftmaxClassifier(max_epochs=2, random_state=0)
        ),
        "y",
    ),
    "pipe_graph": (lambda: make_pipeline(_frozen_ae(), GraphClassifier(n_neighbors=5)), "semi"),
}
GRAPH_MODELS = {"graph", "graph_on_8_features", "pseudo_label_cnn", "pipe_graph"}
MODEL_NAMES = [
    pytest.param(name, marks=needs_graph) if name in GRAPH_MODELS else name for name in MODELS
]


def _digits():
    X, y = load_digits(return_X_y=True)
    return (X[:60] / 16).astype(np.float32), y[:60] % 3


def _fit(name, model=None):
    make, how = MODELS[name]
    model = make() if model is None else model
    X, y = _digits()
    if how == "X":
        return model.fit(X)
    if how == "semi":
        y = np.where(np.arange(len(y)) % 4 == 0, y, -1)
    return model.fit(X, y)


@pytest.fixture(scope="module")
def fitted():
    """Each model fitted once, on first use."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = _fit(name)
        return cache[name]

    return get


def _outputs(model, X):
    return {m: getattr(model, m)(X) for m in METHODS if hasattr(model, m)}


def _full_repr(model):
    with config_context(print_changed_only=False):
        return model.__repr__(N_CHAR_MAX=10**6)


def _assert_same(a, b, where="model"):
    """``a`` is ``b`` rebuilt: same types, parameters, fitted attributes and nets."""
    assert type(a) is type(b), where
    if isinstance(b, BaseEstimator):
        assert vars(a).keys() == vars(b).keys(), where
        for key, value in vars(b).items():
            check = _assert_same_net if key == "net_" else _assert_same
            check(vars(a)[key], value, f"{where}.{key}")
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{k}]")
    elif isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in b:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(b, np.ndarray):
        assert a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(b, (bool, int, float, str, np.generic, type(None))):
        assert a == b or (a != a and b != b), where  # NaN equals NaN here
    # other objects (a NearestNeighbors' KDTree): the outputs compared elsewhere check them


def _assert_same_net(a, b, where):
    assert list(a.history) == list(b.history), where
    for name in ("module_", "optimizer_", "criterion_"):
        torch.testing.assert_close(
            getattr(a, name).state_dict(), getattr(b, name).state_dict(), rtol=0, atol=0
        )


@pytest.mark.parametrize("is_fitted", [False, True], ids=["unfitted", "fitted"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_round_trip(name, is_fitted, fitted, tmp_path):
    model = fitted(name) if is_fitted else MODELS[name][0]()
    before = _full_repr(model)
    skae.io.dump(model, tmp_path / "model.skae")
    loaded = skae.io.load(tmp_path / "model.skae")
    assert _full_repr(model) == before  # dump leaves the model alone
    assert _full_repr(loaded) == before
    assert loaded.get_params().keys() == model.get_params().keys()
    _assert_same(loaded, model)
    X = _digits()[0]
    expected = _outputs(model, X) if is_fitted else {}
    for method, value in expected.items():
        np.testing.assert_array_equal(getattr(loaded, method)(X), value, err_msg=method)


def test_every_public_estimator_has_a_round_trip_case():
    public = {
        cls
        for module in (skae, skae.semi_supervised)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, BaseEstimator)
        and cls.__module__.startswith("skae.")
    }  # fmt: skip
    assert {_type_name(cls) for cls in public} <= set(skae.io.TRUSTED_TYPES)
    covered = set()
    for make, _ in MODELS.values():
        model = make()
        covered |= {type(model), *(type(step) for step in getattr(model, "steps", []))}
        covered |= {type(getattr(model, key, None)) for key in ("labeler", "classifier")}
    missing = sorted(cls.__name__ for cls in public - covered)
    assert not missing, f"add a round-trip case to MODELS in tests/test_io.py for {missing}"


def test_fresh_process_loads_every_model_without_importing_skops_early(fitted, tmp_path):
    names = [n for n in MODELS if HAS_GRAPH or n not in GRAPH_MODELS]
    X = _digits()[0]
    np.save(tmp_path / "X.npy", X)
    for name in names:
        skae.io.dump(fitted(name), tmp_path / f"{name}.skae")
    script = f"""
import sys, numpy as np
import skae, skae.io
assert "skops" not in sys.modules, "import skae.io imported skops"
d = sys.argv[1]
X = np.load(d + "/X.npy")
for name in {names!r}:
    model = skae.io.load(d + "/" + name + ".skae")
    out = {{m: getattr(model, m)(X) for m in {METHODS!r} if hasattr(model, m)}}
    np.savez(d + "/" + name + ".npz", **out)
    open(d + "/" + name + ".repr", "w").write(repr(model))
"""
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    for name in names:
        model = fitted(name)
        got = np.load(tmp_path / f"{name}.npz")
        expected = _outputs(model, X)
        assert sorted(got.files) == sorted(expected), name
        for method, value in expected.items():
            np.testing.assert_array_equal(got[method], value, err_msg=f"{name}.{method}")
        assert (tmp_path / f"{name}.repr").read_text() == repr(model)


def test_shared_autoencoder_stays_shared(tmp_path):
    X, y = _digits()
    frozen = _frozen_ae()
    clf = EncoderClassifier(frozen, max_epochs=1, random_state=0).fit(X, y)
    skae.io.dump([make_pipeline(frozen, StandardScaler()), clf], tmp_path / "two.skae")
    with zipfile.ZipFile(tmp_path / "two.skae") as archive:
        assert json.loads(archive.read("skae.json"))["nets"] == 2  # the autoencoder's once
    pipe, loaded = skae.io.load(tmp_path / "two.skae")
    assert pipe[0] is loaded.autoencoder
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.filterwarnings("ignore:precision='float16' on cpu")
def test_training_goes_on_as_if_never_saved(tmp_path):
    # optimizer state (momentum, Adam moments), float16's loss scale and history (the seed
    # offset, the frozen encoder's schedule) are saved, so more epochs give the same weights
    X, y = _digits()
    models = [
        SoftmaxClassifier(
            hidden_units=(8,), optimizer="sgd", momentum=0.9, lr=0.05, max_epochs=1, random_state=0
        ),
        EncoderClassifier(_frozen_ae(), freeze_epochs=1, max_epochs=1, random_state=0),
        SoftmaxClassifier(precision="float16", max_epochs=1, random_state=0),  # loss scale
    ]
    for model in models:
        model.fit(X, y)
        skae.io.dump(model, tmp_path / "model.skae")
        loaded = skae.io.load(tmp_path / "model.skae")
        for clf in (model, loaded):
            clf.set_params(warm_start=True).fit(X, y)
        assert loaded.loss_curve_ == model.loss_curve_
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
@pytest.mark.parametrize(("device", "tag"), [("cuda", "cuda:0"), ("cuda:3", "cuda:3"),
                                             ("mps", "mps"), ("xpu", "xpu:0")])  # fmt: skip
def test_gpu_trained_model_loads_on_cpu_only_machine(tmp_path, device, tag):
    # Make the file look GPU-trained: the device and every tensor tagged with it, as
    # torch.save writes them from a GPU. Loading maps them to the CPU (once only for CUDA).
    X, y = _digits()
    model = make_pipeline(_frozen_ae(), SoftmaxClassifier(max_epochs=1, random_state=0)).fit(X, y)
    expected = model.predict_proba(X)
    for estimator in (model[0].estimator, model[-1]):
        estimator.set_params(device=device)
        estimator._trained_params["device"] = device
        estimator.net_.device = device
    cpu_tag = torch.serialization.location_tag

    def gpu_tag(obj):
        return tag if cpu_tag(obj) == "cpu" else cpu_tag(obj)

    with mock.patch.object(torch.serialization, "location_tag", gpu_tag):
        skae.io.dump(model, tmp_path / "gpu.skae")
    with zipfile.ZipFile(tmp_path / "gpu.skae") as archive:
        assert tag.encode() in archive.read("nets/0.pt")
    with pytest.warns(DeviceWarning, match=f"device='{device}'.*loaded on the CPU"):
        loaded = skae.io.load(tmp_path / "gpu.skae")
    head = loaded[-1]
    assert head.device == device and str(head.net_.device) == "cpu"
    assert next(head.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


EVIL_MODULE = """
import pathlib
MARKER = pathlib.Path(__file__).with_name("ran.txt")
MARKER.write_text("module imported")


class Evil:
    def __init__(self, path=None):
        MARKER.write_text("__init__ ran")

    def __reduce__(self):  # skops would rebuild it as Evil(path)
        return (Evil, (str(MARKER),))


class EvilState:
    def __setstate__(self, state):  # skops would call it to restore the object
        MARKER.write_text("__setstate__ ran")
"""


def test_untrusted_types_are_refused_and_nothing_runs(tmp_path, monkeypatch):
    (tmp_path / "evil_skae_io.py").write_text(EVIL_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import evil_skae_io

    model = SoftmaxClassifier(callbacks=[evil_skae_io.Evil(), evil_skae_io.EvilState()])
    with pytest.warns(UserWarning, match="evil_skae_io.Evil, evil_skae_io.EvilState"):
        skae.io.dump(model, tmp_path / "evil.skae")
    marker = tmp_path / "ran.txt"
    marker.unlink()
    monkeypatch.delitem(sys.modules, "evil_skae_io")
    with pytest.raises(skae.io.UntrustedTypesError) as error:
        skae.io.load(tmp_path / "evil.skae")
    assert error.value.types == ["evil_skae_io.Evil", "evil_skae_io.EvilState"]
    assert "skae does not trust: evil_skae_io.Evil, evil_skae_io.EvilState" in str(error.value)
    assert "Nothing from the file was run" in str(error.value)
    assert not marker.exists() and "evil_skae_io" not in sys.modules


def _rewrite_schema(path, edit):
    """Rewrite the skops schema inside a skae file with ``edit(schema)``, as an attacker could."""
    with zipfile.ZipFile(path) as outer:
        members = {name: outer.read(name) for name in outer.namelist()}
    with zipfile.ZipFile(BytesIO(members["estimator.skops"])) as inner:
        inner_members = {name: inner.read(name) for name in inner.namelist()}
    schema = json.loads(inner_members["schema.json"])
    edit(schema)
    inner_members["schema.json"] = json.dumps(schema).encode()
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        for name, data in inner_members.items():
            inner.writestr(name, data)
    members["estimator.skops"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as outer:
        for name, data in members.items():
            outer.writestr(name, data)


def test_crafted_file_naming_os_system_is_refused(fitted, tmp_path):
    path = tmp_path / "crafted.skae"
    skae.io.dump(fitted("softmax"), path)
    _rewrite_schema(path, lambda schema: schema.update(__module__="os", __class__="system"))
    with mock.patch("os.system") as system, pytest.raises(skae.io.UntrustedTypesError) as error:
        skae.io.load(path)
    assert error.value.types == ["os.system"] and "os.system" in str(error.value)
    system.assert_not_called()


def test_types_the_user_trusts_load(tmp_path):
    model = SoftmaxClassifier(callbacks=[EarlyStopping(patience=3)], validation_fraction=0.2)
    with pytest.warns(UserWarning, match="skorch.callbacks.training.EarlyStopping"):
        skae.io.dump(model, tmp_path / "model.skae")
    with pytest.raises(skae.io.UntrustedTypesError, match="EarlyStopping"):
        skae.io.load(tmp_path / "model.skae")
    loaded = skae.io.load(tmp_path / "model.skae", trusted=[EarlyStopping, "builtins.print"])
    assert loaded.callbacks[0].patience == 3


def test_files_that_are_not_skae_files(fitted, tmp_path):
    with pytest.raises(FileNotFoundError):
        skae.io.load(tmp_path / "missing.skae")
    joblib.dump(fitted("softmax"), tmp_path / "model.joblib")
    with pytest.raises(ValueError, match="not a model file written by skae.io.dump: not a zip"):
        skae.io.load(tmp_path / "model.joblib")
    skops_io.dump(SVC(), tmp_path / "model.skops")
    with pytest.raises(ValueError, match="a skops file\\? Load it with skops.io.load"):
        skae.io.load(tmp_path / "model.skops")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("skae.json", "{not json")
        archive.writestr("estimator.skops", b"")
    with pytest.raises(ValueError, match="damaged"):
        skae.io.load(tmp_path / "other.zip")
    skae.io.dump(SVC(), tmp_path / "model.skae")
    with zipfile.ZipFile(tmp_path / "model.skae", "a") as archive, pytest.warns(UserWarning):
        archive.writestr("estimator.skops", b"not a zip")  # a second member of that name
    with pytest.raises(ValueError, match="estimator.skops is damaged"):
        skae.io.load(tmp_path / "model.skae")


def _rewrite(path, **members):
    with zipfile.ZipFile(path) as archive:
        kept = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in {**kept, **members}.items():
            archive.writestr(name, data)


def test_damaged_files_are_a_value_error_saying_so(fitted, tmp_path):
    """Each once surfaced as a raw BadZipFile, JSONDecodeError, TypeError or torch error."""
    path, other = tmp_path / "model.skae", tmp_path / "other.skae"
    skae.io.dump(fitted("cnn"), other)
    with zipfile.ZipFile(other) as archive:
        foreign = archive.read("estimator.skops")
    for damage, message in [
        ({"nets/0.json": b"{not json"}, "nets are damaged"),
        ({"nets/0.json": b"5"}, "nets are damaged"),
        ({"estimator.skops": foreign}, "not this model's"),  # another model's weights
    ]:
        skae.io.dump(fitted("softmax"), path)
        _rewrite(path, **damage)
        with pytest.raises(ValueError, match=message):
            skae.io.load(path)
    skae.io.dump(fitted("softmax"), path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("estimator.skops")
    data[info.header_offset + len(info.FileHeader()) + 5] ^= 0xFF  # a flipped byte
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="estimator.skops is damaged"):
        skae.io.load(path)
    path.write_bytes(other.read_bytes()[:-1])  # cut short
    with pytest.raises(ValueError, match="one cut short"):
        skae.io.load(path)


def test_weights_of_other_shapes_are_refused_before_the_net_is_built(fitted, tmp_path):
    """An edited size once allocated the net it asked for (229 MB for 30 000 000 features)
    before the weights were found not to fit."""
    path, other = tmp_path / "model.skae", tmp_path / "other.skae"
    skae.io.dump(fitted("cnn"), other)
    skae.io.dump(fitted("softmax"), path)
    with zipfile.ZipFile(other) as archive:
        _rewrite(path, **{"estimator.skops": archive.read("estimator.skops")})
    with (
        mock.patch.object(CNNClassifier, "_initialize_net") as initialize,
        pytest.raises(ValueError, match=r"weights do not fit the SmallCNN .*\(first mismatch"),
    ):
        skae.io.load(path)
    initialize.assert_not_called()


def test_an_edited_encoder_size_is_refused_before_any_net_is_built(fitted, tmp_path):
    """An EncoderClassifier with an unfitted autoencoder once fitted a throwaway autoencoder of
    the file's sizes first: an edited channels=(4096, 4096) peaked at 2.5 GB before the error."""
    path = tmp_path / "model.skae"
    model = fitted("encoder_classifier_from_scratch")
    skae.io.dump(model, path)
    edited = copy.deepcopy(model)
    edited.autoencoder.set_params(channels=(64, 32))
    edited._trained_params["autoencoder"] = edited.autoencoder
    skae.io.dump(edited, tmp_path / "edited.skae")
    with zipfile.ZipFile(tmp_path / "edited.skae") as archive:
        _rewrite(path, **{"estimator.skops": archive.read("estimator.skops")})
    with (
        mock.patch.object(ConvAETransformer, "_initialize_net") as ae_initialize,
        mock.patch.object(EncoderClassifier, "_initialize_net") as initialize,
        pytest.raises(ValueError, match=r"weights do not fit the EncoderHead .*first mismatch"),
    ):
        skae.io.load(path)
    ae_initialize.assert_not_called()
    initialize.assert_not_called()


def test_another_optimizers_state_is_refused(tmp_path):
    """An SGD model given Adam's state loaded, then failed its next warm fit (KeyError)."""
    X, y = _digits()
    sgd, adam = tmp_path / "sgd.skae", tmp_path / "adam.skae"
    skae.io.dump(SoftmaxClassifier(optimizer="sgd", max_epochs=1).fit(X, y), sgd)
    skae.io.dump(SoftmaxClassifier(max_epochs=1).fit(X, y), adam)
    with zipfile.ZipFile(adam) as archive:
        _rewrite(sgd, **{"nets/0.pt": archive.read("nets/0.pt")})
    with pytest.raises(ValueError, match="optimizer state is not a SGD's"):
        skae.io.load(sgd)


def test_a_file_of_other_versions_loads_with_a_warning(fitted, tmp_path):
    path = tmp_path / "model.skae"
    skae.io.dump(fitted("softmax"), path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("skae.json"))
    manifest["versions"] |= {"skae": "9.9", "torch": "1.0"}
    _rewrite(path, **{"skae.json": json.dumps(manifest)})
    with pytest.warns(UserWarning, match=r"written with skae 9\.9, torch 1\.0; this machine"):
        loaded = skae.io.load(path)
    X = _digits()[0]
    np.testing.assert_array_equal(loaded.predict(X), fitted("softmax").predict(X))


def test_newer_format_and_missing_net_are_clear_errors(fitted, tmp_path):
    path = tmp_path / "model.skae"
    for manifest_change, message in [
        ({"format_version": 2}, "upgrade skae"),
        ({"nets": 0}, "missing net 0"),
    ]:
        skae.io.dump(fitted("softmax"), path)
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        members["skae.json"] = json.dumps({**json.loads(members["skae.json"]), **manifest_change})
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        with pytest.raises(ValueError, match=message):
            skae.io.load(path)


def test_file_objects_and_joblib_of_a_loaded_model(fitted):
    buffer = BytesIO()
    skae.io.dump(fitted("cnn"), buffer)
    buffer.seek(0)
    loaded = joblib.load(BytesIO(_joblib_bytes(skae.io.load(buffer))))
    X = _digits()[0]
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted("cnn").predict_proba(X))


def _joblib_bytes(model):
    buffer = BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def test_missing_skops_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match='pip install "skae\\[io\\]"'):
        skae.io.dump(SoftmaxClassifier(), tmp_path / "model.skae")


class _Evil:
    def __reduce__(self):
        return (os.system, ("true",))


def test_a_weights_file_holding_code_is_refused_naming_it(tmp_path):
    path = tmp_path / "model.skae"
    skae.io.dump(SoftmaxClassifier(max_epochs=1, random_state=0).fit(*_digits()), path)
    forged = tmp_path / "forged.skae"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(forged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "nets/0.pt":
                buffer = BytesIO()
                torch.save({"module": _Evil(), "optimizer": {}, "criterion": {}}, buffer)
                data = buffer.getvalue()
            dst.writestr(item, data)
    with pytest.raises(
        skae.io.UntrustedTypesError, match=r"names \S*system, not a tensor; nothing from it was run"
    ):
        skae.io.load(forged)


def test_misused_arguments_are_clear_errors(tmp_path):
    path = tmp_path / "model.skae"
    skae.io.dump(SoftmaxClassifier(), path)
    with pytest.raises(TypeError, match="trusted must be None or a list"):
        skae.io.load(path, trusted=True)
    with pytest.raises(TypeError, match=r"not the file's bytes: load\(io.BytesIO"):
        skae.io.load(path.read_bytes())


def test_a_warm_fit_that_left_float16_saves_and_loads(tmp_path):
    X, y = _digits()
    model = SoftmaxClassifier(max_epochs=1, random_state=0, warm_start=True, precision="float16")
    model.fit(X, y).set_params(precision="float32").fit(X, y)
    skae.io.dump(model, tmp_path / "m.skae")
    loaded = skae.io.load(tmp_path / "m.skae")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def _as_numpy_scalars(model):
    """Every int and float parameter as a NumPy scalar, as searches hand them out."""
    params = model.get_params(deep=False).items()
    return model.set_params(**{
        k: np.int64(v) if type(v) is int else np.float64(v) if type(v) is float else v
        for k, v in params
    })  # fmt: skip


@pytest.mark.parametrize("name", [n for n in MODELS if n not in GRAPH_MODELS])
def test_numpy_scalar_parameters_train_and_save_as_python_ones(name, fitted, tmp_path):
    """``np.int64`` batch sizes broke torch's batching (NaN scores in searches) and
    ``np.float64`` learning rates, in the optimizer's state, broke the safe file."""
    model = MODELS[name][0]()
    if not hasattr(model, "steps"):
        model = _fit(name, _as_numpy_scalars(model))
        skae.io.dump(model, tmp_path / "model.skae")
        loaded = skae.io.load(tmp_path / "model.skae")
        X = _digits()[0]
        for method, value in _outputs(fitted(name), X).items():
            np.testing.assert_array_equal(getattr(model, method)(X), value, err_msg=method)
            np.testing.assert_array_equal(getattr(loaded, method)(X), value, err_msg=method)


def test_meta_estimators_keep_their_nets_out_of_the_skops_file(fitted, tmp_path):
    """A search's scorer_, a VotingClassifier's Bunch and a calibrator's list left their
    skorch nets to skops (trust builtins.print, skorch's net...) or crashed it (Bunch)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import VotingClassifier
    from sklearn.model_selection import GridSearchCV

    X, y = _digits()
    encoder = EncoderClassifier(_ae().fit(X), max_epochs=1, random_state=0)
    softmax = SoftmaxClassifier(max_epochs=1, random_state=0)
    for model in (
        GridSearchCV(softmax, {"lr": [1e-3, 1e-2]}, cv=2),
        VotingClassifier([("softmax", softmax), ("encoder", encoder)], voting="soft"),
        CalibratedClassifierCV(softmax, cv=2),
    ):
        model.fit(X, y)
        with pytest.warns(UserWarning, match="does not trust by default") as record:
            skae.io.dump(model, tmp_path / "meta.skae")
        with pytest.raises(skae.io.UntrustedTypesError) as refused:
            skae.io.load(tmp_path / "meta.skae")
        assert all(name.startswith("sklearn.") for name in refused.value.types), record
        loaded = skae.io.load(tmp_path / "meta.skae", trusted=refused.value.types)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
