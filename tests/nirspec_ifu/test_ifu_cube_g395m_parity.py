"""cube_build on a NIRSpec IFU G395M/F290LP exposure (the synthetic grating on the CV3 optics)
against jwst 3.0.0's CubeBuildStep, spec2's settings: the grating's cubepar band, its grid
and values."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_cube_grid_as_jwst
from ifu_cube_helpers import cubepar, jwst_cube, our_cal

from spec2x.steps.cube_build import cube_build

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module")
def pair():
    """(our G395M cube, jwst's) from the same exposure with a point source."""
    pytest.importorskip("jwst")
    return cube_build(our_cal("G395M"), cubepar()), jwst_cube("G395M")


def test_same_grid(pair):
    ours, theirs = pair
    assert ours.attrs["GRATING"] == "G395M"
    assert_cube_grid_as_jwst(ours, theirs)
    np.testing.assert_allclose(ours["wavelength"].values[[0, -1]], [2.87, 5.27], atol=0.02)


def test_same_values(pair):
    ours, theirs = pair
    dq = ours["dq"].values
    assert (dq != theirs.dq).mean() < 1e-4
    both = (dq == 0) & (theirs.dq == 0)
    assert both.mean() > 0.3
    for name, jwst in (("sci", theirs.data), ("err", theirs.err)):
        np.testing.assert_allclose(ours[name].values[both], jwst[both], rtol=1e-5, atol=1e-9)
    assert (ours["weightmap"].values != theirs.weightmap).mean() < 1e-4
    worst = np.nanmax(np.abs(ours["sci"].values[both] / theirs.data[both] - 1))
    print(f"G395M cube: largest relative sci difference from jwst {worst:.2e}")
