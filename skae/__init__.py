"""skae: unsupervised pretraining with autoencoders, as scikit-learn estimators.

The estimators are here; the studies are in :mod:`skae.studies`, the figures in
:mod:`skae.plots`, the data loaders in :mod:`skae.datasets` and model files that load
without running code in :mod:`skae.io` (none of which ``import skae`` loads: matplotlib,
torchvision and skops are imported when used).
"""

from ._autoencoder import ConvAETransformer, VAETransformer
from ._checks import InputRangeWarning
from ._classifiers import CNNClassifier, SoftmaxClassifier
from ._encoder_classifier import EncoderClassifier

__all__ = [
    "CNNClassifier",
    "ConvAETransformer",
    "EncoderClassifier",
    "InputRangeWarning",
    "SoftmaxClassifier",
    "VAETransformer",
]
__version__ = "0.1.0"  # the one version source: pyproject.toml reads it
