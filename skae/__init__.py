"""skae: unsupervised pretraining with autoencoders, as scikit-learn estimators."""

from ._autoencoder import ConvAETransformer, VAETransformer
from ._classifiers import CNNClassifier, SoftmaxClassifier
from ._seed1 import SEED1_PROFILES, run_seed1, search_autoencoder
from ._study import (
    PROFILES,
    Profile,
    format_summary,
    make_pipelines,
    pretrain_autoencoders,
    run_learning_curve,
    summarize,
)

__all__ = [
    "CNNClassifier",
    "ConvAETransformer",
    "PROFILES",
    "Profile",
    "SEED1_PROFILES",
    "SoftmaxClassifier",
    "format_summary",
    "make_pipelines",
    "pretrain_autoencoders",
    "run_learning_curve",
    "run_seed1",
    "search_autoencoder",
    "summarize",
    "VAETransformer",
]
__version__ = "0.1.0"
