import dask.array as da
import numpy as np
import pytest
import xarray as xr

from spec2x.datamodel import kind, make_exposure, validate
from spec2x.errors import InputFileError


def test_make_exposure_places_subarray_on_full_frame():
    ds = make_exposure(
        np.ones((3, 4)), xstart=5, ystart=10, attrs={"EXP_TYPE": "MIR_LRS-FIXEDSLIT"}
    )
    assert ds["x"].values.tolist() == [4, 5, 6, 7]
    assert ds["y"].values.tolist() == [9, 10, 11]
    assert ds.attrs["SUBSTRT1"] == 5
    assert ds["dq"].dtype == np.uint32
    assert ds["sci"].attrs["units"] == "DN/s"
    assert kind(ds) == "exposure"
    validate(ds, "exposure")


def test_err_defaults_to_root_sum_of_variances():
    ds = make_exposure(
        np.ones((2, 2)), var_poisson=np.full((2, 2), 3.0), var_rnoise=np.ones((2, 2))
    )
    np.testing.assert_allclose(ds["err"], 2.0)


def test_rateints_have_integration_coords():
    ds = make_exposure(np.zeros((5, 3, 4)), int_times={"int_mid_MJD_UTC": np.arange(5.0)})
    assert ds["sci"].dims == ("integration", "y", "x")
    assert ds["integration"].values.tolist() == [1, 2, 3, 4, 5]
    assert "int_times_int_mid_MJD_UTC" in ds.coords


def test_dask_input_stays_lazy():
    ds = make_exposure(da.zeros((4, 3, 2), chunks=(2, 3, 2)))
    assert ds["sci"].chunks is not None


def test_validate_lists_every_problem():
    ds = make_exposure(np.ones((2, 2)), attrs={"S_FLAT": "COMPLETE"}).drop_vars(["var_flat"])
    ds["sci"].attrs.pop("units")
    with pytest.raises(InputFileError, match="var_flat.*missing.*units"):
        validate(ds)


def test_validate_rejects_wrong_kind():
    with pytest.raises(InputFileError, match="expected a slits product"):
        validate(make_exposure(np.ones((2, 2))), "slits")


@pytest.mark.parametrize("shape", [(2, 2), (3, 2, 2)])
def test_a_rate_or_rateints_has_no_var_flat(shape):
    """A count-rate product (before flat_field) is whole without ``var_flat``; a _cal is not."""
    rate = make_exposure(np.ones(shape)).drop_vars(["var_flat"])
    assert validate(rate, "exposure") is rate
    cal = rate.assign_attrs(S_FLAT="COMPLETE")
    with pytest.raises(InputFileError, match="'var_flat' is missing"):
        validate(cal)
    with pytest.raises(InputFileError, match="'var_rnoise' is missing"):
        validate(rate.drop_vars(["var_rnoise"]))


def test_validate_spectra_and_cubes():
    spectra = xr.Dataset(
        {"flux": ("spectral", np.ones(3), {"units": "Jy"})},
        coords={"wavelength": ("spectral", np.arange(3.0))},
    )
    assert validate(spectra, "spectra") is spectra
    with pytest.raises(InputFileError, match="'wavelength' is missing"):
        validate(spectra.drop_vars("wavelength"))
    cube = xr.Dataset({"sci": (("wavelength", "y", "x"), np.ones((2, 2, 2)), {"units": "MJy/sr"})})
    with pytest.raises(InputFileError, match="'err' is missing.*'weightmap' is missing"):
        validate(cube)
