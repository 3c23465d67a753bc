"""extract_1d against jwst 3.0.0's run_extract1d on the same arrays, WCS and references."""

from __future__ import annotations

import numpy as np
import pytest
from extract_helpers import horizontal_wcs, image_arrays, spec2x_exposure, vertical_wcs

from spec2x.io.references import open_reference
from spec2x.steps.extract_1d import extract_1d
from spec2x.synthetic.extract_refs import write_apcorr_miri_lrs, write_extract1d

jwst = pytest.importorskip("jwst")

pytestmark = pytest.mark.parity

COLUMNS = {
    "wavelength": "wavelength",
    "flux": "flux",
    "flux_error": "flux_error",
    "flux_var_poisson": "flux_var_poisson",
    "flux_var_rnoise": "flux_var_rnoise",
    "flux_var_flat": "flux_var_flat",
    "surf_bright": "surf_bright",
    "sb_error": "sb_error",
    "sb_var_poisson": "sb_var_poisson",
    "background": "background",
    "bkg_error": "bkgd_error",
    "bkg_var_poisson": "bkgd_var_poisson",
    "bkg_var_rnoise": "bkgd_var_rnoise",
    "npixels": "npixels",
    "dq": "dq",
}


def _jwst_model(arrays, wcs, meta):
    from stdatamodels.jwst import datamodels as dm

    cube = arrays["sci"].ndim == 3
    model = dm.CubeModel() if cube else dm.ImageModel()
    model.data = arrays["sci"].copy()
    model.dq = arrays["dq"].copy()
    model.var_poisson = arrays["var_poisson"].copy()
    model.var_rnoise = arrays["var_rnoise"].copy()
    model.var_flat = arrays["var_flat"].copy()
    model.err = np.sqrt(model.var_poisson + model.var_rnoise + model.var_flat)
    model.meta.instrument.name = meta["INSTRUME"]
    model.meta.instrument.detector = meta.get("DETECTOR", "MIRIMAGE")
    model.meta.instrument.filter = meta.get("FILTER", "P750L")
    model.meta.exposure.type = meta["EXP_TYPE"]
    model.meta.exposure.nints = arrays["sci"].shape[0] if cube else 1
    model.meta.subarray.name = meta.get("SUBARRAY", "FULL")
    model.meta.observation.date = "2023-07-22"
    model.meta.observation.time = "06:24:45.569"
    model.meta.wcsinfo.dispersion_direction = meta["DISPAXIS"]
    model.meta.target.source_type = meta.get("SRCTYPE")
    if meta.get("S_PHOTOM") == "COMPLETE":
        model.meta.cal_step.photom = "COMPLETE"
        model.meta.photometry.pixelarea_steradians = meta["PIXAR_SR"]
    if "DITH_RA" in meta:
        model.meta.dither.dithered_ra = meta["DITH_RA"]
        model.meta.dither.dithered_dec = meta["DITH_DEC"]
    model.meta.wcs = wcs
    return model


def _run_jwst(arrays, wcs, meta, ref_path, apcorr_path=None, **params):
    from jwst.extract_1d.extract import run_extract1d

    model = _jwst_model(arrays, wcs, meta)
    out, *_ = run_extract1d(
        model,
        extract_ref_name=str(ref_path) if ref_path else "N/A",
        apcorr_ref_name=str(apcorr_path) if apcorr_path else None,
        **params,
    )
    return out.spec[0]


def _compare(ours, spec, rtol=1e-4):
    table = spec.spec_table
    for mine, theirs in COLUMNS.items():
        a = np.asarray(ours[mine].values, dtype=float)
        b = np.asarray(table[theirs], dtype=float)
        assert a.shape == b.shape, (mine, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-10, equal_nan=True, err_msg=mine)


MIRI_META = {"INSTRUME": "MIRI", "EXP_TYPE": "MIR_LRS-FIXEDSLIT", "DISPAXIS": 2, "SUBARRAY": "FULL"}

CASES = {
    "width_partial": {
        "dispaxis": 2,
        "xstart": 20,
        "xstop": 28,
        "ystart": 3,
        "ystop": 36,
        "extract_width": 5.3,
    },
    "start_stop": {"dispaxis": 2, "xstart": 21.4, "xstop": 26.8},
    "poly_bkg": {
        "dispaxis": 2,
        "extract_width": 6,
        "xstart": 21,
        "xstop": 27,
        "bkg_coeff": [[2.5], [9.2], [38.7], [45.5]],
        "bkg_order": 1,
    },
    "poly_bkg_smooth": {
        "dispaxis": 2,
        "extract_width": 6,
        "xstart": 21,
        "xstop": 27,
        "bkg_coeff": [[2.5], [9.2], [38.7], [45.5]],
        "bkg_order": 2,
        "smoothing_length": 5,
    },
    "median_bkg": {
        "dispaxis": 2,
        "extract_width": 4.5,
        "xstart": 21,
        "xstop": 27,
        "bkg_coeff": [[2.5], [9.2], [38.7], [45.5]],
        "bkg_fit": "median",
    },
    "src_coeff": {
        "dispaxis": 2,
        "src_coeff": [[21.2, 0.02], [26.7, 0.02]],
        "ystart": 2,
        "ystop": 37,
    },
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_miri_fixed_slit_parity(tmp_path, name):
    shape = (40, 48)
    wcs = vertical_wcs(shape)
    arrays = image_arrays(shape, seed=len(name))
    aperture = {"id": "MIR_LRS-FIXEDSLIT", "region_type": "target", **CASES[name]}
    ref_path = write_extract1d(
        tmp_path / "x1d.json", [aperture], instrument="MIRI", exp_type="MIR_LRS-FIXEDSLIT"
    )
    table = _run_jwst(arrays, wcs, MIRI_META, ref_path)
    ours = extract_1d(spec2x_exposure(arrays, wcs, MIRI_META), open_reference(ref_path))
    _compare(ours, table)


def test_point_source_photom_apcorr_recentred_parity(tmp_path):
    """Point source after photom: Jy, recentring on DITH_RA/DEC, MIRI LRS aperture correction."""
    shape = (40, 48)
    wcs = vertical_wcs(shape, wl0=12.0, dwl=-0.2)
    arrays = image_arrays(shape, seed=11)
    meta = {
        **MIRI_META,
        "SRCTYPE": "POINT",
        "S_PHOTOM": "COMPLETE",
        "PIXAR_SR": 2.8e-13,
        "DITH_RA": 45.0,
        "DITH_DEC": 45.1 + 1.37 * 0.1 / 3600,
    }
    aperture = {
        "id": "MIR_LRS-FIXEDSLIT",
        "dispaxis": 2,
        "xstart": 20,
        "xstop": 28,
        "extract_width": 5,
    }
    ref_path = write_extract1d(
        tmp_path / "x1d.json", [aperture], instrument="MIRI", exp_type="MIR_LRS-FIXEDSLIT"
    )
    ap_path = write_apcorr_miri_lrs(tmp_path / "apcorr.fits")
    spec = _run_jwst(arrays, wcs, meta, ref_path, ap_path)
    ours = extract_1d(
        spec2x_exposure(arrays, wcs, meta), open_reference(ref_path), apcorr=open_reference(ap_path)
    )
    assert ours["flux"].attrs["units"] == "Jy"
    _compare(ours, spec)
    uncorrected = extract_1d(spec2x_exposure(arrays, wcs, meta), open_reference(ref_path))
    assert np.all(ours["flux"] / uncorrected["flux"] > 1.01)  # the correction did something
    assert float(ours["slit_ra"]) == pytest.approx(spec.slit_ra, abs=1e-9)
    assert float(ours["slit_dec"]) == pytest.approx(spec.slit_dec, abs=1e-9)
    assert float(ours["extraction_xstart"]) == pytest.approx(spec.extraction_xstart)
    assert float(ours["extraction_xstop"]) == pytest.approx(spec.extraction_xstop)


def test_tso_cube_parity_with_bad_integration(tmp_path):
    """MIRI LRS slitless TSO: one spectrum per integration; an all-NaN integration is flagged."""
    from jwst.extract_1d.extract import run_extract1d

    shape = (5, 40, 24)
    wcs = vertical_wcs(shape[1:])
    arrays = image_arrays(shape, seed=5, n_bad=20)
    arrays["sci"][2] = np.nan
    meta = {**MIRI_META, "EXP_TYPE": "MIR_LRS-SLITLESS", "SUBARRAY": "SLITLESSPRISM"}
    aperture = {
        "id": "MIR_LRS-SLITLESS",
        "dispaxis": 2,
        "xstart": 9,
        "xstop": 15,
        "extract_width": 4.4,
        "bkg_coeff": [[1.5], [5.5], [18.5], [22.5]],
        "bkg_order": 0,
    }
    ref_path = write_extract1d(
        tmp_path / "x1d.json", [aperture], instrument="MIRI", exp_type="MIR_LRS-SLITLESS"
    )
    model = _jwst_model(arrays, wcs, meta)
    out, *_ = run_extract1d(model, extract_ref_name=str(ref_path))
    table = out.spec[0].spec_table
    ours = extract_1d(spec2x_exposure(arrays, wcs, meta), open_reference(ref_path))
    assert ours["flux"].dims == ("integration", "spectral")
    assert ours.attrs["DATAMODL"] == "TSOMultiSpecModel"
    for mine, theirs in COLUMNS.items():
        np.testing.assert_allclose(
            np.asarray(ours[mine].values, float),
            np.asarray(table[theirs], float),
            rtol=1e-4,
            atol=1e-10,
            equal_nan=True,
            err_msg=mine,
        )
    assert np.all(ours["dq"].isel(integration=2) & 1)


def test_horizontal_slit_parity(tmp_path):
    """Dispersion along x with a polynomial background, as for a NIRSpec cut-out."""
    shape = (24, 60)
    wcs = horizontal_wcs(shape)
    arrays = image_arrays(shape[::-1], seed=7)
    arrays = {k: np.ascontiguousarray(v.T) for k, v in arrays.items()}
    meta = {
        "INSTRUME": "NIRSPEC",
        "EXP_TYPE": "NRS_FIXEDSLIT",
        "DISPAXIS": 1,
        "DETECTOR": "NRS1",
        "FILTER": "CLEAR",
        "SUBARRAY": "FULL",
        "SRCTYPE": "EXTENDED",
    }
    aperture = {
        "id": "ANY",
        "dispaxis": 1,
        "ystart": 8,
        "ystop": 16,
        "extract_width": 5.5,
        "bkg_coeff": [[0.5], [4.5], [19.5], [23.5]],
        "bkg_order": 1,
    }
    ref_path = write_extract1d(
        tmp_path / "x1d.json", [aperture], instrument="NIRSPEC", exp_type="NRS_FIXEDSLIT"
    )
    spec = _run_jwst(arrays, wcs, meta, ref_path)
    ours = extract_1d(spec2x_exposure(arrays, wcs, meta), open_reference(ref_path))
    _compare(ours, spec)


@pytest.mark.parametrize("sizeunit", ["pixels", "arcsec"])
def test_nirspec_fixed_slits_parity(tmp_path, sizeunit):
    """NIRSpec FS slits product (3 slits of different sizes): one spectrum per slit, MJy point
    sources recentred from source_ypos, pixel-phase aperture correction; an extended slit too."""
    from extract_helpers import NIRSPEC_FS_ATTRS as attrs
    from extract_helpers import NIRSPEC_FS_SLITS as specs
    from extract_helpers import nirspec_fs_slits, spec2x_slits
    from jwst.extract_1d.extract import run_extract1d

    from spec2x.synthetic.extract_refs import write_apcorr_nirspec_fs

    slits, model = nirspec_fs_slits()
    # One aperture per slit: jwst shifts the coefficient lists of a recentred aperture in place,
    # so an "ANY" aperture shared by several slits would carry one slit's shift to the next.
    apertures = [
        {"id": s[0], "dispaxis": 1, "extract_width": 5, "bkg_coeff": [[1.5], [4.5], [16.5], [19.5]]}
        for s in specs
    ]
    ref_path = write_extract1d(
        tmp_path / "x1d.json", apertures, instrument="NIRSPEC", exp_type="NRS_FIXEDSLIT"
    )
    ap_path = write_apcorr_nirspec_fs(
        tmp_path / "apcorr.fits",
        rows=[
            ("CLEAR", "PRISM", "S200A1"),
            ("CLEAR", "PRISM", "S200A2"),
            ("CLEAR", "PRISM", "S1600A1"),
        ],
        size=(0.2, 0.6, 1.2) if sizeunit == "arcsec" else (2.0, 6.0, 12.0),  # 0.1"/pixel
        sizeunit=sizeunit,
    )

    out, *_ = run_extract1d(model, extract_ref_name=str(ref_path), apcorr_ref_name=str(ap_path))

    ours = extract_1d(
        spec2x_slits(slits, attrs), open_reference(ref_path), apcorr=open_reference(ap_path)
    )
    assert ours["flux"].dims == ("slit", "spectral")
    assert list(ours["slit_name"].values) == [s[0] for s in specs]
    for i, spec in enumerate(out.spec):
        n = len(spec.spec_table)
        one = ours.isel(slit=i, spectral=slice(0, n))
        assert np.all(np.isnan(ours["wavelength"].isel(slit=i, spectral=slice(n, None))))
        _compare(one, spec)
        assert float(one["extraction_ystart"]) == pytest.approx(spec.extraction_ystart)
