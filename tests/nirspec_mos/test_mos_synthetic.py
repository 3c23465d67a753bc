"""The synthetic MOS exposure: spectra where the WCS puts them, sky in every aperture, the nod."""

from __future__ import annotations

import numpy as np
import pytest
from gwcs.wcstools import grid_from_bounding_box

from spec2x.instruments.nirspec.fs import slits_from_attrs
from spec2x.instruments.nirspec.msa_wcs import assign_msa_slits
from spec2x.io.fits import open_exposure
from spec2x.io.references import open_reference
from spec2x.synthetic.nirspec_msa_scene import make_nirspec_mos
from spec2x.wcs.store import get_wcs

SKY = 0.05


@pytest.fixture(scope="module")
def truth(tmp_path_factory):
    return make_nirspec_mos(
        3, folder=tmp_path_factory.mktemp("mos"), dither_points=(1, 2), noise=False
    )


@pytest.fixture(scope="module")
def assigned(truth):
    refs = {k: open_reference(v, k) for k, v in truth.refs.items()}
    out = []
    for path in truth.rate_paths:
        ds = open_exposure(path)
        ds.encoding["source"] = str(path)  # MSAMETFL is a bare name, beside the exposure
        out.append(assign_msa_slits(ds, refs))
    return out


def _columns(ds, slit):
    """(wavelength at the source trace [µm], sky-subtracted column sums [DN/s], peak rows, trace y)."""
    wcs = get_wcs(ds, slit=slit.name)
    x, y = grid_from_bounding_box(wcs.bounding_box)
    inslit = np.isfinite(wcs(x, y)[2])
    cut = ds["sci"].values[y.astype(int), x.astype(int)]
    sums = np.where(inslit, cut - SKY, 0.0).sum(axis=0)
    lam = np.linspace(0.7e-6, 5.2e-6, 400)
    xt, yt = wcs.get_transform("slit_frame", "detector")(
        np.full(lam.size, slit.source_xpos), np.full(lam.size, slit.source_ypos), lam
    )
    lam_c = np.interp(x[0], xt, lam * 1e6)
    return lam_c, sums, y[np.argmax(cut, axis=0), 0], np.interp(x[0], xt, yt)


def test_every_source_spectrum_comes_back(truth, assigned):
    ds = assigned[0]
    slits = slits_from_attrs(ds.attrs)
    sources = [s for s in slits if s.source_id in truth.amplitude]
    assert len(slits) == 29
    assert len(sources) == 25  # 24 MSA sources (28 on NRS1, 4 background only) + S200A1
    for slit in sources:
        lam, sums, peak, trace_y = _columns(ds, slit)
        good = (lam > 0.8) & (lam < 5.0)
        expect = truth.spectrum(slit.source_id, lam[good]) / truth.photmj
        np.testing.assert_allclose(sums[good], expect, rtol=2e-3, err_msg=slit.name)
        # the brightest pixel of each column is the trace's
        assert np.max(np.abs(peak[good] - trace_y[good])) <= 0.5 + 1e-9, slit.name


def test_background_slitlets_hold_only_sky(assigned):
    ds = assigned[0]
    bkg = [s for s in slits_from_attrs(ds.attrs) if s.source_name.startswith("1234_BKG")]
    assert len(bkg) == 4
    for slit in bkg:
        _, sums, _, _ = _columns(ds, slit)
        assert np.max(np.abs(sums)) < 1e-4


def test_nod_moves_the_source_one_shutter_up(assigned):
    """Point 2 of the nod: the source in the upper shutter, ~1 shutter pitch (~5 px) away."""
    first = {s.name: s for s in slits_from_attrs(assigned[0].attrs)}
    second = {s.name: s for s in slits_from_attrs(assigned[1].attrs)}
    name = next(n for n, s in first.items() if s.quadrant < 5 and s.source_id < 100 and n in second)
    assert second[name].shutter_state == "11x"
    _, _, _, y1 = _columns(assigned[0], first[name])
    _, _, _, y2 = _columns(assigned[1], second[name])
    shift = np.nanmedian(y2 - y1)
    assert 3.0 < abs(shift) < 8.0


def test_rate_files_open_in_stdatamodels(truth):
    from stdatamodels.jwst import datamodels

    with datamodels.open(str(truth.rate_paths[0])) as model:
        assert model.meta.exposure.type == "NRS_MSASPEC"
        assert model.meta.instrument.msa_metadata_file == truth.msa_metadata.name
        assert model.meta.instrument.msa_metadata_id == 1
        assert model.meta.dither.position_number == 1
