"""spec2x.cube.scaled: an output that is an input times constants, found from the models' tree."""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.modeling import models
from astropy.modeling.mappings import Identity, Mapping

from spec2x.cube.scaled import scaled_input


def _links():
    """Three links (x, y, lam) -> (a polynomial, 2 y, lam * 1e-3 * 1e6)."""
    first = models.Shift(1.0) & models.Scale(2.0) & models.Scale(1e-3)
    second = Mapping((1, 0, 1, 2)) | models.Polynomial2D(1, c1_0=1.0) & Identity(2)
    third = Identity(2) & models.Multiply(1e6)
    return [first, second, third]


def test_the_factors_in_order_and_the_numbers_of_the_call():
    links = _links()
    index, factors = scaled_input(links, 2)
    assert (index, [float(f) for f in factors]) == (2, [1e-3, 1e6])
    x, y, lam = np.random.default_rng(3).uniform(0.6e-6, 5.3e-6, (3, 1000))
    values = (x, y, lam)
    for link in links:
        values = link(*values)
    got = lam
    for factor in factors:
        got = factor * got
    assert np.array_equal(got, values[2])


def test_mappings_and_identity_carry_the_input():
    assert scaled_input([Mapping((2, 0, 1)), Identity(3)], 0) == (2, ())
    assert scaled_input([models.Scale(3.0) & Identity(2), Mapping((1, 2, 0))], 2) == (0, (3.0,))


def test_anything_else_is_none():
    links = _links()
    assert scaled_input(links, 0) is None  # a polynomial of x + 1 and 2 y
    assert scaled_input(links, 1) == (1, (2.0,))  # 2 y, carried on
    assert scaled_input([models.Shift(1.0) & Identity(2)], 0) is None
    assert scaled_input([models.Scale(2.0) | models.Shift(0.0)], 0) is None
    assert scaled_input([models.Scale(2.0) + models.Scale(1.0)], 0) is None
    assert scaled_input([models.Scale(2.0 * u.m)], 0) is None
