"""What the studies run: profiles, the seed papers' settings and their reported numbers."""

from dataclasses import dataclass

import numpy as np
from scipy.stats import loguniform, randint, uniform


@dataclass(frozen=True)
class Profile:
    """How much of the seed-0 learning-curve study to run."""

    train_sizes: tuple  # labeled training images per cell
    n_repeats: int  # seeded draws of the training images (and of the 350 test images)
    head_epochs: int  # epochs of the softmax head and of the CNN
    ae_epochs: int  # pretraining epochs of each autoencoder
    n_pretrain: int = 59_000  # unlabeled images; the rest of the 60 000 validate
    test_size: int = 350  # the paper's test set size
    ae_batch_size: int = 32


PROFILES = {
    # The paper: 50 sizes growing at a constant rate from 160 to 8000, 3 repeats, 100 epochs.
    "paper": Profile(
        train_sizes=tuple(int(s) for s in np.linspace(160, 8000, 50).round()),
        n_repeats=3,
        head_epochs=100,
        ae_epochs=100,
    ),
    # Minutes on a 2-core laptop: same pipelines, fewer sizes and epochs.
    "quick": Profile(train_sizes=(160, 480, 960, 1600), n_repeats=1, head_epochs=20, ae_epochs=2),
    # Seconds: for tests and smoke runs.
    "tiny": Profile(
        train_sizes=(40, 80),
        n_repeats=1,
        head_epochs=2,
        ae_epochs=1,
        n_pretrain=400,
        test_size=50,
    ),
}

PAPER_ACCURACY = {  # seed-0's reported mean test accuracy (%), at 160 / 960 / 8000 labels
    "cnn": {160: 68, 960: 84, 8000: 86},
    "ae_mnist": {160: 67, 960: 86, 8000: 92},
    "sparse_ae_mnist": {160: 61, 960: 78, 8000: 90},
    "sparse_ae_fashion": {160: 55, 960: 73, 8000: 92},
    "random_encoder": {160: 56, 960: 73, 8000: 93},
}

REPORTED_SIZES = (160, 480, 960, 1600, 4000, 8000)  # the comparison table's columns

AUTOENCODERS = {  # name -> (pretraining data, sparsity); the seed's sparse weight is 1e-3
    "ae_mnist": ("mnist", 0.0),
    "sparse_ae_mnist": ("mnist", 1e-3),
    "sparse_ae_fashion": ("fashion", 1e-3),
    "random_encoder": ("mnist", 0.0),  # never trained: max_epochs=0
}

PIPELINE_ENCODERS = {  # pipeline -> the pretrained encoder it uses (None: none)
    **{name: name for name in AUTOENCODERS},
    "cnn": None,
    "sparse_ae_mnist_logreg": "sparse_ae_mnist",
    "raw_pixels_logreg": None,
}


def seed0_design(dataset="mnist"):
    """``(AUTOENCODERS, PIPELINE_ENCODERS)`` of the seed-0 study on ``dataset``.

    On MNIST, the seed's own: its autoencoders, and a sparse AE pretrained on FashionMNIST
    (transfer from another data set). On any other data set, the same design on that data
    alone: an AE, a sparse AE and the random encoder, named after the data set.
    """
    if dataset == "mnist":
        return AUTOENCODERS, PIPELINE_ENCODERS
    autoencoders = {
        f"ae_{dataset}": (dataset, 0.0),
        f"sparse_ae_{dataset}": (dataset, 1e-3),
        "random_encoder": (dataset, 0.0),
    }
    pipelines = {
        **{name: name for name in autoencoders},
        "cnn": None,
        f"sparse_ae_{dataset}_logreg": f"sparse_ae_{dataset}",
        "raw_pixels_logreg": None,
    }
    return autoencoders, pipelines


@dataclass(frozen=True)
class Seed1Profile:
    """How much of the seed-1 studies to run."""

    n_train: int  # unlabeled training images for the autoencoders
    epochs: int  # autoencoder epochs (early stopping with patience 10 on 10 % validation)
    search_trials: int  # search="random": sampled settings, each scored by 2-fold CV
    search_epochs: int
    search_images: int  # unlabeled images of either search
    head_epochs: int  # transfer head (early stopping with patience 5)
    n_labeled: int = 60_000  # labeled training images of the transfer head
    optuna_trials: int = 100  # search="optuna": TPE trials (seed-1 ran 100)
    optuna_epochs: int = 3  # epochs of each Optuna trial, pruned after any of them


SEED1_PROFILES = {
    "paper": Seed1Profile(60_000, 50, 20, 3, 10_000, 50),
    "quick": Seed1Profile(10_000, 3, 6, 1, 3_000, 5, optuna_trials=20),
    "tiny": Seed1Profile(600, 1, 2, 1, 300, 1, n_labeled=1_000, optuna_trials=3, optuna_epochs=2),
}

# Seed-1 Table 1: the best of its 100 Optuna trials, used for every model by default.
SEED1_BEST = {
    "latent_dim": 33,
    "optimizer": "adam",
    "lr": 5.4e-3,
    "batch_size": 128,
    "dropout": 0.012,
}
SEARCH_SPACE = {
    "latent_dim": randint(2, 51),
    "optimizer": ["adam", "sgd"],
    "lr": loguniform(1e-5, 1e-2),
    "batch_size": [64, 128, 256],
    "dropout": uniform(0, 1),
}
SEED1_TARGETS = {"ae_test_mse": 0.0087, "denoising_test_mse": 0.03, "transfer_accuracy": 0.981}
