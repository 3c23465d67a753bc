"""Extended sources in the synthetic MOS scene: their surface brightness comes back.

:func:`spec2x.synthetic.nirspec_mos_chain.make_nirspec_mos_chain` with
``extended=2``: two source slitlets hold a uniform surface brightness (MJy/sr,
a spectrum with two lines) over the whole slitlet, stellarity 0, on top of
the sky that fills every open shutter.  Noise-free, with the neutral flux
calibration, through the chain without the steps the scene was not injected
through (wavecorr, flat_field, pathloss, barshadow), master_background_mos
on: the x1d ``surf_bright`` of those slitlets is the injected one.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec2x.pipeline import spec2
from spec2x.synthetic.nirspec_mos_chain import make_nirspec_mos_chain

SKIP = ("wavecorr", "flat_field", "pathloss", "barshadow")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mos_extended")
    chain = make_nirspec_mos_chain(
        11, folder=folder, n_slitlets=7, n_background=2, noise=False, neutral=True, extended=2
    )
    refs = {k: str(v) for k, v in chain.refs.items()}
    return chain.truth, spec2(chain.truth.rate_paths[0], refs, skip=SKIP)


@pytest.mark.slow
def test_extended_sources_come_back_as_injected(run):
    truth, products = run
    x1d = products["x1d"]
    assert products["cal"].attrs["S_MSBSUB"] == "COMPLETE"
    ids = x1d["source_id"].values.astype(int)
    assert set(truth.extended) <= set(ids)
    for i in np.flatnonzero(np.isin(ids, truth.extended)):
        assert str(x1d["source_type"].values[i]) == "EXTENDED"
        assert float(x1d["stellarity"].values[i]) == 0.0
        wave = np.asarray(x1d["wavelength"].values[i], float)
        sb = np.asarray(x1d["surf_bright"].values[i], float)
        use = (wave > 0.7) & (wave < 5.2) & np.isfinite(sb)
        assert use.sum() > 300
        ratio = sb[use] / truth.surface_brightness(ids[i], wave[use])
        assert np.median(ratio) == pytest.approx(1.0, abs=0.02), ids[i]
        assert np.mean(np.abs(ratio - 1.0) < 0.02) > 0.95, ids[i]
        print(f"source {ids[i]}: median recovered / injected {np.median(ratio):.6f}")
