"""scikit-learn's estimator checks on small instances of every skae estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import CNNClassifier, ConvAETransformer, SoftmaxClassifier

ESTIMATORS = [
    ConvAETransformer(image_shape=None, channels=(4, 2), max_epochs=2, random_state=0),
    SoftmaxClassifier(lr=1e-2, max_epochs=10, random_state=0),
    SoftmaxClassifier(hidden_units=(8,), lr=1e-2, max_epochs=10, random_state=0),
    CNNClassifier(image_shape=None, max_epochs=30, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
