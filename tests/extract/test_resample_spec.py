"""resample_spec behaviour: flux kept, input unchanged, output WCS stored, bad input; slits on Dask."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from extract_helpers import (
    horizontal_wcs,
    image_arrays,
    spec2x_exposure,
    spec2x_slits,
    vertical_wcs,
)

from spec2x.datamodel import make_exposure
from spec2x.errors import ParameterError, StepOrderError
from spec2x.io.references import Reference
from spec2x.steps.extract_1d import extract_1d
from spec2x.steps.resample_spec import resample_spec
from spec2x.wcs.store import get_wcs

ATTRS = {"EXP_TYPE": "MIR_LRS-FIXEDSLIT", "INSTRUME": "MIRI", "DISPAXIS": 2}


def _lrs(seed=1):
    shape = (50, 30)
    return spec2x_exposure(
        image_arrays(shape, seed=seed), vertical_wcs(shape, wl0=12.0, dwl=-0.15), ATTRS
    )


def test_rectified_product_and_input_unchanged():
    ds = _lrs()
    before = ds.copy(deep=True)
    out = resample_spec(ds)
    xr.testing.assert_identical(ds, before)
    assert out["sci"].dims == ("slit", "y", "x")
    assert out.attrs["DATAMODL"] == "SlitModel"
    assert out.attrs["S_RESAMP"] == "COMPLETE"
    assert "wcs" not in out.attrs or isinstance(out.attrs["wcs"], dict)
    one = out.isel(slit=0)
    assert np.isfinite(one["sci"].values).mean() > 0.8
    assert np.all(one["dq"].values[np.isnan(one["sci"].values)] & 1)
    # a flat surface brightness stays flat (drizzle averages in cps)
    flat = ds.assign(sci=xr.full_like(ds["sci"], 5.0).where(np.isfinite(ds["sci"])))
    res = resample_spec(flat).isel(slit=0)["sci"].values
    np.testing.assert_allclose(res[np.isfinite(res)], 5.0, rtol=1e-5)
    wcs = get_wcs(out, slit=str(one["slit_name"].values))
    yy, xx = np.mgrid[:50, :30].astype(float)
    np.testing.assert_allclose(wcs(xx, yy)[2], one["wavelength"].values)


def test_errors():
    ds = _lrs()
    with pytest.raises(ParameterError, match="pixel_scale_ratio"):
        resample_spec(ds, pixel_scale_ratio=2.0)
    no_wcs = make_exposure(np.ones((4, 4)), attrs=ATTRS)
    with pytest.raises(StepOrderError, match="assign_wcs"):
        resample_spec(no_wcs)


def _two_slits():
    slits = []
    for i, (name, shape) in enumerate((("S200A1", (18, 40)), ("S400A1", (22, 34)))):
        arr = image_arrays(shape[::-1], seed=40 + i)
        arr = {k: np.ascontiguousarray(v.T) for k, v in arr.items()}
        slits.append(
            {
                "name": name,
                "wcs": horizontal_wcs(shape, wl0=1 + 0.2 * i),
                "srctype": "EXTENDED",
                **arr,
            }
        )
    return spec2x_slits(slits, {"INSTRUME": "NIRSPEC", "EXP_TYPE": "NRS_FIXEDSLIT", "DISPAXIS": 1})


def test_slits_resampled_each_on_its_grid():
    out = resample_spec(_two_slits())
    assert out.attrs["DATAMODL"] == "MultiSlitModel"
    assert list(out["ysize"].values) == [19, 23]  # jwst: ceil(extent / scale) + 1
    assert list(out["xsize"].values) == [40, 34]
    pad = out.isel(slit=0, x=slice(40, None))
    assert np.all(np.isnan(pad["sci"].values))


def test_extract_slits_on_dask_equals_numpy():
    ds = _two_slits()
    ref = Reference(
        "extract1d",
        "x.json",
        {},
        {
            "apertures": [
                {
                    "id": "ANY",
                    "dispaxis": 1,
                    "extract_width": 4,
                    "bkg_coeff": [[0.5], [3.5], [13.5], [16.5]],
                }
            ]
        },
    )
    eager = extract_1d(ds, ref)
    lazy = extract_1d(ds.assign({v: ds[v].chunk({"slit": 1}) for v in ds.data_vars}), ref)
    assert lazy["flux"].chunks is not None
    xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-12)
    assert eager["flux"].dims == ("slit", "spectral")
    assert np.isnan(eager["wavelength"].values[1, 34:]).all()


def test_run_step_chain_adapters():
    from spec2x.pipeline import run_step

    s2d = run_step(_lrs(), "resample_spec")
    assert s2d.sizes["slit"] == 1
    with pytest.raises(ParameterError, match="single"):
        run_step(_lrs(), "resample_spec", single=True)
    x1d = run_step(s2d, "extract_1d", {"extract1d": "N/A", "apcorr": "N/A"})
    assert x1d["flux"].dims == ("spectral",)
    assert x1d.attrs["S_EXTR1D"] == "COMPLETE"
