"""Data sets of the lab: the article's generated data, and scikit-learn's bundled digits.

The article's generators make the same numpy calls in the same order as the article's
code, so ``np.random.seed(seed)`` followed by the article's code gives the same arrays
as ``make_*(seed)`` here: the PyTorch lab and the Keras check see identical data.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import UsageError

NOISE_SD = 0.1
NOISE_FLOOR = NOISE_SD ** 2  # the lowest expected MSE any model can reach on fresh data


def linear_2d(seed: int, n_train: int = 1000, n_val: int = 200, noise_sd: float = NOISE_SD):
    """Experiment 1: x ~ U[0, 1]^2, y = 2 x1 + 3 x2 + N(0, noise_sd^2).

    Returns ``(x_train (n_train, 2), y_train (n_train,), x_val (n_val, 2), y_val (n_val,))``.
    """
    rs = np.random.RandomState(seed)
    x_train = rs.rand(n_train, 2)
    y_train = 2 * x_train[:, 0] + 3 * x_train[:, 1] + rs.normal(0, noise_sd, n_train)
    x_val = rs.rand(n_val, 2)
    y_val = 2 * x_val[:, 0] + 3 * x_val[:, 1] + rs.normal(0, noise_sd, n_val)
    return x_train, y_train, x_val, y_val


def random_images(seed: int, n_train: int = 100, n_val: int = 20, classes: int = 5):
    """Experiment 2: uniform-noise 32x32x3 images with uniformly random labels in 0..classes-1.

    Images are returned channels first, (n, 3, 32, 32), drawn in the article's
    channels-last order so the pixel values match its code. Labels carry no information
    about the images: the best possible validation accuracy is chance, 1 / classes.
    """
    rs = np.random.RandomState(seed)
    x_train = rs.rand(n_train, 32, 32, 3)
    y_train = rs.randint(0, classes, n_train)
    x_val = rs.rand(n_val, 32, 32, 3)
    y_val = rs.randint(0, classes, n_val)
    to_chw = lambda x: np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # noqa: E731
    return to_chw(x_train), y_train, to_chw(x_val), y_val


#: Its labels are drawn apart from the images: the runner says so in the runs' meta["labels"], and the diagnosis then
#: reads no training-set size as a second explanation of no_signal (diagnosis._few_examples).
random_images.random_labels = True


def linear_1d(seed: int, n_train: int = 1000, n_val: int = 200, noise_sd: float = NOISE_SD):
    """Experiment 3: x ~ U[0, 1], y = 2 x + N(0, noise_sd^2); x arrays have shape (n, 1)."""
    rs = np.random.RandomState(seed)
    x_train = rs.rand(n_train, 1)
    y_train = 2 * x_train[:, 0] + rs.normal(0, noise_sd, n_train)
    x_val = rs.rand(n_val, 1)
    y_val = 2 * x_val[:, 0] + rs.normal(0, noise_sd, n_val)
    return x_train, y_train, x_val, y_val


def load_digits_images():
    """scikit-learn's bundled 8x8 digits (1,797 images, 10 classes; no download).

    Returns ``(x (1797, 1, 8, 8) float32 scaled to [0, 1], y (1797,) int64)``.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    return x, d.target.astype(np.int64)


def digits_split(seed: int, per_class: int, n_val_per_class: int = 70):
    """A stratified split of the digits: ``per_class`` training and ``n_val_per_class``
    validation images of every class, drawn without overlap (each class has >= 174 images).

    The validation images depend only on ``seed``, not on ``per_class``, so a learning
    curve over ``per_class`` is measured on one fixed validation set per seed.
    """
    x, y = load_digits_images()
    rs = np.random.RandomState(seed)
    train_idx, val_idx = [], []
    for k in range(10):
        idx = rs.permutation(np.flatnonzero(y == k))
        val_idx.append(idx[:n_val_per_class])
        pool = idx[n_val_per_class:]
        if per_class > len(pool):
            raise UsageError(f"digits class {k} has {len(pool)} images left for training, asked for {per_class}")
        train_idx.append(pool[:per_class])
    tr, va = np.concatenate(train_idx), np.concatenate(val_idx)
    return x[tr], y[tr], x[va], y[va]
