"""x1d/x1dints products into specutils: one Spectrum per integration, slit and order."""

from __future__ import annotations

import numpy as np
import products  # noqa: E402  (tests/io on sys.path through conftest)
import pytest
from astropy import units as u

from spec2x.errors import ParameterError
from spec2x.io import open_product, to_specutils, write_fits

pytest.importorskip("specutils")


def test_x1dints_gives_one_spectrum_per_integration(tmp_path):
    ds = products.x1dints(nint=4, nspec=30)
    back = open_product(write_fits(ds, tmp_path / "t_x1dints.fits"))
    spectra = to_specutils(back)
    assert len(spectra) == 4
    for i, spec in enumerate(spectra):
        assert spec.meta["integration"] == i + 1
        assert spec.meta["spectral_order"] == 1
        assert spec.flux.unit == u.Jy
        assert spec.spectral_axis.unit == u.um
        np.testing.assert_allclose(spec.flux.value, ds["flux"].values[i])
        np.testing.assert_allclose(spec.spectral_axis.value, ds["wavelength"].values[i])
        np.testing.assert_allclose(spec.uncertainty.array, ds["flux_error"].values[i])
        assert spec.meta["header"]["EXP_TYPE"] == "MIR_LRS-SLITLESS"


def test_x1d_gives_one_spectrum_per_slit_without_its_padding():
    ds = products.x1d(nspec=50)
    spectra = to_specutils(ds, flux="surf_bright", error=None)
    assert [s.meta["slit_name"] for s in spectra] == ["S200A1", "S200A2"]
    assert [len(s.flux) for s in spectra] == [50, 40]  # the NaN padding is dropped
    assert spectra[1].uncertainty is None


def test_not_a_spectra_product_is_refused():
    with pytest.raises(ParameterError, match="x1d/x1dints"):
        to_specutils(products.rateints())
    with pytest.raises(ParameterError, match="no 'sb_error'"):
        to_specutils(products.x1dints(), error="sb_error")
