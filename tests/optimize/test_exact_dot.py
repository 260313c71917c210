"""``exact_dot``: objective values that do not depend on how a BLAS library splits its sum."""

import math

import numpy as np

from geoalloc.optimize.linear import exact_dot


def test_exact_dot_is_the_correctly_rounded_sum() -> None:
    a = np.array([1e16, 1.0, -1e16])
    b = np.ones(3)
    assert exact_dot(a, b) == 1.0  # summed left to right in floats, this is 0.0
    assert float(np.sum(a * b)) != 1.0


def test_exact_dot_does_not_depend_on_the_order_of_the_terms() -> None:
    rng = np.random.default_rng(3)
    c, x = rng.normal(size=10_000) * 1e3, rng.random(10_000)
    value = exact_dot(c, x)
    assert value == math.fsum((c * x).tolist())
    for _ in range(5):  # any split of the sum (threads, blocks) is a reordering of the terms
        order = rng.permutation(len(c))
        assert exact_dot(c[order], x[order]) == value
