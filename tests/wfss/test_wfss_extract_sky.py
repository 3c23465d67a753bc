"""RA/Dec of WFSS apertures: every cut-out through the shared imaging steps in one call
(:mod:`spec2x.steps._extract_sky`) equals one call of each cut-out's own WCS to a float64 ulp
(NumPy's vectorised trigonometry rounds the last bit of some elements differently)."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x._kernels.extract_1d import aperture_center
from spec2x.io.fits import open_product
from spec2x.io.references import open_reference
from spec2x.io.source_catalog import read_source_catalog
from spec2x.slits import merge
from spec2x.steps._extract_2d_grism import extract_grism
from spec2x.steps._extract_sky import sky_positions
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.wcs.store import wcs_object


def _cutouts(files):
    refs = {k: str(files["refs"][k]) for k in ("distortion", "filteroffset", "specwcs")}
    exposure = assign_wcs(open_product(files["rate"]), refs)
    ids = [int(i) for i in files["scene"].label[::5]]
    ranges = open_reference(files["refs"]["wavelengthrange"]).content
    return merge(extract_grism(exposure, read_source_catalog(files["catalog"]), ranges,
                               source_ids=ids))  # fmt: skip


def _setups(cutouts):
    """A profile per cut-out: the whole cut-out, off-centre weights (the centre moves)."""
    rng = np.random.default_rng(3)
    setups, wcs_list = [], []
    for i in range(cutouts.sizes["slit"]):
        ny, nx = int(cutouts["ysize"].values[i]), int(cutouts["xsize"].values[i])
        setups.append({"profile": rng.uniform(0.1, 1.0, (ny, nx))})
        wcs_list.append(wcs_object(cutouts["wcs"].values[i]))
    return setups, wcs_list


@pytest.mark.parametrize("grism", ["GRISMR", "GR150C"])
def test_one_call_equals_each_cutouts_own_wcs(wfss, grism):
    setups, wcs_list = _setups(_cutouts(wfss(grism)))
    assert len({id(w.pipeline[1].transform) for w in wcs_list}) == 1  # one shared grism WCS
    sky_positions(setups, wcs_list)
    for setup, wcs in zip(setups, wcs_list, strict=True):
        cy, cx = aperture_center(setup["profile"], 1)
        ra, dec = wcs(cx, cy)[:2]
        np.testing.assert_allclose([setup["ra"], setup["dec"]], [ra, dec], rtol=2.3e-16, atol=0)
    assert len({round(s["ra"], 9) for s in setups}) > 5  # the sources' own positions


def test_no_wcs_and_the_check_of_the_first_cutout(wfss, monkeypatch):
    import spec2x.steps._extract_sky as sky

    setups, wcs_list = _setups(_cutouts(wfss("GRISMR")))
    wcs_list[2] = None
    sky_positions(setups, wcs_list)
    assert np.isnan(setups[2]["ra"])
    assert np.isnan(setups[2]["dec"])
    assert np.isfinite([setups[0]["ra"], setups[3]["dec"]]).all()
    # the shared call disagrees with the first cut-out's own WCS: every cut-out alone
    monkeypatch.setattr(sky, "_one", lambda wcs, centre: (1.0, 2.0))
    sky_positions(setups, wcs_list)
    assert {(s["ra"], s["dec"]) for i, s in enumerate(setups) if i != 2} == {(1.0, 2.0)}
