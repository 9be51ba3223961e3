"""Claim: the seed-1 transfer head reaches the seed's 98.1 % with under 10 k parameters.

Frozen seed-1 conv AE (33-d code, from ``skae seed1 --profile paper``) + a 128-10
``SoftmaxClassifier`` on all 60 000 labeled images, early stopping on a 10 % validation split.
The seed's setting (Adam 5e-3, patience 5) against lr 1e-3 / patience 10; the choice between
them is made on the validation loss, never on the test set, which is reported for both.

Run: ``SKAE_DATA=../shared/data python benchmarks/transfer_head.py``
"""

from _common import cached_model, report

from skae import SoftmaxClassifier
from skae.datasets import fetch_mnist

SETTINGS = [{"lr": 5e-3, "patience": 5}, {"lr": 5e-3, "patience": 10}, {"lr": 1e-3, "patience": 10}]


def main():
    X, y = fetch_mnist(return_X_y=True)
    X_test, y_test = fetch_mnist(subset="test", return_X_y=True)
    ae = cached_model("seed1-paper/models", "ae")
    codes, test_codes = ae.transform(X), ae.transform(X_test)  # the encoder is frozen
    rows = []
    for setting in SETTINGS:
        head = SoftmaxClassifier(
            hidden_units=(128,),
            batch_size=128,
            max_epochs=200,
            validation_fraction=0.1,
            random_state=0,
            **setting,
        ).fit(codes, y)
        rows.append(
            {
                **setting,
                "epochs": head.n_epochs_,
                "best_valid_loss": min(head.validation_loss_curve_),
                "test_accuracy": head.score(test_codes, y_test),
                "parameters": sum(p.numel() for p in head.net_.module_.parameters()),
            }
        )
    report("transfer_head", __doc__.split("\n")[0], rows)


if __name__ == "__main__":
    main()
