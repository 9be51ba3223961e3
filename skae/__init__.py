"""skae: unsupervised pretraining with autoencoders, as scikit-learn estimators."""

from ._autoencoder import ConvAETransformer
from ._classifiers import CNNClassifier, SoftmaxClassifier

__all__ = ["CNNClassifier", "ConvAETransformer", "SoftmaxClassifier"]
__version__ = "0.1.0"
