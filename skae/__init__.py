"""skae: unsupervised pretraining with autoencoders, as scikit-learn estimators."""

from ._autoencoder import ConvAETransformer, VAETransformer
from ._classifiers import CNNClassifier, SoftmaxClassifier
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
    "SoftmaxClassifier",
    "format_summary",
    "make_pipelines",
    "pretrain_autoencoders",
    "run_learning_curve",
    "summarize",
    "VAETransformer",
]
__version__ = "0.1.0"
