"""MIRI MRS WCS on the ground (CDP6) channel 3/4 set, with its 2-D regions map; mismatched
pairs of references; the WCS written to FITS as jwst reads it."""

from __future__ import annotations

import asdf
import numpy as np
import pytest
from mrs_helpers import GROUND_REGIONS, REAL, jwst_ifu_wcs, mrs_attrs, real_refs

from spec2x import make_exposure
from spec2x.errors import ReferenceMismatchError
from spec2x.instruments.miri.mrs_wcs import mrs_wcs
from spec2x.io.fits import write_fits
from spec2x.io.references import Reference, open_reference
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.wcs.store import get_wcs

GROUND = {
    "distortion": REAL + "jwst_miri_distortion_0027.asdf",  # 34C (LONG)
    "specwcs": REAL + "jwst_miri_specwcs_0018.asdf",  # 34B (MEDIUM): the set is not a pair
    "wavelengthrange": REAL + "jwst_miri_wavelengthrange_0003.asdf",
}


def _relabelled(path, **keywords):
    ref = open_reference(path)
    return Reference(ref.reftype, ref.path, dict(ref.header, **keywords), ref.content)


@pytest.mark.parity
def test_band_c_from_the_ground_map_as_jwst_reads_it_stacked(tmp_path):
    """Channels 3C/4C: our WCS from the 2-D ground map equals jwst's from the same map in 9 planes."""
    pytest.importorskip("jwst")
    with asdf.open(GROUND_REGIONS, memmap=False) as af:
        meta, plane = af.tree["meta"], np.asarray(af.tree["regions"])
        asdf.AsdfFile({"meta": meta, "regions": np.repeat(plane[None], 9, axis=0)}).write_to(
            tmp_path / "stacked.asdf"
        )
    attrs = mrs_attrs("34A", BAND="LONG")
    theirs = jwst_ifu_wcs(attrs, dict(GROUND, regions=tmp_path / "stacked.asdf"))
    specwcs = _relabelled(GROUND["specwcs"], BAND="LONG")  # jwst takes it as it is
    ours = mrs_wcs(attrs, GROUND["distortion"], specwcs, GROUND_REGIONS, GROUND["wavelengthrange"])
    y, x = np.indices((1024, 1032), dtype=np.float64)
    for mine, jwst in zip(ours(x, y), theirs(x, y), strict=True):
        np.testing.assert_array_equal(mine, jwst)


def test_mismatched_pairs_are_one_clear_error(mrs_regions):
    # the ground set: a 34B specwcs beside a 34C distortion (jwst uses it silently for LONG)
    with pytest.raises(ReferenceMismatchError, match=r"specwcs_0018.asdf has BAND='MEDIUM'"):
        mrs_wcs(mrs_attrs("34A", BAND="LONG"), GROUND["distortion"], GROUND["specwcs"],
                GROUND_REGIONS, GROUND["wavelengthrange"])  # fmt: skip
    # a regions file of another band than the distortion's
    refs = real_refs("34A", GROUND_REGIONS)
    with pytest.raises(ReferenceMismatchError, match=r"regions_0017.asdf has BAND='LONG'.*'SHORT'"):
        mrs_wcs(mrs_attrs("34A"), *refs.values())


def test_written_wcs_reads_in_jwst(tmp_path, mrs_regions):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    refs = real_refs("12A", mrs_regions["12A"])
    ds = make_exposure(np.ones((1024, 1032), np.float32), attrs=mrs_attrs("12A", VELOSYS=-2e3))
    out = assign_wcs(ds, refs)
    _s_region_as_jwst(out)
    path = write_fits(out, tmp_path / "mrs_assign_wcs.fits")
    x, y = np.array([100.0, 600.0, 300.0, 5.0]), np.array([500.0, 20.0, 900.0, 5.0])
    with datamodels.IFUImageModel(str(path)) as model:
        np.testing.assert_array_equal(model.meta.wcs(x, y), get_wcs(out)(x, y))
        assert model.meta.wcs.output_frame.name == "world"


def _s_region_as_jwst(out):
    """S_REGION is jwst's ``update_s_region_mrs`` of the same WCS."""
    from jwst.assign_wcs.util import compute_footprint_spectral
    from stcal.alignment.util import compute_s_region_keyword

    class Model:  # what compute_footprint_spectral reads
        class meta:  # noqa: N801
            wcs = get_wcs(out)

    footprint, _ = compute_footprint_spectral(Model)
    assert out.attrs["S_REGION"] == compute_s_region_keyword(footprint)


@pytest.mark.parity
def test_assign_wcs_step_on_a_synthetic_rate_file_as_jwst(tmp_path, mrs_regions):
    """jwst's AssignWcsStep on the synthetic MIRIFUSHORT SHORT rate file: same wavelengths, S_REGION."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs import AssignWcsStep
    from jwst_offline import run_jwst_step

    from spec2x.io.fits import open_exposure
    from spec2x.synthetic.miri_mrs import make_mrs_rate

    rate = make_mrs_rate(tmp_path / "mrs_rate.fits", seed=5)
    refs = real_refs("12A", mrs_regions["12A"])
    result = run_jwst_step(
        AssignWcsStep, str(rate), {k: str(v) for k, v in refs.items()}, rest="N/A"
    )
    out = assign_wcs(open_exposure(rate), refs)
    y, x = np.indices((1024, 1032), dtype=np.float64)
    jwst_world = result.meta.wcs(x, y)
    np.testing.assert_array_equal(out["wavelength"].values, jwst_world[2])
    np.testing.assert_array_equal(get_wcs(out)(x, y)[0], jwst_world[0])
    assert out.attrs["S_REGION"] == result.meta.wcsinfo.s_region
