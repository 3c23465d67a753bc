"""Aperture-correction kernels against jwst's ApCorr / ApCorrPhase on the same tables."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import nirspec_multislit

from spec2x._kernels import apcorr as ap
from spec2x.io.references import open_reference
from spec2x.synthetic.extract_refs import write_apcorr_miri_lrs, write_apcorr_nirspec_fs


def test_select_row_and_errors(tmp_path):
    ref = open_reference(write_apcorr_miri_lrs(tmp_path / "a.fits"))
    row = ap.select_row(ref.content["rows"], {"subarray": "slitlessprism"})
    assert row["subarray"] == "SLITLESSPRISM"
    with pytest.raises(LookupError):
        ap.select_row(ref.content["rows"], {"subarray": "SUB64"})


def test_lrs_correction_by_hand(tmp_path):
    """Bilinear in (size, wavelength): at table nodes it returns the table, between them the mean."""
    wl = np.array([5.0, 10.0])
    size = np.array([2, 4])
    table = np.array([[1.4, 1.2], [1.6, 1.3]])  # [wavelength, size]
    ref = open_reference(
        write_apcorr_miri_lrs(tmp_path / "a.fits", wavelength=wl, size=size, apcorr=table)
    )
    f = ap.lrs_correction(ref.content["rows"][0])
    np.testing.assert_allclose(
        f(np.array([2, 4, 3]), np.array([5.0, 10.0, 7.5])), [1.4, 1.3, 1.375], rtol=1e-6
    )


@pytest.mark.parity
def test_lrs_and_phase_parity(tmp_path):
    pytest.importorskip("jwst")
    from jwst.extract_1d.apply_apcorr import ApCorr, ApCorrPhase
    from stdatamodels.jwst import datamodels as dm

    rng = np.random.default_rng(0)
    path = write_apcorr_miri_lrs(tmp_path / "lrs.fits")
    model = dm.ImageModel()
    model.meta.instrument.name = "MIRI"
    model.meta.exposure.type = "MIR_LRS-FIXEDSLIT"
    model.meta.subarray.name = "FULL"
    refmodel = dm.MirLrsApcorrModel(str(path))
    theirs = ApCorr(model, refmodel.apcorr_table, refmodel.sizeunit)
    npix = rng.uniform(0, 12, 50)
    wave = rng.uniform(3, 15, 50)
    expected = np.array([theirs.apcorr_func(n, w).item() for n, w in zip(npix, wave, strict=True)])
    row = ap.select_row(open_reference(path).content["rows"], {"subarray": "FULL"})
    np.testing.assert_allclose(ap.lrs_correction(row)(npix, wave), expected, rtol=1e-12)

    path = write_apcorr_nirspec_fs(tmp_path / "fs.fits", rows=[("CLEAR", "PRISM", "S200A1")])
    model = nirspec_multislit()
    refmodel = dm.NrsFsApcorrModel(str(path))
    theirs = ApCorrPhase(model, refmodel.apcorr_table, refmodel.sizeunit, slit="S200A1")
    wave = np.concatenate([rng.uniform(0.6, 5.3, 40), [0.3, 6.0]])  # two outside the table
    npix = rng.uniform(1, 14, wave.size)
    table = np.zeros(wave.size, dtype=[("wavelength", "f8"), ("npixels", "f8")])
    table["wavelength"], table["npixels"] = wave, npix
    theirs.tabulate_correction(table)
    row = ap.select_row(
        open_reference(path).content["rows"],
        {"filter": "CLEAR", "grating": "PRISM", "slit": "S200A1"},
    )
    ours = ap.phase_correction(row)(wave, npix)
    np.testing.assert_allclose(ours, theirs.tabulated_correction, rtol=1e-12)
    assert ours[-1] == 1.0
    assert ours[-2] == 1.0
