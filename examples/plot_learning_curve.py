"""
===========================================
Learning curve of a frozen-encoder pipeline
===========================================

sklearn's :class:`~sklearn.model_selection.LearningCurveDisplay` on a pipeline whose encoder
was pretrained once: the cross-validation clones and refits only the softmax head.
"""

# %%
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import LearningCurveDisplay, ShuffleSplit
from sklearn.pipeline import Pipeline

from skae import ConvAETransformer, SoftmaxClassifier
from skae.datasets import fetch_mnist

X, y = fetch_mnist(return_X_y=True)
ae = ConvAETransformer(max_epochs=1, random_state=0).fit(X[:10_000])

# %%
# Train sizes from 100 to 1 000 labels, 3 random splits
# -----------------------------------------------------
pipe = Pipeline(
    [("ae", FrozenEstimator(ae)), ("clf", SoftmaxClassifier(max_epochs=30, random_state=0))]
)
display = LearningCurveDisplay.from_estimator(
    pipe,
    X[10_000:12_000],
    y[10_000:12_000],
    train_sizes=[100, 300, 1000],
    cv=ShuffleSplit(n_splits=3, test_size=500, random_state=0),
    score_name="accuracy",
)
print(np.round(display.test_scores.mean(axis=1), 3))
