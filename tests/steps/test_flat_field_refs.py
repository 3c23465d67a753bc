"""The flat reader and the synthetic flat writer, checked against stdatamodels' FlatModel."""

from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from astropy.io import fits
from helpers import REALDATA
from hypothesis import given, settings

from spec2x import open_reference
from spec2x.dq import DQ
from spec2x.io.refs_pixel import FlatImage, map_dq_def
from spec2x.synthetic.base import reference_header, write_reference_fits
from spec2x.synthetic.pixel_refs import write_flat


def test_synthetic_flat_validates_and_reads_like_stdatamodels(tmp_path):
    from stdatamodels.jwst import datamodels as dm

    path = write_flat(
        tmp_path / "flat.fits",
        instrument="MIRI",
        detector="MIRIMAGE",
        exp_type="MIR_LRS-FIXEDSLIT",
        shape=(30, 20),
        xstart=5,
        ystart=300,
        seed=2,
        bad_fraction=0.05,
        FILTER="P750L",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = dm.FlatModel(str(path), strict_validation=True)
        model.validate()
    ref = open_reference(path)
    assert isinstance(ref.content, FlatImage)
    assert (ref.content.xstart, ref.content.ystart) == (5, 300)
    np.testing.assert_array_equal(ref.content.sci, model.data)
    np.testing.assert_array_equal(ref.content.err, model.err)
    np.testing.assert_array_equal(ref.content.dq, model.dq)
    assert model.meta.subarray.xstart == 5
    assert model.meta.subarray.ysize == 30
    assert np.isnan(ref.content.sci).any()
    assert (ref.content.sci == 0).any()
    # same seed, same file content
    again = write_flat(
        tmp_path / "again.fits",
        instrument="MIRI",
        detector="MIRIMAGE",
        exp_type="MIR_LRS-FIXEDSLIT",
        shape=(30, 20),
        xstart=5,
        ystart=300,
        seed=2,
        bad_fraction=0.05,
        FILTER="P750L",
    )
    np.testing.assert_array_equal(open_reference(again).content.sci, ref.content.sci)


def test_dq_def_maps_private_bits_to_standard_ones(tmp_path):
    from stdatamodels.jwst import datamodels as dm

    dq = np.array([[0, 1, 2, 3]], np.uint32)
    dq_def = fits.BinTableHDU.from_columns(
        [
            fits.Column("BIT", "J", array=[0, 1]),
            fits.Column("VALUE", "J", array=[1, 2]),
            fits.Column("NAME", "40A", array=["NO_FLAT_FIELD", "UNRELIABLE_FLAT"]),
            fits.Column("DESCRIPTION", "80A", array=["a", "b"]),
        ],
        name="DQ_DEF",
    )
    hdr = reference_header(
        "flat",
        "MIRI",
        DETECTOR="MIRIMAGE",
        EXP_TYPE="MIR_IMAGE",
        SUBARRAY="GENERIC",
        SUBSTRT1=1,
        SUBSTRT2=1,
        SUBSIZE1=4,
        SUBSIZE2=1,
    )
    path = write_reference_fits(
        tmp_path / "dqdef.fits",
        hdr,
        [
            fits.ImageHDU(np.ones((1, 4), np.float32), name="SCI"),
            fits.ImageHDU(dq, name="DQ"),
            dq_def,
        ],
        datamodel="FlatModel",
    )
    expected = [0, DQ.NO_FLAT_FIELD, DQ.UNRELIABLE_FLAT, DQ.NO_FLAT_FIELD | DQ.UNRELIABLE_FLAT]
    np.testing.assert_array_equal(open_reference(path).content.dq, [expected])
    np.testing.assert_array_equal(dm.FlatModel(str(path)).dq, [expected])
    np.testing.assert_array_equal(open_reference(path).content.err, 0.0)  # no ERR: zeros
    np.testing.assert_array_equal(map_dq_def(dq, None), dq)


def test_real_miri_flat():
    ref = open_reference(REALDATA / "miri" / "jwst_miri_flat_slitlessprism.fits")
    assert ref.content.sci.shape == (704, 68)
    assert (ref.content.xstart, ref.content.ystart) == (1, 321)
    assert ref.content.dq.dtype == np.uint32


def test_flat_without_sci_is_an_input_error(tmp_path):
    from spec2x.errors import InputFileError

    path = write_reference_fits(
        tmp_path / "nosci.fits",
        reference_header("flat", "MIRI"),
        [fits.ImageHDU(np.ones((2, 2), np.float32), name="ERR")],
    )
    with pytest.raises(InputFileError, match="no SCI"):
        open_reference(path)


_FLAG_NAMES = [
    "DO_NOT_USE",
    "SATURATED",
    "NO_FLAT_FIELD",
    "UNRELIABLE_FLAT",
    "NON_SCIENCE",
    "NOT_A_FLAG",
]


@settings(max_examples=60, deadline=None)
@given(
    dq=hnp.arrays(np.uint32, (3, 5), elements=st.integers(0, 2**32 - 1)),
    rows=st.lists(
        st.tuples(st.integers(0, 2**32 - 1), st.sampled_from(_FLAG_NAMES)), min_size=1, max_size=6
    ),
)
def test_map_dq_def_sets_each_rows_flag_where_its_value_shares_a_bit(dq, rows):
    """Every DQ_DEF row, one bit or several, identity or moved: the flag of each row whose VALUE
    shares a bit with the pixel (rows of unknown names dropped), as stdatamodels maps them."""
    dq_def = np.rec.fromrecords(
        [(i, value, name) for i, (value, name) in enumerate(rows)], names="BIT,VALUE,NAME"
    )
    expected = np.zeros_like(dq)
    for value, name in rows:
        if name in DQ.__members__:
            expected[(dq & np.uint32(value)) != 0] |= np.uint32(DQ[name])
    np.testing.assert_array_equal(map_dq_def(dq, dq_def), expected)
