"""SOSS ATOCA: decontaminated box extraction, against the injected spectra and against jwst."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from spec2x.errors import InputFileError
from spec2x.instruments.niriss.soss_atoca import extract_atoca
from spec2x.instruments.niriss.soss_box import soss_box_extract
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_atoca import atoca_model_scene
from spec2x.synthetic.niriss_soss_refs import PWCPOS_CMD, pastasoss_content


@pytest.fixture(scope="module")
def decontaminated(soss_refs):
    """ATOCA (jwst's defaults, factor searched) on orders 1 + 2 drawn by ATOCA's own model.

    The pastasoss content carries jwst's default ``order2_separation_cutoff``
    (0.77, 0.95) µm: the synthetic file's 0.85 µm lies above order 1's blue
    end (0.8465 µm), where jwst's grid trimming drops order 1 red of 1.41 µm
    from the joint model (``test_joint_grid_trimming_as_jwst``).  Noise 1e-4
    DN/s: the trace models are fitted, so their noise passes to the other
    order's box (at 0.01 DN/s, 9-18 % of order 1's faint contamination).
    """
    refs = {
        **soss_refs,
        "pastasoss": replace(pastasoss_content(), order2_separation_cutoff=(0.77, 0.95)),
    }
    noise = make_soss_rateints(
        nints=2, noise=1e-4, background=0.0, pwcpos=PWCPOS_CMD, spectrum=np.zeros_like
    )
    images = atoca_model_scene(noise, refs)
    sci = noise["sci"].values + (images[1] + images[2]).astype(np.float32)
    ds = noise.assign(sci=(noise["sci"].dims, sci))
    ours = extract_atoca(ds, refs, soss_order_3=False)
    return ds, images, refs, ours


@pytest.mark.slow
@pytest.mark.parametrize("order", [1, 2])
def test_atoca_removes_the_other_order(decontaminated, order):
    """Each order's decontaminated box is that of the order alone (same noise), where the other overlaps.

    The contamination (box of both minus box of one alone) reaches 1.3 % of
    order 1 (columns 1-80) and 51 % of order 2 (columns 578-734); measured
    left: 0.3 % (order 1) and 0.004 % (order 2) median.  ATOCA must leave
    under 2 % of it (median) and 5 % on 9 columns in 10.
    """
    ds, images, refs, ours = decontaminated
    other = images[3 - order]
    alone = ds.assign(sci=(ds["sci"].dims, (ds["sci"].values - other[None]).astype(np.float32)))
    truth = soss_box_extract(alone, refs["pastasoss"], order_3=False)["flux"].sel(order=order)
    box = soss_box_extract(ds, refs["pastasoss"], order_3=False)["flux"].sel(order=order)
    contamination = (box - truth).values
    truth = truth.values
    polluted = np.isfinite(truth) & (truth > 1) & (np.abs(contamination) > 0.005 * truth)
    assert polluted[0].sum() > 50  # the other order does overlap this one's box
    got = ours["flux"].sel(order=order).values
    left = np.abs(got[polluted] - truth[polluted]) / np.abs(contamination[polluted])
    assert np.median(left) < 0.02, np.median(left)
    assert np.percentile(left, 90) < 0.05, np.percentile(left, 90)
    assert ours.attrs["SOSS_TIKFAC"] > 0
    assert ours["flux"].sel(order=order).dims == box.dims


@pytest.mark.parity
def test_joint_grid_trimming_as_jwst():
    """jwst 3.0.0's ``_trim_grids`` on a grid sticking out of the kept ones on both sides: empty.

    With a blue cut above order 1's blue end (the synthetic pastasoss's 0.85
    µm), order 1's grid starts below order 2's and ends above it; jwst keeps
    its blue stub, then cuts that stub from the red index and keeps nothing:
    order 1 red of order 2's red end is not in the joint model (not modelled,
    not removed from order 2's box).  spec2x keeps the behaviour for parity.
    """
    pytest.importorskip("jwst")
    from jwst.extract_1d.soss_extract.atoca_utils import _trim_grids

    from spec2x.instruments.niriss.soss_atoca_grid import _trim

    shared, order1, blue = (
        np.linspace(0.8463, 1.409, 500),
        np.linspace(0.8465, 2.83, 80),
        np.linspace(0.5, 0.846, 9),
    )
    for low in (0.85, 0.77):
        theirs = _trim_grids([shared, order1, blue], [low, 2.83])
        mine = _trim([shared, order1, blue], low, 2.83)
        for a, b in zip(theirs, mine, strict=True):
            np.testing.assert_array_equal(a, b)
    assert _trim([shared, order1, blue], 0.85, 2.83)[1].size == 0
    assert _trim([shared, order1, blue], 0.77, 2.83)[1].max() == 2.83


def test_atoca_bad_parameters(soss_refs):
    ds = make_soss_rateints(nints=1)
    with pytest.raises(InputFileError, match="soss_bad_pix"):
        extract_atoca(ds, soss_refs, soss_bad_pix="model")


@pytest.mark.parity
def test_atoca_spectra_as_jwst(tmp_path, soss_refs):
    """jwst's Extract1dStep (soss_atoca=True), SUBSTRIP256, 2 integrations, one joint grid.

    Both sides with ``soss_tikfac=1e-11`` and jwst's joint grid (its
    ``soss_wave_grid_out``, 2.6-2.7e3 nodes): measured 1.1e-5 at worst
    (orders 1 and 3), order 2 2e-9.  At the factor jwst's search picks on
    this exposure (~2e-15) its normal matrix has a condition number ~1e19
    and jwst inverts it explicitly (``np.linalg.inv``): its joint solution
    leaves a normal-equation residual of 40 (relative; LU: 3e-11) and trace
    models 1e2-1e9 x the data, so no other implementation can reproduce
    those numbers (docs/parity.md).  The factor here gives condition ~3e11.
    """
    pytest.importorskip("jwst")
    from jwst.extract_1d import Extract1dStep
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst.datamodels import SossWaveGridModel

    from spec2x.io.fits import write_fits

    ds = make_soss_rateints(nints=2)
    path = write_fits(ds, tmp_path / "soss_rateints.fits")
    refs = {k: soss_refs[k] for k in ("pastasoss", "specprofile", "speckernel")}
    grid_path = tmp_path / "grid.fits"
    result = run_jwst_step(
        Extract1dStep, str(path), refs, rest="N/A", tmp_path=tmp_path, soss_atoca=True,
        soss_tikfac=1e-11, soss_wave_grid_out=str(grid_path),
    )  # fmt: skip
    with SossWaveGridModel(str(grid_path)) as model:
        grid = np.array(model.wavegrid, dtype=np.float64)
    ours = extract_atoca(ds, soss_refs, soss_tikfac=1e-11, soss_wave_grid_in=grid)
    assert ours.attrs["SOSS_NGRID"] == grid.size
    for spec in result.spec:
        flux = spec.spec_table["FLUX"]
        mine = ours["flux"].sel(order=spec.spectral_order).values[:, : flux.shape[1]]
        np.testing.assert_array_equal(np.isfinite(mine), np.isfinite(flux))
        ok = np.isfinite(flux)
        np.testing.assert_allclose(mine[ok], flux[ok], rtol=1e-4, atol=1e-6)


def test_atoca_wave_grid_in_refused_when_not_a_grid(soss_refs):
    ds = make_soss_rateints(nints=1)
    with pytest.raises(InputFileError, match="soss_wave_grid_in"):
        extract_atoca(ds, soss_refs, soss_wave_grid_in=np.array([1.0, 0.9]))


def test_pixel_weights_follow_jwst_node_assignment():
    """jwst 3.0.0's get_w on grid 0..10: [2.5, 3.5] -> nodes 1, 2, 3; [5.2, 6] -> nodes 4, 5.

    The exact integral would put 0.125, 0.75, 0.125 on nodes 2, 3, 4 and
    0.32, 0.48 on nodes 5, 6; jwst's is one node bluer (kept for parity).
    """
    from spec2x.instruments.niriss.soss_atoca_model import pixel_weights

    w = pixel_weights(np.arange(11.0), np.array([2.5, 5.2]), np.array([3.5, 6.0])).toarray()
    np.testing.assert_allclose(w[0, 1:4], [0.125, 0.125, 0.75])
    np.testing.assert_allclose(w[1, 4:6], [-0.08, 1.28])
    assert w[0, [0, *range(4, 11)]].sum() == 0
    assert w[1, [*range(4), *range(6, 11)]].sum() == 0
