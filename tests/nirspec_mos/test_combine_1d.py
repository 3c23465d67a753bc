"""combine_1d kernel (master_background_mos's 1-D master background) against jwst's own
``combine_1d_spectra`` on spectra with shifted, stretched and reversed wavelength grids."""

from __future__ import annotations

import numpy as np
import pytest

from spec2x._kernels.combine_1d import combine_spectra, count_input, output_wavelengths
from spec2x.dq import DQ

_COLUMNS = ("flux", "flux_error", "surf_bright", "sb_error")


def _spectra(seed: int, n: int = 6) -> list[dict[str, np.ndarray]]:
    """``n`` noisy spectra of one smooth curve on different grids; NaN, DO_NOT_USE and an
    outlier among them, one grid decreasing, one spectrum all NaN (left out)."""
    gen = np.random.default_rng(seed)
    out = []
    for i in range(n):
        size = int(gen.integers(150, 260))
        start, step = 0.6 + gen.uniform(0.0, 0.3), 0.018 * gen.uniform(0.9, 1.1)
        wave = start + step * np.arange(size) + gen.normal(0.0, 2e-4, size).cumsum() * 0.01
        flux = 1.0 + 0.3 * np.sin(2.0 * wave) + gen.normal(0.0, 0.02, size)
        dq = np.zeros(size, np.uint32)
        flux[gen.integers(0, size, 3)] = np.nan
        dq[gen.integers(0, size, 3)] = DQ.DO_NOT_USE | DQ.SATURATED
        dq[gen.integers(0, size, 3)] = DQ.SATURATED
        flux[gen.integers(0, size)] = 30.0  # an outlier sigma clipping removes
        if i == 1:
            wave, flux, dq = wave[::-1].copy(), flux[::-1].copy(), dq[::-1].copy()
        if i == n - 1:
            flux[:] = np.nan
        spec = {"wavelength": wave, "flux": flux, "dq": dq}
        spec.update(flux_error=0.02 + 0 * flux, surf_bright=2.0 * flux, sb_error=0.04 + 0 * flux)
        out.append(spec)
    return out


def _ours(spectra, sigma_clip):
    return combine_spectra(
        [s["wavelength"] for s in spectra],
        {c: [s[c] for s in spectra] for c in _COLUMNS},
        [s["dq"] for s in spectra],
        [1200.0] * len(spectra),
        sigma_clip=sigma_clip,
    )


def _theirs(spectra, sigma_clip):
    from jwst.combine_1d.combine1d import combine_1d_spectra
    from stdatamodels.jwst import datamodels as dm

    model = dm.MultiSpecModel()
    model.meta.exposure.exposure_time = 1200.0
    model.meta.target.ra, model.meta.target.dec = 10.0, -5.0
    for i, s in enumerate(spectra):
        spec = dm.SpecModel()
        table = np.zeros(s["wavelength"].size, dtype=spec.get_dtype("spec_table"))
        table["WAVELENGTH"], table["DQ"] = s["wavelength"], s["dq"]
        for c in _COLUMNS:
            table[c.upper()] = s[c]
        spec.spec_table = table
        spec.spectral_order, spec.source_id, spec.name = 1, i + 1, f"BKG{i}"
        model.spec.append(spec)
    return combine_1d_spectra(model, "exposure_time", sigma_clip=sigma_clip).spec[0].spec_table


@pytest.mark.parity
@pytest.mark.parametrize(("seed", "sigma_clip"), [(1, 3.0), (2, 3.0), (3, None)])
def test_combined_spectrum_equals_jwst(seed, sigma_clip):
    pytest.importorskip("jwst")
    spectra = _spectra(seed)
    ours, theirs = _ours(spectra, sigma_clip), _theirs(spectra, sigma_clip)
    np.testing.assert_array_equal(ours["wavelength"], theirs["WAVELENGTH"])
    np.testing.assert_array_equal(ours["dq"], theirs["DQ"])
    np.testing.assert_array_equal(ours["count"], theirs["N_INPUT"])
    for ours_name, theirs_name in [("flux", "FLUX"), ("flux_error", "ERROR"),
                                   ("surf_bright", "SURF_BRIGHT"), ("sb_error", "SB_ERROR"),
                                   ("weight", "WEIGHT")]:  # fmt: skip
        np.testing.assert_array_equal(ours[ours_name], theirs[theirs_name], err_msg=ours_name)
    assert ours["count"].max() >= 4  # the spectra overlap
    if sigma_clip is not None:
        assert np.nanmax(ours["flux"]) < 5.0  # the outliers were clipped


def test_output_grid_of_identical_spectra_is_their_grid():
    wave = np.linspace(1.0, 2.0, 11)
    wl, n = count_input([wave, wave, wave])
    assert n.tolist() == [3] * 33
    np.testing.assert_allclose(output_wavelengths(wl, n), wave, rtol=0, atol=1e-15)


def test_no_usable_spectrum_gives_an_empty_result():
    nan = np.full(5, np.nan)
    out = combine_spectra([np.arange(5.0)], {c: [nan] for c in _COLUMNS}, [np.zeros(5)], [1.0])
    assert out["wavelength"].size == 0
    assert out["surf_bright"].size == 0
