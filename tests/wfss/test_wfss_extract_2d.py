"""extract_2d on a WFSS exposure: every catalogue source and order cut out, against jwst 3.0.0.

The synthetic NIRCam GRISMR exposure (100 sources) after assign_wcs; jwst's
Extract2dStep (default parameters, every reference overridden) on every
third source (jwst takes ~0.3 s a cut-out) must give the same cut-outs in
the same order: identical pixels, the same starts and sizes, identical
float32 wavelengths and the same source metadata (exactly).
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.errors import InputFileError
from spec2x.io.fits import open_product
from spec2x.io.references import open_reference
from spec2x.io.source_catalog import read_source_catalog
from spec2x.pipeline import run_step
from spec2x.slits import iter_slits
from spec2x.steps._extract_2d_grism import extract_grism
from spec2x.steps.assign_wcs import assign_wcs

_WCS_TYPES = ("distortion", "filteroffset", "specwcs")


@pytest.fixture(scope="module")
def grismr(wfss):
    files = wfss("GRISMR")
    refs = {k: str(files["refs"][k]) for k in _WCS_TYPES}
    return files, assign_wcs(open_product(files["rate"]), refs)


def _slits(tree):
    return [s.isel(slit=0) for s in iter_slits(tree)]


def test_every_box_cut_out_in_groups(grismr):
    files, ours = grismr
    ranges = open_reference(files["refs"]["wavelengthrange"]).content
    tree = extract_grism(ours, read_source_catalog(files["catalog"]), ranges)
    slits = _slits(tree)
    assert len(slits) > 50
    for s in slits[:20]:
        x0, y0 = int(s["xstart"]) - 1, int(s["ystart"]) - 1
        ny, nx = s.sizes["y"], s.sizes["x"]
        np.testing.assert_array_equal(s["sci"], ours["sci"][y0 : y0 + ny, x0 : x0 + nx])
        assert np.isfinite(s["wavelength"]).mean() > 0.9


def test_chain_step_reads_scatfile(grismr, monkeypatch):
    files, ours = grismr
    monkeypatch.chdir(files["catalog"].parent)
    tree = run_step(ours, "extract_2d", {"wavelengthrange": files["refs"]["wavelengthrange"]})
    assert len(_slits(tree)) > 50


def test_catalogue_of_another_field_is_one_clear_error(grismr):
    files, ours = grismr
    ranges = open_reference(files["refs"]["wavelengthrange"]).content
    catalog = read_source_catalog(files["catalog"])
    far = type(catalog)(**{**catalog.__dict__, "corner_dec": catalog.corner_dec + 5.0})
    with pytest.raises(InputFileError, match="no source of .* disperses onto"):
        extract_grism(ours, far, ranges)


@pytest.mark.parity
def test_cutouts_equal_jwst_extract_2d(grismr_cutouts, jwst_grismr):
    """jwst's Extract2dStep (defaults) on every fourth source against spec2x's cut-outs."""
    want = jwst_grismr["extract_2d"].slits
    got = _slits(grismr_cutouts["cutouts"])
    assert len(got) == len(want) > 10
    for s, j in zip(got, want, strict=True):
        assert (str(s["slit_name"].values), int(s["spectral_order"])) == (
            j.name,
            j.meta.wcsinfo.spectral_order,
        )
        assert [int(s[k]) for k in ("xstart", "ystart", "xsize", "ysize")] == [
            j.xstart,
            j.ystart,
            j.xsize,
            j.ysize,
        ]
        np.testing.assert_array_equal(s["sci"], j.data)
        np.testing.assert_array_equal(s["dq"], j.dq)
        np.testing.assert_array_equal(s["wavelength"], j.wavelength)
        assert (float(s["source_xpos"]), float(s["source_ypos"])) == (j.source_xpos, j.source_ypos)
        assert (float(s["source_ra"]), float(s["source_dec"])) == (j.source_ra, j.source_dec)
        assert bool(s["is_extended"]) == bool(j.is_extended)
        lam = s["wcs"].item().wcs(5.0, 2.0)[2]
        assert lam == pytest.approx(j.meta.wcs(5.0, 2.0)[2], abs=1e-9)
