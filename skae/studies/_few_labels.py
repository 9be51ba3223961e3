"""The few-label study: does pretraining on unlabeled images help when labels are few?

For each data set, the training images are the unlabeled pool; the autoencoders pretrain on
it without labels. Each cell draws ``n_labels`` class-balanced labels from the pool (seeded
by the draw) and scores one method on the full test set. Methods use the pool in three ways:
not at all (from scratch: the seed-0 CNN, the encoder network), for pretraining only (frozen
codes + softmax or SVC, a fine-tuned encoder), or as unlabeled data too (self-training, graph
propagation, a CNN trained on the graph's labels; "transductive" when the test images are in
the graph as well).

Cells are logged as they finish (``cells.jsonl``), so a stopped run resumes where it ended.
"""

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier
from sklearn.svm import SVC
from tqdm.auto import tqdm

from .._autoencoder import ConvAETransformer
from .._classifiers import CNNClassifier, SoftmaxClassifier
from .._encoder_classifier import EncoderClassifier
from ..semi_supervised import GraphClassifier, LadderClassifier, PseudoLabelClassifier
from ._cache import fit_cached
from ._data import TITLES, study_data
from ._figures import save_figures
from ._files import (
    CellLog,
    as_json,
    describe_datasets,
    environment,
    locked,
    read_datasets,
    rst_table,
    with_precision,
    write_atomic,
    write_tables,
)
from ._profiles import SEED1_BEST
from ._request import (
    StudyError,
    check_device,
    check_precision,
    check_run_options,
    resolve_profile,
)

# Pixels the dense AE sees in pretraining (pool x epochs x pixels per image) below which its
# codes were no better than PCA-50 pixels at 100 MNIST labels, at every pool measured (10 000,
# 20 000, 60 000 images; benchmarks/pretraining_budget.py): 10 000 images x 30 epochs.
CODES_BEAT_PIXELS = 10_000 * 784 * 30


@dataclass(frozen=True)
class FewLabelsProfile:
    """How much of the few-label study to run."""

    labels_per_class: tuple  # label budgets: a cell has this many labeled images of each class
    n_draws: int  # seeded draws of the labeled images
    datasets: tuple = ("mnist", "fashion")  # the default data sets (names or paths)
    n_pool: int = 60_000  # at most this many training images: pretraining and graphs
    n_test: int = 10_000  # at most this many test images
    ae_epochs: int = 30  # pretraining epochs, at least; more on a small pool (below)
    epochs: int = 100  # supervised epochs (heads, CNN, encoder classifiers)
    # pixels the autoencoder sees in pretraining (epochs x pool x pixels per image), at least:
    # a small data set gets MNIST's compute (5 epochs of 1 437 8x8 digits learn nothing: its
    # codes score 53 % with an SVC where 426 epochs, the same pixels, score 98 %)
    ae_pixels: int = 60_000 * 784 * 30

    def pretraining_epochs(self, n_pool, n_features):
        """``ae_epochs``, or more when ``n_pool`` images would see fewer than ``ae_pixels``."""
        return max(self.ae_epochs, -(-self.ae_pixels // (n_pool * n_features)))

    def pretraining_note(self, n_pool, n_features):
        """One line when this profile pretrains too little to answer the question, or ``""``."""
        pixels = n_pool * n_features * self.pretraining_epochs(n_pool, n_features)
        if pixels >= CODES_BEAT_PIXELS:
            return ""
        pixels, needed = (f"{n:,}".replace(",", " ") for n in (pixels, CODES_BEAT_PIXELS))
        return (
            f"This profile pretrains on {pixels} pixels; below ~{needed} the codes are not yet "
            "better than pixels (MNIST, benchmarks/pretraining_budget.py): use --profile "
            "paper to answer the question."
        )


FEW_LABELS_PROFILES = {
    "paper": FewLabelsProfile(labels_per_class=(10, 30, 100, 300), n_draws=5),
    "quick": FewLabelsProfile(
        labels_per_class=(10, 100),
        n_draws=2,
        n_pool=10_000,
        n_test=10_000,
        ae_epochs=30,  # fewer: MNIST's codes no better than pixels (CODES_BEAT_PIXELS)
        epochs=50,
        ae_pixels=10_000 * 784 * 5,  # digits: 427 epochs, its codes' SVC 98 %, 2-3 minutes
    ),
    "tiny": FewLabelsProfile(
        labels_per_class=(2, 5),
        n_draws=2,
        n_pool=500,
        n_test=200,
        ae_epochs=1,
        epochs=3,
        ae_pixels=500 * 784,
    ),
}

# The CNN trained on the pool's pseudo-labels: wider than the seed-0 CNN (whose 5 + 5 filters
# reach only 95.1 % from the 1 000-label Poisson labels where this one reaches 97.0 %), and
# for at most 5 epochs: it sees the whole pool. Not profile fields, so committed runs resume.
PSEUDO_LABEL_CNN = {
    "channels": (32, 64),
    "optimizer": "adam",
    "lr": 1e-3,
    "batch_size": 128,
}

NO_ANSWER = (
    "No current cells of both a pretrained and a from-scratch method at any budget: no answer."
)
# Marks a table value computed by another revision of its method's code (no current cell).
OUTDATED_MARK = " †"

# The ladder network (Rasmus et al. 2015) trains 150 epochs in the paper: 2.3-2.9 hours of
# one core per fit here (benchmarks/ladder_cost.py). At most 10 epochs: 97.4-97.6 % at 100
# MNIST labels in 444-557 s. Not a profile field, so committed runs resume.
LADDER_EPOCHS = 10

# Published anchors (accuracy %, by number of labels) and whether they are transductive.
ANCHORS = {
    "mnist": {
        "CNN, labels only (Kingma et al. 2014)": ({100: 77.0, 1000: 93.6}, False),
        "contractive AE + fine-tuning (Kingma et al. 2014)": ({100: 86.5, 1000: 95.2}, False),
        "VAE M1 + TSVM (Kingma et al. 2014)": ({100: 88.2, 1000: 95.8}, True),
        "Laplace learning, VAE latent (Calder et al. 2020)": ({100: 91.3}, True),
        "Poisson learning, VAE latent (Calder et al. 2020)": ({100: 95.9}, True),
        "ladder networks (Rasmus et al. 2015)": ({100: 98.9, 1000: 99.2}, False),
    },
    "fashion": {
        "Laplace learning, VAE latent (Calder et al. 2020)": ({100: 70.6}, True),
        "Poisson learning, VAE latent (Calder et al. 2020)": ({100: 75.3}, True),
    },
}

# The representations: raw pixels, their top 50 principal components (the graphs' usual
# space for pixels), and the seed-1 dense-latent autoencoder's 33-feature code.
REPRESENTATIONS = {"pixels": False, "pixels_pca50": False, "dense_ae": True}  # -> pretrained


# The figure's families (the best line of each is drawn) and readable names; keys are a method
# or a (method, representation) pair, the pair first: SVC on pixels is not SVC on codes.
FAMILIES = {
    "cnn": "from scratch",
    "encoder_from_scratch": "from scratch",
    ("frozen_softmax", "pixels"): "from scratch",
    ("frozen_svc", "pixels"): "from scratch",
    "frozen_softmax": "frozen codes",
    "frozen_svc": "frozen codes",
    "fine_tuned": "fine-tuned",
    "ladder_fc": "ladder network",
    "ladder_conv": "ladder network",
    **dict.fromkeys(
        ["self_training", "poisson_inductive", "poisson_pseudo_cnn", "poisson_pseudo_cnn_relabeled",
         "poisson_pseudo_cnn_transductive", "poisson_transductive", "laplace_transductive"],
        "semi-supervised / graph",
    ),
}  # fmt: skip
DISPLAY_NAMES = {
    "cnn": "CNN",
    "encoder_from_scratch": "encoder network, random init",
    "fine_tuned": "AE encoder, fine-tuned",
    "self_training": "self-training on AE codes",
    ("frozen_softmax", "pixels"): "softmax on pixels",
    ("frozen_svc", "pixels"): "SVC on pixels",
    ("frozen_softmax", "dense_ae"): "softmax on AE codes",
    ("frozen_svc", "dense_ae"): "SVC on AE codes",
    "poisson_pseudo_cnn": "Poisson labels → CNN",
    "poisson_pseudo_cnn_transductive": "Poisson labels → CNN",
    "poisson_pseudo_cnn_relabeled": "Poisson labels → CNN, 2 rounds",
    "ladder_fc": "ladder network (fully connected)",
    "ladder_conv": "ladder network (Conv-Small, Γ-model)",
    **{
        (method, representation): f"{method.split('_')[0].title()} learning on {where}"
        for method in ("poisson_inductive", "poisson_transductive", "laplace_transductive")
        for representation, where in (("pixels_pca50", "50 PCs"), ("dense_ae", "AE codes"))
    },
}


class Method(NamedTuple):
    representations: tuple  # what it runs on
    unlabeled: bool  # trains on the unlabeled pool too (-1 labels)
    transductive: bool = False  # the test images are in its graph
    autoencoder: bool = False  # an autoencoder trained with the labels (the ladder network)
    precision: bool = False  # its large CNNs train in the study's precision (autocast)
    from_scratch: bool = False  # uses its representation's architecture, not its weights
    # Raised when a change of code changes the method's results: cells of an earlier
    # revision are not reused (they stay in cells.jsonl) and run again.
    revision: int = 0
    opt_in: bool = False  # run only when named (``methods``): hours per cell on a CPU


METHODS = {
    "cnn": Method(("pixels",), unlabeled=False),
    "encoder_from_scratch": Method(("dense_ae",), unlabeled=False, from_scratch=True),
    "fine_tuned": Method(("dense_ae",), unlabeled=False),
    "frozen_softmax": Method(("pixels", "dense_ae"), unlabeled=False),
    "frozen_svc": Method(("pixels", "dense_ae"), unlabeled=False),
    "self_training": Method(("dense_ae",), unlabeled=True),
    # Revision 1 of the Poisson methods: GraphClassifier's graph of 10 neighbours besides the
    # node, each component solved alone, Poisson learning by the random walk (revision 0: 9 +
    # the node, conjugate gradient). The pseudo-label CNNs learn these labels too. Laplace
    # learning's cells did not change (the same accuracies, rerun on 2-3 draws of each size).
    "poisson_inductive": Method(("pixels_pca50", "dense_ae"), unlabeled=True, revision=1),
    "poisson_pseudo_cnn": Method(("dense_ae",), True, precision=True, revision=1),
    "poisson_pseudo_cnn_relabeled": Method(("dense_ae",), True, precision=True, revision=1),
    "poisson_pseudo_cnn_transductive": Method(
        ("dense_ae",), True, transductive=True, precision=True, revision=1
    ),
    "poisson_transductive": Method(
        ("pixels_pca50", "dense_ae"), True, transductive=True, revision=1
    ),
    "laplace_transductive": Method(("pixels_pca50", "dense_ae"), True, transductive=True),
    "ladder_fc": Method(("pixels",), unlabeled=True, autoencoder=True),
    # 10 epochs: 1.7 hours of one core per cell in bfloat16 (benchmarks/ladder_cost.py)
    "ladder_conv": Method(("pixels",), True, autoencoder=True, precision=True, opt_in=True),
}


def run_few_labels(
    profile="quick",
    *,
    out,
    data_home=None,
    methods=None,
    datasets=None,
    n_labels=None,
    inputs="unit",
    n_jobs=1,
    device="cpu",
    precision="float32",
    max_cells=None,
    verbose=1,
):
    """Run (or resume) the few-label study and write its tables and figure.

    Parameters
    ----------
    profile : {"tiny", "quick", "paper"} or FewLabelsProfile, default="quick"
        How much to run: ``tiny`` in a minute (tests), ``paper`` the full study (10 / 30 /
        100 / 300 labels per class, 5 draws, MNIST and FashionMNIST, all 60 000 + 10 000
        images). Budgets a class cannot fill are skipped, with a note.
    out : path-like
        Output folder: ``cells.jsonl`` (resume log), ``summary.csv`` (and ``.json``;
        ``summary_bfloat16.csv`` and so on for another ``precision``),
        ``summary_<dataset>.rst`` tables, ``datasets.json`` (the shapes, classes and
        test-set source of the data the tables show; ``datasets_bfloat16.json``...),
        ``figures/few_labels.png``, cached autoencoders.
    data_home : path-like or None, default=None
        Folder holding ``MNIST/`` and ``FashionMNIST/`` (default: ``SKAE_DATA``).
    methods : list of str or None, default=None
        Subset of the methods (``None``: all but ``ladder_conv``, which runs only when named:
        its cells take hours of a CPU core each, minutes of a GPU).
    datasets : list of str or path-like, or None, default=None
        Data sets to run, each a name or path that :func:`skae.datasets.load_dataset` reads
        (``"digits"`` needs no file and no network); ``None``: the profile's (MNIST and
        FashionMNIST).
    n_labels : list of int or None, default=None
        Subset of the label budgets (totals, e.g. 100 = 10 per class of 10 classes);
        ``None``: all. Cells stay those of the profile, so a later run fills in the rest.
    inputs : {"unit", "standardized"}, default="unit"
        Pixels in [0, 1], or standardized per channel as seed-0 fed them; a standardized
        data set is named ``<name>_standardized`` in cells, tables and caches.
    n_jobs : int, default=1
        Cells trained in parallel, those of every data set in one pool (joblib workers;
        ``-1``: all cores). The autoencoders of every data set the cells need are pretrained
        (or read from the cache) first.
    device : str, default="cpu"
        Torch device of the autoencoders and classifiers.
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Arithmetic of the autoencoder's pretraining, of the pseudo-label CNNs and of
        ``ladder_conv``, the models where bfloat16 pays (``benchmarks/precision.py``,
        ``benchmarks/ladder_cost.py``); the small heads, the seed-0 CNN and ``ladder_fc``
        stay float32, where bfloat16 is slower or no faster. Cells record it: a run reuses only
        cells of its own precision.
    max_cells : int or None, default=None
        Run at most this many unfinished cells (``0``: rewrite the tables only).
    verbose : int, default=1
        ``1`` shows progress.

    Returns
    -------
    rows : list of dict
        The summary rows (``summary.csv``).

    Raises
    ------
    StudyError
        Before any work: an unknown profile, method or budget, a bad device, ``n_jobs`` 0
        or ``max_cells`` < 0, data that cannot be read, fewer than 2 classes, or a class
        with fewer labeled images than every budget.

    Examples
    --------
    >>> from skae.studies import run_few_labels
    >>> rows = run_few_labels("quick", datasets=["digits"], out="results/digits")  # doctest: +SKIP
    """
    profile = resolve_profile(profile, FEW_LABELS_PROFILES)
    methods = _selected(methods)
    check_run_options(n_jobs, max_cells)
    check_device(device)
    check_precision(precision, device)
    data = {}
    for source in datasets or profile.datasets:
        loaded = study_data(
            source,
            data_home=data_home,
            n_pool=profile.n_pool,
            n_test=profile.n_test,
            inputs=inputs,
        )
        if loaded.name in data:
            raise StudyError(
                f"Two data sets are named {loaded.name!r} (a folder's or file's name); the "
                "study keys its cells and tables on it: rename one."
            )
        data[loaded.name] = loaded
    budgets = {name: loaded.budgets(profile.labels_per_class) for name, loaded in data.items()}
    asked = set(n_labels or ())
    unknown = sorted(asked - {n for kept, _ in budgets.values() for n in kept})
    if unknown:
        raise StudyError(
            f"Unknown n_labels {unknown}; the budgets are "
            f"{ {name: kept for name, (kept, _) in budgets.items()} }."
        )
    skipped = {name: kept for name, (kept, _) in budgets.items() if asked and not asked & {*kept}}
    if skipped and verbose:
        print(
            f"No budget of {sorted(asked)} labels for {', '.join(skipped)} (budgets: "
            f"{skipped}): no cell of it runs."
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with locked(out):
        descriptions = _descriptions(out, data, precision)  # unreadable: fails before training
        log = CellLog(out / "cells.jsonl")
        comparable = [
            cell
            for cell in log.read()
            if _still_run(cell)  # a method or representation since removed: history
            and _same_profile(cell, profile)
            and _precision(cell) in (precision, None)
        ]
        contents = _contents(comparable, descriptions)

        def same_data(cell):  # cells logged before the hash was: their data is unknown
            return cell.get("sha256") in (None, contents.get(cell["dataset"]))

        logged = [cell for cell in comparable if same_data(cell)]
        changed = sorted(
            {c["dataset"] for c in comparable if not same_data(c) and c["dataset"] in data}
        )
        if changed and verbose:
            print(
                f"The images or labels of {', '.join(changed)} changed since cells of the "
                "folder were computed: those cells are left out (they stay in cells.jsonl)."
            )
        done = {_key(cell): cell for cell in logged if _is_current(cell)}
        outdated = {_key(cell): cell for cell in logged if not _is_current(cell)}
        sizes = {name: kept for name, (kept, _) in budgets.items()}
        todo = [
            cell
            for cell in _cells(profile, methods, sizes, precision)
            if _key(cell) not in done and (n_labels is None or cell["n_labels"] in n_labels)
        ]
        todo = todo[:max_cells]
        if todo:  # a run that only writes the tables computes nothing to record
            CellLog(out / "runs.jsonl").append(
                environment(
                    device,
                    precision=precision,
                    profile=asdict(profile),
                    datasets=[d.describe() for d in data.values()],
                )
            )
        rerun = sorted({cell["method"] for cell in todo if _key(cell) in outdated})
        if rerun and verbose:
            print(
                f"Cells of {', '.join(rerun)} computed by other code run again (the old ones "
                "stay in cells.jsonl)."
            )
        for _, note in budgets.values():
            if note and verbose:
                print(note)
        progress = tqdm(total=len(todo), unit="cell", disable=not verbose)
        try:
            needed = {}  # the representations of each data set, fitted once per run
            for cell in todo:
                needed.setdefault(cell["dataset"], set()).add(cell["representation"])
            encoders = {
                name: _representations(data[name], names, profile, out, device, precision, verbose)
                for name, names in needed.items()
            }
            # one pool for all the cells: those of different data sets train side by side too
            finished = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                joblib.delayed(_run)(
                    cell, data[cell["dataset"]], encoders[cell["dataset"]], profile, device
                )
                for cell in todo
            )
            for cell in finished:
                log.append(cell)
                done[_key(cell)] = cell
                progress.update()
                if verbose:
                    progress.write(_describe(cell))
        finally:
            progress.close()
            rows = summarize(done.values(), outdated.values())
            _write(rows, out, descriptions, precision)
    return rows


def _selected(methods):
    """The methods to run: those named, or all but the opt-in ones."""
    if methods is None:
        return [name for name, method in METHODS.items() if not method.opt_in]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise StudyError(f"Unknown methods {unknown}; choose from {list(METHODS)}.")
    return list(methods)


def _still_run(cell):
    """Whether the study still runs ``cell``'s method on its representation."""
    method = METHODS.get(cell["method"])
    return method is not None and cell["representation"] in method.representations


def _same_profile(cell, profile):
    """Whether ``cell`` was computed under ``profile`` (budgets were once logged as totals)."""
    expected = as_json(profile)
    if "n_labels" in cell["profile"]:  # logged before budgets per class and ae_pixels
        expected["n_labels"] = [10 * n for n in expected.pop("labels_per_class")]
        expected = {name: value for name, value in expected.items() if name != "ae_pixels"}
    return cell["profile"] == expected


def _descriptions(out, data, precision):
    """What each data set of the tables is: this run's data, else the data the folder's
    tables in ``precision`` showed (those of float32 for a folder older than the files per
    precision)."""
    known = read_datasets(out, precision)
    if precision != "float32":
        known = {**read_datasets(out), **known}
    return {**known, **{name: loaded.describe() for name, loaded in data.items()}}


def _contents(cells, descriptions):
    """The version (pixels' hash) of each data set whose cells the tables show: the described
    one, else that of its latest cell (a data set whose description was deleted)."""
    latest = {cell["dataset"]: cell["sha256"] for cell in cells if "sha256" in cell}
    return {**latest, **{name: d["content_sha256"] for name, d in descriptions.items()}}


def _cells(profile, methods, budgets, precision="float32"):
    """Every cell, draw by draw (every data set in each): a partial run is still a table."""
    cells = [
        {
            "dataset": dataset,
            "n_labels": n,
            "draw": draw,
            "representation": rep,
            "method": name,
            "profile": as_json(profile),
        }
        for draw in range(profile.n_draws)
        for dataset, sizes in budgets.items()
        for n in sizes
        for name in methods
        for rep in METHODS[name].representations
    ]
    if precision != "float32":
        for cell in filter(_uses_precision, cells):
            cell["precision"] = precision
    for cell in cells:
        if METHODS[cell["method"]].revision:  # revision 0 is not logged: older cells lack it
            cell["revision"] = METHODS[cell["method"]].revision
    return cells


def _is_current(cell):
    """Whether ``cell`` was computed by its method's current code (``Method.revision``)."""
    return cell.get("revision", 0) == METHODS[cell["method"]].revision


def _uses_pretrained_encoder(cell):
    """Whether ``cell``'s method starts from what the autoencoder learned (codes or weights)."""
    return REPRESENTATIONS[cell["representation"]] and not METHODS[cell["method"]].from_scratch


def _uses_precision(cell):
    """Whether ``cell`` depends on anything trained in the study's precision: the pretrained
    autoencoder's weights or its own large CNNs (heads and small CNNs stay float32: faster)."""
    return _uses_pretrained_encoder(cell) or METHODS[cell["method"]].precision


def _precision(cell):
    """The precision ``cell`` was computed in; ``None`` where precision does not touch it, so
    that a run in any precision reuses it."""
    return cell.get("precision", "float32") if _uses_precision(cell) else None


def _key(cell):
    return tuple(cell[k] for k in ("dataset", "n_labels", "draw", "representation", "method"))


def _representations(data, names, profile, out, device, precision, verbose):
    """The fitted unsupervised transformers of the representations ``names`` (no labels
    used); only those, so that a run of pixel methods pretrains no autoencoder."""
    fitted = {"pixels": None}
    if "pixels_pca50" in names:
        fitted["pixels_pca50"] = PCA(min(50, *data.X.shape), random_state=0).fit(data.X)
    if "dense_ae" in names:
        fitted["dense_ae"] = _dense_ae(data, profile, out, device, precision, verbose)
    return fitted


def _dense_ae(data, profile, out, device, precision, verbose):
    """The study's autoencoder (seed 1's best network), fitted on the pool or read from the
    cache."""
    ae = ConvAETransformer(
        image_shape=data.image_shape,
        latent_dim=SEED1_BEST["latent_dim"],
        lr=SEED1_BEST["lr"],
        batch_size=SEED1_BEST["batch_size"],
        max_epochs=profile.pretraining_epochs(*data.X.shape),
        device=device,
        precision=precision,
        random_state=0,
    )
    return fit_cached(
        ae,
        data.X,
        name=f"dense_ae_{data.name}",
        data=data.identity(),
        folder=out / "autoencoders",
        verbose=verbose,
    )


def _run(cell, data, encoders, profile, device):
    """``cell`` with the accuracy of its method, trained and then scored on the test images."""
    X, y, X_test, y_test = data.X, data.y, data.X_test, data.y_test
    labeled = data.labeled_draw(cell["n_labels"], cell["draw"])
    encoder = encoders[cell["representation"]]
    precision = cell.get("precision", "float32")
    model = _method(
        cell["method"], encoder, profile, device, cell["draw"], data.image_shape, precision
    )
    method = METHODS[cell["method"]]
    if method.unlabeled:  # the whole pool, -1 where unlabeled; transductive: the test images too
        X_fit = np.vstack([X, X_test]) if method.transductive else X
        y_fit = np.full(len(X_fit), -1)
        y_fit[labeled] = y[labeled]
    else:
        X_fit, y_fit = X[labeled], y[labeled]
    start = time.perf_counter()
    model.fit(X_fit, y_fit)
    # a graph is scored by its own labels of the test images; a pseudo-label CNN predicts them
    if method.transductive and isinstance(model, Pipeline):
        accuracy = float(np.mean(model[-1].transduction_[len(X) :] == y_test))
    else:
        accuracy = float(model.score(X_test, y_test))
    return {
        **cell,
        "sha256": data.content,
        "accuracy": accuracy,
        "fit_time": time.perf_counter() - start,
        "transductive": method.transductive,
        "pretrained": method.autoencoder or _uses_pretrained_encoder(cell),
    }


def _method(name, encoder, profile, device, seed, image_shape=(1, 28, 28), precision="float32"):
    """An unfitted model of method ``name`` on ``encoder``'s representation."""
    common = {"max_epochs": profile.epochs, "device": device, "random_state": seed}
    if name == "cnn":
        return CNNClassifier(image_shape=image_shape, **common)
    if name == "ladder_fc":  # the paper's 784-1000-500-250-250-250-10 and its 100-label costs
        epochs = min(LADDER_EPOCHS, profile.epochs)
        return LadderClassifier(image_shape=image_shape, **common | {"max_epochs": epochs})
    if name == "ladder_conv":  # the paper's Conv-Small Γ-model (the top layer denoised)
        epochs = min(LADDER_EPOCHS, profile.epochs)
        return LadderClassifier(
            architecture="conv",
            image_shape=image_shape,
            precision=precision,
            **common | {"max_epochs": epochs},
        )
    if name == "encoder_from_scratch":  # the same network, every weight trained from the start
        return EncoderClassifier(clone(encoder), **common)
    if name == "fine_tuned":  # the head alone first, then the encoder at a tenth of its rate
        return EncoderClassifier(
            encoder, freeze_epochs=profile.epochs // 2, encoder_lr=1e-4, **common
        )
    # codes are standardized; pixels stay in [0, 1] (a few labels leave pixels constant)
    front = [] if encoder is None else [FrozenEstimator(encoder)]
    if name == "frozen_softmax":
        head = SoftmaxClassifier(lr=1e-2, **common)
    elif name == "frozen_svc":
        head = SVC()
    elif name == "self_training":  # a convex base: it refits on the growing set 10 times
        head = SelfTrainingClassifier(LogisticRegression(max_iter=1000))
    elif name.startswith("poisson_pseudo_cnn"):  # a CNN on the pixels learns the graph's labels
        labeler = make_pipeline(*front, StandardScaler(), GraphClassifier())
        cnn = CNNClassifier(
            image_shape=image_shape,
            **PSEUDO_LABEL_CNN,
            **common | {"max_epochs": min(5, profile.epochs)},
            precision=precision,
        )
        relabeler = pseudo_label_relabeler(seed) if name.endswith("relabeled") else None
        return PseudoLabelClassifier(labeler, cnn, relabeler=relabeler)
    else:  # the graph methods
        head = GraphClassifier(method=name.split("_")[0])
        return make_pipeline(*front, head)
    return make_pipeline(*front, *([StandardScaler()] if front else []), head)


def pseudo_label_relabeler(seed):
    """The second round's labeler: Poisson learning over the first CNN's features (PCA-50)."""
    return make_pipeline(PCA(50, random_state=seed), GraphClassifier())


def summarize(cells, outdated=()):
    """Mean and standard deviation of the accuracy over draws, one row per method and size.

    ``outdated`` cells (computed by another revision of their method's code) make the rows
    that have no current cell, flagged ``outdated``; a row never mixes the two.
    """
    groups, old = {}, {}
    for group, members in ((groups, cells), (old, outdated)):
        for cell in members:
            key = (cell["dataset"], cell["representation"], cell["method"], cell["n_labels"])
            group.setdefault(key, []).append(cell)
    rows = []
    for key, members in sorted((old | groups).items()):
        dataset, representation, method, n_labels = key
        accuracies = np.array([cell["accuracy"] for cell in members])
        rows.append(
            {
                "dataset": dataset,
                "representation": representation,
                "method": method,
                "n_labels": n_labels,
                "mean_accuracy": round(float(accuracies.mean()), 4),
                "std_accuracy": round(float(accuracies.std()), 4),
                "n_draws": len(members),
                "transductive": members[0]["transductive"],
                "pretrained": members[0]["pretrained"],
                "outdated": key not in groups,
            }
        )
    return rows


def format_few_labels(rows, dataset="mnist", description=None):
    """Mean accuracy (%) per method and number of labels, the published anchors beside.

    ``description`` (a ``datasets.json`` entry) adds a caption: the data set's title, its
    test set's source and the number of draws.
    """
    sizes = sorted({row["n_labels"] for row in rows if row["dataset"] == dataset})
    lines = {}
    for row in rows:
        if row["dataset"] == dataset:
            mark = " (transductive)" if row["transductive"] else ""
            name = f"{row['method']} on {row['representation']}{mark}"
            cell = f"{100 * row['mean_accuracy']:.2f} ± {100 * row['std_accuracy']:.2f}"
            cell += OUTDATED_MARK if row.get("outdated") else ""
            lines.setdefault(name, {})[row["n_labels"]] = cell
    for name, (values, transductive) in ANCHORS.get(dataset, {}).items():
        mark = " (transductive)" if transductive else ""
        lines[f"published: {name}{mark}"] = {n: f"{v:.1f}" for n, v in values.items()}
    header = ["method", *(f"{n} labels %" for n in sizes)]
    body = [[name, *(values.get(n, "-") for n in sizes)] for name, values in lines.items()]
    table = rst_table(header, body)
    if any(row.get("outdated") for row in rows if row["dataset"] == dataset):
        table += (
            f"\n{OUTDATED_MARK.strip()} computed by another revision of the method's code: "
            "its cells have not run again with this code; left out of the figure and of the "
            "answer to the study's question.\n"
        )
    if description is None:
        return table
    draws = max(row["n_draws"] for row in rows if row["dataset"] == dataset)
    caption = (
        f"{description['title']}: test accuracy (%), mean ± std over up to {draws} draws of "
        f"the labeled images; {description['pool']} training images of "
        f"{'x'.join(map(str, description['image_shape']))} (C x H x W) in "
        f"{len(description['classes'])} classes; test set: {description['test_source']}."
    )
    return f"{caption}\n\n{table}"


def answer_few_labels(rows, dataset, n_test=None):
    """One line per budget: the best pretrained method against the best from scratch.

    Inductive methods only (the test images unseen in training), as the question asks;
    rows of another revision of their method's code (``outdated``) are left out. Without a
    budget that has both, one line saying there is no answer. With ``n_test``, the size of
    the test set, a gap within its noise (1.96 binomial standard errors of the difference
    of two accuracies on ``n_test`` images) answers neither way.
    """
    rows = [row for row in rows if not row.get("outdated")]
    lines = []
    for n in sorted({row["n_labels"] for row in rows if row["dataset"] == dataset}):
        cells = [
            r
            for r in rows
            if r["dataset"] == dataset and r["n_labels"] == n and not r["transductive"]
        ]
        best = {
            flag: max(
                (r for r in cells if r["pretrained"] == flag),
                key=lambda r: r["mean_accuracy"],
                default=None,
            )
            for flag in (True, False)
        }
        if None in best.values():
            continue
        gain = 100 * (best[True]["mean_accuracy"] - best[False]["mean_accuracy"])
        noise = _test_noise([best[flag]["mean_accuracy"] for flag in (True, False)], n_test)
        if n_test and abs(gain) <= noise:
            verdict = f"no answer, the gap is within the noise of {n_test} test images"
            gain_text = f"{gain:+.2f} points, noise ±{noise:.2f}"
        else:
            verdict = "pretraining helps" if gain > 0 else "pretraining does not help"
            gain_text = f"{gain:+.2f} points"
        lines.append(
            f"{n} labels: {verdict} ({gain_text}): pretrained {_name(best[True])} "
            f"vs without pretraining {_name(best[False])}"
        )
    return "\n".join(lines) or NO_ANSWER


def _test_noise(accuracies, n_test):
    """1.96 standard errors (points) of the difference of two accuracies on ``n_test`` images."""
    if not n_test:
        return 0.0
    variance = sum(p * (1 - p) for p in accuracies) / n_test
    return 100 * 1.96 * math.sqrt(variance)


def _name(row):
    mark = OUTDATED_MARK if row.get("outdated") else ""
    return f"{row['method']} on {row['representation']} {100 * row['mean_accuracy']:.2f} %{mark}"


def _write(rows, out, descriptions, precision="float32"):
    """The tables and figure of ``rows``, and the description of the data they show."""
    if not rows:
        return
    shown = {row["dataset"] for row in rows}
    descriptions = {name: d for name, d in descriptions.items() if name in shown}
    describe_datasets(out, descriptions, precision)
    name = with_precision("summary", precision)
    write_tables(rows, out, name, list(rows[0]))
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        with write_atomic(out / f"{name}_{dataset}.rst") as file:
            file.write(format_few_labels(rows, dataset, descriptions.get(dataset)))
    from ..plots import plot_few_labels

    order = [*descriptions, *TITLES]  # the run's data sets in their order, then the known ones
    present = sorted({row["dataset"] for row in rows}, key=lambda n: (order + [n]).index(n))
    titles = {
        name: descriptions.get(name, {}).get("title", TITLES.get(name, name)) for name in present
    }
    current = [row for row in rows if not row.get("outdated")]  # † rows: the tables only
    name = with_precision("few_labels", precision)
    if not current:  # no figure, rather than one of cells the tables no longer show
        (out / "figures" / f"{name}.png").unlink(missing_ok=True)
        return
    figure = plot_few_labels(
        current, anchors=ANCHORS, families=FAMILIES, display_names=DISPLAY_NAMES, titles=titles
    )
    save_figures({name: figure}, out / "figures")


def _describe(cell):
    mark = " (transductive)" if cell["transductive"] else ""
    return (
        f"{cell['dataset']:<8} n={cell['n_labels']:<5} draw={cell['draw']} "
        f"{cell['method']} on {cell['representation']}{mark}: {100 * cell['accuracy']:.2f} % "
        f"({cell['fit_time']:.1f}s)"
    )
