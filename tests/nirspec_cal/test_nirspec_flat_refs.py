"""Synthetic NIRSpec cal references: valid for stdatamodels, physically sensible, read back."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import REALDATA

from spec2x.dq import DQ
from spec2x.errors import InputFileError
from spec2x.io.references import ReferenceSet, open_reference
from spec2x.synthetic import nirspec_cal_refs as ncr

REAL = str(REALDATA / "nirspec")


@pytest.mark.parametrize(("grating", "filter_name"), sorted(ncr.MODES))
def test_valid_in_stdatamodels(tmp_path, grating, filter_name):
    dm = pytest.importorskip("stdatamodels.jwst.datamodels")
    paths = ncr.write_nirspec_cal_refs(
        tmp_path, grating=grating, filter_name=filter_name, shape=(32, 64)
    )
    for key in ("fflat", "sflat", "dflat"):
        with dm.NirspecFlatModel(str(paths[key])) as m:
            m.validate()
            assert m.meta.reftype.upper() == key.upper()
    with dm.WaveCorrModel(str(paths["wavecorr"])) as m:
        m.validate()
        assert [a.aperture_name for a in m.apertures] == list(ncr.FS_SLITS)
    with dm.PathlossModel(str(paths["pathloss"])) as m:
        m.validate()
        assert [a.name for a in m.apertures] == list(ncr.FS_SLITS)
        assert m.apertures[0].pointsource_data.shape == (48, 21, 21)
    fflat = open_reference(paths["fflat"]).content
    lo, hi = ncr.MODES[(grating, filter_name)]
    for wl in fflat.table.wavelength:
        assert wl.min() < lo
        assert wl.max() > hi
    # the files are found by their selectors
    refs = ReferenceSet(directory=tmp_path)
    attrs = {
        "INSTRUME": "NIRSPEC",
        "EXP_TYPE": "NRS_FIXEDSLIT",
        "DETECTOR": "NRS1",
        "FILTER": filter_name,
        "GRATING": grating,
    }
    for key in ("fflat", "sflat", "dflat", "wavecorr", "pathloss"):
        assert refs.find(key, attrs) == str(paths[key])


def test_flats_vary_with_wavelength_and_position(tmp_path):
    d = open_reference(ncr.write_dflat(tmp_path / "d.fits", shape=(64, 128))).content
    assert d.data.shape == (5, 64, 128)
    assert d.dq.shape == (64, 128)
    assert ((np.asarray(d.dq) & DQ.DO_NOT_USE) != 0).sum() > 10  # images read where indexed
    assert np.std(d.data[:, 10, 10]) > 1e-4  # changes with wavelength
    assert np.std(d.data[2]) > 0.005  # and from pixel to pixel
    s = open_reference(ncr.write_sflat(tmp_path / "s.fits", shape=(64, 128), nplanes=3)).content
    assert s.data.shape == (3, 64, 128)
    assert len(s.image_wavelength) == 3
    assert abs(s.data[1, :, -1].mean() - s.data[1, :, 0].mean()) > 1e-3


def test_pathloss_depends_on_position_and_wavelength(tmp_path):
    pl = open_reference(ncr.write_pathloss(tmp_path / "p.fits")).content
    ap = pl.aperture("S200A1")
    centre, edge = ap.point[:, 10, 10], ap.point[:, 10, 18]
    assert (edge < centre).all()  # off-centre loses more
    assert centre[0] > centre[-1]  # long wavelengths lose more
    wide = pl.aperture("S1600A1").point[:, 10, 10]
    assert (wide >= centre - 1e-6).all()
    assert ap.uniform[0] > ap.uniform[-1]
    assert pl.aperture("NOPE") is None


def test_wavecorr_offset_follows_source_position(tmp_path):
    wc = open_reference(ncr.write_wavecorr(tmp_path / "w.asdf")).content
    ap = wc.apertures["S400A1"]
    np.testing.assert_allclose(ap.offset[:, 10], 0.0, atol=1e-12)  # centred: no offset
    assert (ap.offset[:, 0] > 1.5).all()  # -0.5 * 4 pixels * (1 - <=15 %)
    assert ap.wavelength[0] == pytest.approx(0.6e-6)


def test_real_references_read():
    f = open_reference(f"{REAL}/jwst_nirspec_fflat_0017.fits").content
    assert f.data is None
    assert f.table.slit_names == ("s200a1", "s200a2", "s400a1", "s200b1", "s1600a1")
    assert f.table.row("S1600A1", "NRS_FIXEDSLIT") == 4
    assert f.table.row("S9999", "NRS_FIXEDSLIT") is None
    assert f.table.row("S9999", "NRS_MSASPEC") == 0
    assert np.isnan(f.table.error[0]).all()  # the old file has no error column
    w = open_reference(f"{REAL}/jwst_nirspec_wavecorr_0001.asdf").content
    assert set(w.apertures) == set(ncr.FS_SLITS)
    assert w.apertures["S200A1"].offset.shape == (21, 21)


def test_bad_files(tmp_path):
    from astropy.io import fits

    path = tmp_path / "bad.fits"
    hdr = fits.Header({"REFTYPE": "SFLAT", "INSTRUME": "NIRSPEC"})
    fits.HDUList([fits.PrimaryHDU(header=hdr)]).writeto(path)
    with pytest.raises(InputFileError, match="FAST_VARIATION"):
        open_reference(path)
