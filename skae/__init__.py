"""skae: unsupervised pretraining with autoencoders, as scikit-learn estimators.

The estimators are here; the studies are in :mod:`skae.studies`, the figures in
:mod:`skae.plots` and the data loaders in :mod:`skae.datasets` (none of which
``import skae`` loads: matplotlib and torchvision are imported when used).
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
