"""The photom/area readers and synthetic writers; real NIRSpec FS photom and area files."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import REALDATA, nirspec_multislit

from spec2x import make_exposure, open_reference
from spec2x.io.refs_pixel import PhotomTable, PixelArea
from spec2x.steps.photom import photom
from spec2x.synthetic.pixel_refs import (
    write_miri_photom,
    write_nirspec_fs_area,
    write_nirspec_fs_photom,
    write_pixel_area,
)

NRS_PHOTOM = REALDATA / "nirspec" / "jwst_nirspec_photom_0014.fits"
NRS_AREA = REALDATA / "nirspec" / "jwst_nirspec_area_0020.fits"


def _strict(cls, path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = cls(str(path), strict_validation=True)
        model.validate()
    return model


def test_synthetic_photom_and_area_files_validate(tmp_path):
    from stdatamodels.jwst import datamodels as dm

    waves = np.linspace(4.0, 15.0, 33)
    miri = write_miri_photom(
        tmp_path / "m.fits",
        wavelength_um=waves,
        relresponse=waves / 10,
        photmjsr=0.7,
        timecoeff_linear={"t0": 59800.0, "lossperyear": 0.01},
    )
    m = _strict(dm.MirLrsPhotomModel, miri)
    ref = open_reference(miri)
    assert isinstance(ref.content, PhotomTable)
    np.testing.assert_array_equal(ref.content.columns["photmjsr"], m.phot_table["photmjsr"])
    np.testing.assert_array_equal(ref.content.columns["wavelength"], m.phot_table["wavelength"])
    np.testing.assert_array_equal(ref.content.timecoeff["linear"]["t0"], m.timecoeff_linear["t0"])
    assert ref.content.pixar_sr == pytest.approx(m.meta.photometry.pixelarea_steradians)

    rows = [
        {
            "filter": "CLEAR",
            "grating": "PRISM",
            "slit": s,
            "photmj": 1e-3,
            "wavelength": np.linspace(0.6, 5.3, n),
            "relresponse": np.ones(n),
        }
        for s, n in (("S200A1", 20), ("S1600A1", 35))
    ]
    nrs = write_nirspec_fs_photom(tmp_path / "n.fits", rows=rows)
    n = _strict(dm.NrsFsPhotomModel, nrs)
    assert list(n.phot_table["nelem"]) == [20, 35]
    assert list(open_reference(nrs).content.find_rows(slit="s1600a1")) == [1]

    area = write_nirspec_fs_area(tmp_path / "a.fits", pixarea={"S200A1": 0.022, "S1600A1": 0.17})
    a = _strict(dm.NirspecSlitAreaModel, area)
    aref = open_reference(area)
    assert isinstance(aref.content, PixelArea)
    assert aref.content.image is None
    np.testing.assert_array_equal(aref.content.table["pixarea"], a.area_table["pixarea"])

    pix = write_pixel_area(
        tmp_path / "p.fits",
        instrument="MIRI",
        detector="MIRIMAGE",
        shape=(8, 9),
        pixar_sr=2.8e-13,
        pixar_a2=0.0121,
    )
    p = _strict(dm.PixelAreaModel, pix)
    np.testing.assert_array_equal(open_reference(pix).content.image, p.data)


def test_real_nirspec_fs_photom_and_area_files():
    ref = open_reference(NRS_PHOTOM)
    assert ref.content.nrows == 45
    assert len(ref.content.find_rows(filter="CLEAR", grating="PRISM", slit="S200A1")) == 1
    area = open_reference(NRS_AREA)
    assert list(area.content.table["slit_id"]) == [
        "S200A1",
        "S200A2",
        "S400A1",
        "S1600A1",
        "S200B1",
    ]


@pytest.mark.parity
def test_real_nirspec_fs_refs_match_jwst():
    pytest.importorskip("jwst")
    from jwst.photom.photom import DataSet
    from stdatamodels.jwst import datamodels as dm

    names, srctypes = ["S200A1", "S400A1", "S200B1"], ["POINT", "EXTENDED", "EXTENDED"]
    gen = np.random.default_rng(5)
    shape = (3, 6, 30)
    sci = gen.normal(3.0, 1.0, shape).astype(np.float32)
    vp = gen.uniform(0.01, 0.1, shape).astype(np.float32)
    attrs = {
        "INSTRUME": "NIRSPEC",
        "DETECTOR": "NRS1",
        "EXP_TYPE": "NRS_FIXEDSLIT",
        "FILTER": "F170LP",
        "GRATING": "G235M",
    }
    wl = np.broadcast_to(np.linspace(1.6, 3.3, 30), shape).copy()
    ds = make_exposure(sci, var_poisson=vp, attrs=attrs).rename({"integration": "slit"})
    ds = ds.drop_vars("slit").assign_coords(
        slit_name=("slit", names), srctype=("slit", srctypes), wavelength=(("slit", "y", "x"), wl)
    )
    ours = photom(ds, open_reference(NRS_PHOTOM), area=open_reference(NRS_AREA))

    model = nirspec_multislit(filter="F170LP", grating="G235M")
    for i, name in enumerate(names):
        slit = dm.SlitModel(
            data=sci[i].copy(),
            err=ds["err"].values[i].copy(),
            dq=np.zeros(shape[1:], np.uint32),
            var_poisson=vp[i].copy(),
            var_rnoise=np.zeros(shape[1:], np.float32),
            var_flat=np.zeros(shape[1:], np.float32),
        )
        slit.name, slit.source_type, slit.wavelength = name, srctypes[i], wl[i].copy()
        model.slits.append(slit)
    result = DataSet(model).apply_photom(str(NRS_PHOTOM), str(NRS_AREA))
    for i, slit in enumerate(result.slits):
        for ours_name, theirs in (("sci", "data"), ("err", "err"), ("var_poisson", "var_poisson")):
            np.testing.assert_allclose(
                ours[ours_name].values[i], getattr(slit, theirs), rtol=1e-5, equal_nan=True
            )
        np.testing.assert_array_equal(ours["dq"].values[i], slit.dq)
        assert ours["bunit_data"].values[i] == slit.meta.bunit_data


def test_synthetic_mos_files_validate(tmp_path):
    from stdatamodels.jwst import datamodels as dm

    from spec2x.synthetic.pixel_refs import write_nirspec_mos_area, write_nirspec_mos_photom

    rows = [
        {
            "filter": "CLEAR",
            "grating": "PRISM",
            "photmj": 1e-3,
            "wavelength": np.linspace(0.6, 5.3, 9),
            "relresponse": np.ones(9),
        }
    ]
    phot = write_nirspec_mos_photom(tmp_path / "mp.fits", rows=rows)
    assert _strict(dm.NrsMosPhotomModel, phot).phot_table["nelem"][0] == 9
    area = write_nirspec_mos_area(tmp_path / "ma.fits", shutters=[(1, 2, 3, 0.02), (4, 5, 6, 0.03)])
    model = _strict(dm.NirspecMosAreaModel, area)
    table = open_reference(area).content.table
    np.testing.assert_array_equal(table["shutter_y"], model.area_table["shutter_y"])
    np.testing.assert_array_equal(table["pixarea"], model.area_table["pixarea"])
