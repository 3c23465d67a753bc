"""extract_1d on WFSS cut-outs: one spectrum per source and order, against jwst 3.0.0.

jwst's Extract1dStep (no extract1d reference: the whole cut-out height,
no background) on its photom output writes a WFSSMultiSpecModel, one table
per order with a row per source; spec2x's extract_1d on its own photom
output must give the same wavelengths, fluxes, surface brightness, errors
and pixel counts to 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from wfss_helpers import compare_wfss_x1d

from spec2x.io.references import open_reference
from spec2x.slits import map_groups, merge, merge_spectra
from spec2x.steps._extract_params import spectrum_info
from spec2x.steps.extract_1d import extract_1d
from spec2x.steps.photom import photom
from spec2x.wcs.store import wcs_object

_COLUMNS = {
    "wavelength": "WAVELENGTH",
    "flux": "FLUX",
    "flux_error": "FLUX_ERROR",
    "surf_bright": "SURF_BRIGHT",
    "npixels": "NPIXELS",
}


@pytest.fixture(scope="module")
def spectra(grismr_cutouts):
    cal = map_groups(photom, grismr_cutouts["cutouts"], open_reference(grismr_cutouts["photom"]))
    cal = map_groups(lambda g: g.assign(var_flat=0 * g["var_poisson"]), cal)
    out = map_groups(extract_1d, cal)
    return merge_spectra(out) if isinstance(out, xr.DataTree) else out


@pytest.mark.parity
def test_spectra_equal_jwst(spectra, jwst_grismr):
    tables = jwst_grismr["extract_1d"].spec
    ours = spectra
    compared = compare_wfss_x1d(ours, tables, _COLUMNS, rtol=1e-6)
    assert compared == ours.sizes["slit"] > 10


def test_orders_of_one_source_keep_their_own_cutout(grismr_cutouts):
    """A source's orders share its slit name: each spectrum takes its own cut-out's extent,
    source position and WCS (by slit position, not by name)."""
    cutouts = merge(grismr_cutouts["cutouts"])
    # source 0 in orders 1 and 2 (the second cut-out 7 pixels on, with another slit's WCS)
    two = cutouts.isel(slit=[0, 0]).assign_coords(
        spectral_order=("slit", [1, 2]),
        xstart=("slit", cutouts["xstart"].values[[0, 0]] + [0, 7]),
        wcs=("slit", cutouts["wcs"].values[[0, 1]]),
    )
    two = two.assign(var_flat=0 * two["var_poisson"])
    assert len(set(two["slit_name"].values.tolist())) == 1
    own = [wcs_object(cutouts["wcs"].values[k])(3.0, 2.0) for k in (0, 1)]
    for item, world in zip(spectrum_info(two), own, strict=True):
        np.testing.assert_array_equal(wcs_object(item["wcs"])(3.0, 2.0), world)
    spectra = extract_1d(two)
    xstart, xsize = int(cutouts["xstart"].values[0]), int(cutouts["xsize"].values[0])
    np.testing.assert_array_equal(spectra["extract2d_xstart"].values, [xstart, xstart + 7])
    np.testing.assert_array_equal(
        spectra["extract2d_xstop"].values, [xstart + xsize, xstart + 7 + xsize]
    )
    for c in ("source_xpos", "source_ypos", "source_ra", "source_dec"):
        np.testing.assert_array_equal(spectra[c].values, cutouts[c].values[[0, 0]])


def test_blocks_of_one_slit_give_the_same_spectra(spectra, grismr_cutouts, monkeypatch):
    """Blocks of one cut-out (views of the group's pixels) give the group's spectra bit for bit."""
    from spec2x.steps import extract_1d as step

    monkeypatch.setattr(step, "BLOCK_PIXELS", 1)
    cal = map_groups(photom, grismr_cutouts["cutouts"], open_reference(grismr_cutouts["photom"]))
    cal = map_groups(lambda g: g.assign(var_flat=0 * g["var_poisson"]), cal)
    out = map_groups(extract_1d, cal)
    blocks = merge_spectra(out) if isinstance(out, xr.DataTree) else out
    for name in ("flux", "flux_var_poisson", "surf_bright", "npixels", "wavelength"):
        np.testing.assert_array_equal(blocks[name].values, spectra[name].values)


def test_profiles_kept_as_float32_only_when_exact():
    from spec2x.steps.extract_1d import _kept

    box = np.array([[0.0, 1.0], [1.0, 0.5]])
    assert _kept(box).dtype == np.float32
    np.testing.assert_array_equal(_kept(box), box)
    edge = np.array([[0.0, 1.0 / 3.0]])
    assert _kept(edge).dtype == np.float64
