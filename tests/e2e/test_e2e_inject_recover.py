"""Inject and recover through the whole chain: the ``_x1d`` flux equals the injected spectrum.

The demo products (FITS files written by ``spec2x demo``) are opened back and
compared with the truth the demo recorded: median of extracted / injected
flux in ten wavelength bins over the well-exposed range, each within 2 %
(the per-element noise is about 1 %).  NIRSpec PRISM/CLEAR is made here
(the demo uses G140M/F100LP).  The TSO white-light curve gives back the
injected transit depth within its noise.
"""

from __future__ import annotations

import numpy as np
import pytest
from e2e_helpers import binned_ratio, truth

from spec2x.demo import WELL_EXPOSED, white_light, write_nod_association
from spec2x.io.fits import open_product


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["mir_lrs_fs", "nrs_fs"])
def test_fixed_slit_x1d_equals_injected_spectrum(demo_runs, mode):
    manifest = demo_runs(mode)
    x1d = open_product(manifest["products"]["x1d"])
    assert x1d["flux"].attrs["units"] == "Jy"
    wave, flux = x1d["wavelength"].values, x1d["flux"].values
    lo, hi = WELL_EXPOSED[mode]
    ratio = binned_ratio(wave, flux, truth(manifest, wave), lo, hi)
    np.testing.assert_allclose(ratio, 1.0, atol=0.02)  # measured: within 0.6 %
    # element by element, within the propagated error (5 sigma, a few outliers allowed)
    use = (wave >= lo) & (wave <= hi) & np.isfinite(flux)
    pull = (flux - truth(manifest, wave))[use] / x1d["flux_error"].values[use]
    assert np.mean(np.abs(pull) < 5) > 0.98
    assert abs(np.median(pull)) < 1.0


@pytest.mark.slow
def test_tso_x1dints_and_white_light_depth(demo_runs):
    manifest = demo_runs("mir_lrs_slitless")
    x1d = open_product(manifest["products"]["x1dints"])
    lc = np.asarray(manifest["truth"]["light_curve"])
    assert x1d.sizes["integration"] == lc.size
    lo, hi = WELL_EXPOSED["mir_lrs_slitless"]
    wave = x1d["wavelength"].values[0]
    out_of_transit = x1d["flux"].values[lc == 1.0].mean(axis=0)
    ratio = binned_ratio(wave, out_of_transit, truth(manifest, wave), lo, hi)
    np.testing.assert_allclose(ratio, 1.0, atol=0.02)
    curve, sigma = white_light(x1d, (lo, hi))
    base, bottom = curve[lc == 1.0], curve[lc == lc.min()]
    depth = 1.0 - bottom.mean() / base.mean()
    noise = np.hypot(sigma[lc == 1.0].mean() / np.sqrt(base.size),
                     sigma[lc == lc.min()].mean() / np.sqrt(bottom.size)) / base.mean()  # fmt: skip
    assert abs(depth - manifest["truth"]["depth"]) < 4 * noise, (depth, noise)
    # the scatter of the white-light curve is the propagated error (not more than 1.5x)
    assert np.std(base / base.mean()) < 1.5 * sigma.mean() / base.mean()


@pytest.mark.slow
def test_nirspec_prism_x1d_equals_injected_spectrum(tmp_path):
    from spec2x.pipeline import spec2
    from spec2x.synthetic.extract_refs import NIRSPEC_FS_APERTURES, write_extract1d
    from spec2x.synthetic.nirspec import make_nirspec_fs

    obs = make_nirspec_fs(3, grating="PRISM", filter="CLEAR", subarray="SUBS200A1", folder=tmp_path)
    refs = {k: str(v) for k, v in obs.refs.items()}
    refs["extract1d"] = str(write_extract1d(tmp_path / "x1d.json", NIRSPEC_FS_APERTURES,
                                            instrument="NIRSPEC", exp_type="NRS_FIXEDSLIT"))  # fmt: skip
    refs["apcorr"] = "N/A"
    asn = write_nod_association(tmp_path / "asn.json", obs.rate_paths[0], obs.rate_paths[1:])
    x1d = spec2(asn, refs)["x1d"]
    wave, flux = x1d["wavelength"].values, x1d["flux"].values
    expected = np.interp(wave, obs.wavelength, obs.flux * 1e6, left=np.nan, right=np.nan)
    ratio = binned_ratio(wave, flux, expected, 0.8, 5.0, nbins=8)
    np.testing.assert_allclose(ratio, 1.0, atol=0.02)  # measured: within 1 %
