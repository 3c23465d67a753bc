"""MOS pathloss by hand: the aperture and row a shutter state picks, the two-shutter mean."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.errors import ReferenceMismatchError
from spec2x.instruments.nirspec.pathloss_mos import (
    above_closed,
    below_closed,
    mos_pathloss,
    two_shutter_uniform,
)
from spec2x.io.references import open_reference
from spec2x.synthetic.nirspec_mos_refs import write_mos_pathloss
from spec2x.synthetic.nirspec_slit_refs import write_pathloss


@pytest.mark.parametrize(
    ("state", "below", "above"),
    [("x", True, True), ("1x1", False, False), ("x1", True, False), ("11x", False, True),
     ("0x1", True, False), ("10x01", True, True)],
)  # fmt: skip
def test_neighbours_of_the_source_shutter(state, below, above):
    assert below_closed(state) is below
    assert above_closed(state) is above


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return open_reference(write_mos_pathloss(tmp_path_factory.mktemp("pl") / "p.fits"))


def test_two_shutter_uniform_is_the_mean(reference):
    one, three = reference.content.apertures
    wl, curve = two_shutter_uniform(reference.content)
    np.testing.assert_allclose(curve, 0.5 * (one.uniform + three.uniform))
    assert wl[0] == pytest.approx(0.6)
    assert wl.dtype == np.float64


def _slits(states, ypos=0.0):
    import xarray as xr

    n = len(states)
    wl = np.tile(np.linspace(1.0, 5.0, 6), (n, 2, 1))
    ones = np.ones(wl.shape, np.float32)
    return xr.Dataset(
        {k: (("slit", "y", "x"), ones.copy()) for k in ("sci", "err", "var_poisson", "var_rnoise")}
        | {"dq": (("slit", "y", "x"), np.zeros(wl.shape, np.uint32))},
        coords={
            "wavelength": (("slit", "y", "x"), wl),
            "slit_name": ("slit", [str(i) for i in range(n)]),
            "shutter_state": ("slit", list(states)),
            "srctype": ("slit", ["POINT"] * n),
            "source_xpos": ("slit", np.zeros(n)),
            "source_ypos": ("slit", np.full(n, ypos)),
        },
        attrs={"EXP_TYPE": "NRS_MSASPEC", "INSTRUME": "NIRSPEC"},
    )


def test_state_picks_aperture_and_row(reference):
    """A centred source: lone shutter -> 1x1 centre; 1x3 apertures: centre, or a shutter off."""
    out = mos_pathloss(_slits(["x", "1x1", "x1", "1x"]), reference)
    point = out["pathloss_point"].values[:, 0]
    one, three = reference.content.apertures
    assert (one.shutters, three.shutters) == (1, 3)
    # the 1x3 cube has 61 rows over -1.5..1.5: row 30 is the centre; "x1" (closed below)
    # reads one shutter down (row 10), "1x" one up (row 50)
    wl_grid = np.linspace(0.6, 5.3, 48)
    for k, (cube, row) in enumerate(((one.point, 10), (three.point, 30), (three.point, 10),
                                     (three.point, 50))):  # fmt: skip
        expected = np.interp(out["wavelength"].values[k, 0], wl_grid, cube[:, row, 10])
        np.testing.assert_allclose(point[k], expected, rtol=1e-5)
    assert out["pathloss_correction_type"].values.tolist() == ["POINT"] * 4
    np.testing.assert_allclose(out["sci"].values, 1.0 / out["pathloss_point"].values, rtol=1e-6)


def test_source_outside_and_fixed_slit_file(reference, tmp_path):
    from spec2x.errors import Spec2xWarning

    with pytest.warns(Spec2xWarning, match="lies outside"):
        out = mos_pathloss(_slits(["x"], ypos=0.7), reference)
    assert out["pathloss_correction_type"].values.tolist() == ["NONE"]
    assert out.attrs["S_PTHLOS"] == "SKIPPED"
    with pytest.raises(ReferenceMismatchError, match="not a NIRSpec MOS pathloss"):
        mos_pathloss(_slits(["x"]), open_reference(write_pathloss(tmp_path / "fs.fits")))
