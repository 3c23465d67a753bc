"""Bad input to the NIRSpec IFU cube: exposures of two fields given as one dither, an exposure
without the IFU slice WCS; each one clear spec2x error (the apcorr of another grating is in
``test_nirspec_ifu_extract_parity.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from ifu_helpers import ifu_rate, opened_refs, ours

from spec2x.cube.overlap import check_overlap
from spec2x.cube.pointcloud import PointCloud
from spec2x.errors import InputFileError
from spec2x.io.fits import open_product
from spec2x.steps.assign_wcs import assign_wcs
from spec2x.steps.cube_build import build_cube, cube_build
from spec2x.synthetic.nirspec_cubepar import write_nirspec_cubepar
from spec2x.wcs.store import get_wcs, set_wcs


def _cloud(ra0: float, dec0: float, size: float = 3.0) -> PointCloud:
    """Pixels on a ``size`` arcsec square centred on (ra0, dec0) deg."""
    x, y = (
        a.ravel() / 3600.0 for a in np.mgrid[-size / 2 : size / 2 : 9j, -size / 2 : size / 2 : 9j]
    )
    ra, dec = ra0 + x / np.cos(np.deg2rad(dec0)), dec0 + y
    n = ra.size
    zeros = np.zeros(n)
    return PointCloud(ra, dec, zeros + 3.0, zeros + 0.01, np.tile(ra[:, None], 4),
                      np.tile(dec[:, None], 4), zeros, zeros, zeros.astype(np.int64))  # fmt: skip


def test_a_dither_overlaps():
    step = 0.5 / 3600.0
    clouds = [_cloud(53.1 + i * step, -27.8 + i * step) for i in range(4)]
    check_overlap(clouds, ["a", "b", "c", "d"])  # no error


def test_a_chain_of_overlapping_exposures_is_one_group():
    # a and c do not overlap, b overlaps both: one mosaic
    step = 2.5 / 3600.0
    clouds = [_cloud(10.0 + i * step, 0.0) for i in range(3)]
    check_overlap(clouds, ["a", "b", "c"])


def test_across_ra_zero():
    check_overlap([_cloud(359.9997, 1.0), _cloud(0.0003, 1.0)], ["a", "b"])


def test_two_fields_are_refused():
    clouds = [_cloud(53.1, -27.8), _cloud(53.1, -27.8 + 30 / 3600.0), _cloud(53.1, -27.8)]
    with pytest.raises(InputFileError, match=r"do not overlap.*b_cal.fits lie 30.0 arcsec from "
                       r"a_cal.fits, c_cal.fits"):  # fmt: skip
        check_overlap(clouds, ["a_cal.fits", "b_cal.fits", "c_cal.fits"])


@pytest.mark.slow
def test_cube_of_two_fields_is_refused(tmp_path):
    """Two NIRSpec IFU exposures 20" apart (the IFU is 3" across) through build_cube."""
    first = ours("PRISM")
    rate = open_product(ifu_rate("PRISM"))
    moved = rate.assign_attrs(DEC_REF=rate.attrs["DEC_REF"] + 20.0 / 3600.0,
                              FILENAME="nrs_ifu_field2_rate.fits")  # fmt: skip
    second = assign_wcs(moved, opened_refs("PRISM"))
    cubepar = write_nirspec_cubepar(tmp_path / "cubepar.fits")
    name = first.attrs.get("FILENAME")
    with pytest.raises(
        InputFileError, match=rf"nrs_ifu_field2_rate.fits lie 2\d.\d arcsec from {name}"
    ):
        build_cube([first, second], cubepar)


@pytest.mark.slow
def test_exposure_without_slice_wcs_is_refused(tmp_path):
    """One gwcs for the whole exposure (not spec2x's 30 slice WCS): refused by name."""
    ds = ours("PRISM")
    single = set_wcs(ds, get_wcs(ds, slit="3"))
    cubepar = write_nirspec_cubepar(tmp_path / "cubepar.fits")
    with pytest.raises(InputFileError, match="has no NIRSpec IFU slice WCS .*slices 0, 1, 2 ..."):
        cube_build(single, cubepar)
