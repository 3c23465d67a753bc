"""resample_spec against jwst 3.0.0's ResampleSpecStep on the same slit images and WCS."""

from __future__ import annotations

import numpy as np
import pytest
from extract_helpers import image_arrays, spec2x_exposure, vertical_wcs
from helpers import nirspec_multislit

from spec2x.steps.resample_spec import resample_spec
from spec2x.wcs.store import get_wcs

jwst = pytest.importorskip("jwst")

pytestmark = pytest.mark.parity


def _lrs_wcs(shape):
    """A tilted MIRI-LRS-like WCS: dispersion along y, slit along x, both RA and Dec change."""
    import gwcs
    from astropy.modeling.models import Mapping, Polynomial1D, Scale, Shift

    xc = shape[1] / 2.0
    ra = Shift(-xc) | Scale(0.11 / 3600 * 0.6) | Shift(80.0)
    dec = Shift(-xc) | Scale(0.11 / 3600 * 0.8) | Shift(-69.5)
    wave = Polynomial1D(2, c0=14.0, c1=-0.25, c2=0.0015)
    transform = Mapping((0, 0, 1), n_inputs=2) | ra & dec & wave
    transform.inverse = Mapping((0, 2), n_inputs=3) | (
        ra.inverse & Shift(0) | Mapping((0, 0)) | (Shift(0) & Shift(0))
    )
    w = gwcs.WCS(
        transform,
        input_frame=gwcs.Frame2D(name="detector"),
        output_frame=gwcs.CoordinateFrame(
            name="world",
            naxes=3,
            axes_order=(0, 1, 2),
            axes_type=["SPATIAL", "SPATIAL", "SPECTRAL"],
        ),
    )
    w.bounding_box = ((2.5, shape[1] - 3.5), (1.5, shape[0] - 2.5))
    return w


def _jwst_resample(arrays, wcs, attrs):
    from jwst.resample import ResampleSpecStep
    from jwst_offline import jwst_offline_env
    from stdatamodels.jwst import datamodels as dm

    model = dm.ImageModel()
    model.data = arrays["sci"].copy()
    model.dq = arrays["dq"].copy()
    model.var_poisson = arrays["var_poisson"].copy()
    model.var_rnoise = arrays["var_rnoise"].copy()
    model.var_flat = arrays["var_flat"].copy()
    model.err = np.sqrt(model.var_poisson + model.var_rnoise + model.var_flat)
    model.meta.instrument.name = attrs["INSTRUME"]
    model.meta.instrument.detector = "MIRIMAGE"
    model.meta.instrument.filter = "P750L"
    model.meta.exposure.type = attrs["EXP_TYPE"]
    model.meta.observation.date = "2023-07-22"
    model.meta.observation.time = "06:24:45.569"
    model.meta.exposure.start_time = 60000.0
    model.meta.exposure.end_time = 60000.01
    model.meta.exposure.exposure_time = 100.0
    model.meta.exposure.measurement_time = 100.0
    model.meta.wcsinfo.dispersion_direction = attrs["DISPAXIS"]
    model.meta.photometry.pixelarea_steradians = 2.8e-13
    model.meta.bunit_data = "MJy/sr"
    model.meta.bunit_err = "MJy/sr"
    model.meta.wcs = wcs
    model.meta.wcsinfo.s_region = (
        "POLYGON ICRS  45.0 45.099 45.001 45.099 45.001 45.101 45.0 45.101"
    )
    with jwst_offline_env():
        step = ResampleSpecStep()
        return step.run(model)


def test_miri_lrs_fixed_slit_parity():
    shape = (60, 40)
    wcs = vertical_wcs(shape, wl0=12.0, dwl=-0.12)
    arrays = image_arrays(shape, seed=9)
    attrs = {
        "EXP_TYPE": "MIR_LRS-FIXEDSLIT",
        "INSTRUME": "MIRI",
        "DISPAXIS": 2,
        "PIXAR_SR": 2.8e-13,
    }
    theirs = _jwst_resample(arrays, wcs, attrs)
    ours = resample_spec(spec2x_exposure(arrays, wcs, attrs))
    assert ours.attrs["DATAMODL"] == "SlitModel"
    assert ours.attrs["S_RESAMP"] == "COMPLETE"
    one = ours.isel(slit=0)
    assert one["sci"].shape == theirs.data.shape
    for name, ref in (
        ("sci", theirs.data),
        ("wht", theirs.wht),
        ("var_rnoise", theirs.var_rnoise),
        ("var_poisson", theirs.var_poisson),
        ("var_flat", theirs.var_flat),
        ("err", theirs.err),
    ):
        np.testing.assert_allclose(
            one[name].values, ref, rtol=1e-5, atol=1e-7, equal_nan=True, err_msg=name
        )
    np.testing.assert_allclose(
        one["wavelength"].values, theirs.wavelength, rtol=1e-7, equal_nan=True
    )
    # the stored output WCS maps pixels to the same world coordinates as jwst's
    yy, xx = np.mgrid[: one.sizes["y"], : one.sizes["x"]].astype(float)
    ours_world = np.array(get_wcs(ours, slit=str(ours["slit_name"].values[0]))(xx, yy))
    theirs_world = np.array(theirs.meta.wcs(xx, yy))
    np.testing.assert_allclose(ours_world, theirs_world, rtol=1e-10, equal_nan=True)


def test_nirspec_fixed_slits_parity():
    """Two NIRSpec slits of different sizes: each rectified on its own grid, as jwst does."""
    from extract_helpers import horizontal_wcs, jwst_slit, spec2x_slits
    from jwst.resample import ResampleSpecStep
    from jwst_offline import jwst_offline_env

    specs = [("S200A1", (22, 50), 1.0), ("S1600A1", (26, 44), 1.3)]
    slits = []
    for i, (name, shape, wl0) in enumerate(specs):
        arrays = image_arrays(shape[::-1], seed=30 + i)
        arrays = {k: np.ascontiguousarray(v.T) for k, v in arrays.items()}
        slits.append(
            {
                "name": name,
                "wcs": horizontal_wcs(shape, wl0=wl0, dwl=0.02),
                "srctype": "EXTENDED",
                **arrays,
            }
        )
    attrs = {"INSTRUME": "NIRSPEC", "EXP_TYPE": "NRS_FIXEDSLIT", "DETECTOR": "NRS1", "DISPAXIS": 1}

    model = nirspec_multislit(dated=True)
    model.meta.exposure.start_time = 60000.0
    model.meta.exposure.end_time = 60000.01
    model.meta.exposure.exposure_time = 100.0
    model.meta.exposure.measurement_time = 100.0
    for i, s in enumerate(slits):
        model.slits.append(jwst_slit(s, i + 1, 1e-13))
    with jwst_offline_env():
        theirs = ResampleSpecStep().run(model)

    ours = resample_spec(spec2x_slits(slits, attrs))
    assert ours.attrs["DATAMODL"] == "MultiSlitModel"
    assert list(ours["slit_name"].values) == [s[0] for s in specs]
    for i, slit in enumerate(theirs.slits):
        h, w = slit.data.shape
        one = ours.isel(slit=i, y=slice(0, h), x=slice(0, w))
        assert (int(one["ysize"]), int(one["xsize"])) == (h, w)
        for name, ref in (
            ("sci", slit.data),
            ("wht", slit.wht),
            ("var_rnoise", slit.var_rnoise),
            ("var_poisson", slit.var_poisson),
            ("var_flat", slit.var_flat),
            ("err", slit.err),
        ):
            np.testing.assert_allclose(
                one[name].values, ref, rtol=1e-5, atol=1e-7, equal_nan=True, err_msg=name
            )
        np.testing.assert_allclose(
            one["wavelength"].values, slit.wavelength, rtol=1e-7, equal_nan=True
        )
