"""Writes the learning curves the README's "Would more data help?" runs ``losslens data`` on.

Validation accuracy of scikit-learn classifiers trained on nested subsets (125 to 2,000 samples) of
generated data, one fixed validation set of 3,000, 5 subset orders (the ``fold`` column), as
tests/test_data.py measures them::

    python src/losslens/examples/make_learning_curves.py    # rewrites curve.csv and models.csv here

curve.csv is a k-NN classifier's curve (data-limited: trained on 4,000 samples for real its error is
0.095); models.csv holds it beside a logistic regression's (at its capacity: not data-limited).
"""

import csv
from pathlib import Path

import numpy as np

SIZES = [125, 250, 500, 1000, 2000]


def measure(make_model, sizes=SIZES):
    """Validation accuracy, shape (len(sizes), 5 subset orders), as ``learning_curve`` returns it."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=12000, n_features=20, n_informative=12, n_redundant=2,
                               n_clusters_per_class=4, class_sep=1.0, flip_y=0.0, random_state=0)
    xv, yv, xp, yp = x[-3000:], y[-3000:], x[:-3000], y[:-3000]
    acc = np.zeros((len(sizes), 5))
    for s in range(5):
        idx = np.random.default_rng(s).permutation(len(yp))
        for j, n in enumerate(sizes):
            acc[j, s] = make_model().fit(xp[idx[:n]], yp[idx[:n]]).score(xv, yv)
    return acc


def main(folder=Path(__file__).parent):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    curves = {"knn": measure(lambda: KNeighborsClassifier(5)),
              "logreg": measure(lambda: LogisticRegression(max_iter=1000))}
    with open(folder / "curve.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["train_size", "fold", "val_acc"])
        w.writerows([n, k, v] for n, row in zip(SIZES, curves["knn"]) for k, v in enumerate(row))
    with open(folder / "models.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "train_size", "fold", "val_acc"])
        w.writerows([m, n, k, v] for m, acc in curves.items()
                    for n, row in zip(SIZES, acc) for k, v in enumerate(row))


if __name__ == "__main__":
    main()
