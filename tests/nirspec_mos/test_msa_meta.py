"""MSA metadata files: slitlets as jwst's get_open_msa_slits finds them, and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from helpers import REALDATA

from spec2x.errors import InputFileError
from spec2x.instruments.nirspec.msa_meta import read_msa_metadata
from spec2x.instruments.nirspec.msa_wcs import slitlets_to_slits

REAL_MSA = REALDATA / "nirspec" / "msa_configuration.fits"


def _jwst_data(name: str) -> Path:
    jwst = pytest.importorskip("jwst")
    return Path(jwst.__file__).parent / "assign_wcs" / "tests" / "data" / name


def _cases() -> list[tuple[str, int]]:
    """(file, msa_metadata_id) for every configuration in the real and jwst MSA files."""
    out = []
    for label in ("realdata", "jwst:msa_configuration.fits", "jwst:msa_fs_configuration.fits"):
        out += [(label, i) for i in (2, 12, 13, 14, 15, 16, 64, 65, 66, 67, 68, 69, 70, 71)]
    return out


def _path(label: str) -> Path:
    if label == "realdata":
        if not REAL_MSA.is_file():
            pytest.skip("needs shared/realdata")
        return REAL_MSA
    return _jwst_data(label.split(":", 1)[1])


def _assert_same_slit(mine, theirs) -> None:
    assert mine.name == str(theirs.name)
    for field in theirs._fields[1:]:
        a, b = getattr(mine, field), getattr(theirs, field)
        if isinstance(b, str | np.str_):
            assert a == b, field
        else:
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12, err_msg=field)


@pytest.mark.parity
@pytest.mark.parametrize(("label", "metadata_id"), _cases())
def test_slitlets_match_jwst(label, metadata_id):
    """Same slitlets, shutters, source positions and names as jwst for every MSAMETID."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs import nirspec
    from jwst.assign_wcs.util import MSAFileError

    path = _path(label)
    with fits.open(path) as hdul:
        ids = set(hdul["SHUTTER_INFO"].data["msa_metadata_id"].tolist())
    if metadata_id not in ids:
        pytest.skip(f"{path.name} has no MSAMETID={metadata_id}")
    try:
        theirs = nirspec.get_open_msa_slits("1234", str(path), metadata_id, 1, (-0.55, 0.55))
    except MSAFileError as exc:
        with pytest.raises(InputFileError, match=path.name):
            read_msa_metadata(path, metadata_id, 1, program="1234")
        print("jwst refuses it too:", exc)
        return
    table = read_msa_metadata(path, metadata_id, 1, program="1234")
    mine = slitlets_to_slits(table)
    assert len(mine) == len(theirs) > 0
    for a, b in zip(mine, theirs, strict=True):
        _assert_same_slit(a, b)


def test_shutter_table_points_at_slitlets():
    """The shutter dim holds every open shutter of the exposure, each with its slitlet."""
    if not REAL_MSA.is_file():
        pytest.skip("needs shared/realdata")
    table = read_msa_metadata(REAL_MSA, 16, 1, program="95065")
    assert list(table["name"].values) == ["59", "60"]
    assert table.sizes["shutter"] == 12
    own = table["shutter_slitlet"].values
    cols = table["shutter_column"].values
    np.testing.assert_array_equal(own, [0] * 6 + [1] * 6)
    # the centre shutter is the primary one: x in the state string at ycen - jmin
    for i in range(2):
        c = cols[own == i]
        state = str(table["shutter_state"].values[i])
        assert state[table["ycen"].values[i] - c.min()] == "x"
        assert [j for j, s in enumerate(state) if s != "0"] == sorted(c - c.min())
    assert table["shutter_primary"].values.sum() == 2
    assert table["stellarity"].values.tolist() == pytest.approx([0.13, 0.7])
    assert table["source_ra"].values[1] == pytest.approx(53.171825)


def test_background_slitlet_gets_its_own_source():
    if not REAL_MSA.is_file():
        pytest.skip("needs shared/realdata")
    table = read_msa_metadata(REAL_MSA, 14, 1, program="1234")
    assert bool(table["background_only"].values[0])
    assert table["source_id"].values[0] == 57
    assert table["source_name"].values[0] == "1234_BKG57"
    assert table["shutter_state"].values[0] == "1x1"
    assert table["ymin"].values[0] == pytest.approx(-0.55 - 0.5 - 1.15)


def test_fixed_slit_rows_become_quadrant_5_apertures():
    path = _jwst_data("msa_fs_configuration.fits")
    table = read_msa_metadata(path, 12, 1, program="1234")
    fs = table.sel(slitlet=table["fixed_slit"])
    assert fs["name"].values.tolist() == ["S200A1"]
    assert fs["quadrant"].values.tolist() == [5]
    assert fs["slit_id"].values.tolist() == [-101]
    assert fs["shutter_id"].values.tolist() == [0]
    assert fs["source_xpos"].values[0] == pytest.approx(-0.161)


# --- bad input: one clear error naming the file ---------------------------------------


def _copy(tmp_path, src) -> Path:
    dst = tmp_path / "jw_msa.fits"
    shutil.copyfile(src, dst)
    return dst


@pytest.fixture
def real_copy(tmp_path):
    if not REAL_MSA.is_file():
        pytest.skip("needs shared/realdata")
    return _copy(tmp_path, REAL_MSA)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputFileError, match=r"nowhere_msa\.fits.*MSAMETFL.*does not exist"):
        read_msa_metadata(tmp_path / "nowhere_msa.fits", 12, 1)


def test_metadata_id_not_in_file(real_copy):
    with pytest.raises(InputFileError, match=r"jw_msa\.fits has no shutters for MSAMETID=99"):
        read_msa_metadata(real_copy, 99, 1)


def test_dither_point_not_in_file(real_copy):
    with pytest.raises(InputFileError, match=r"MSAMETID=12 at dither point PATT_NUM=3"):
        read_msa_metadata(real_copy, 12, 3)


def test_two_primary_shutters_refused(real_copy):
    with pytest.raises(InputFileError, match="more than one shutter with primary_source"):
        read_msa_metadata(real_copy, 13, 1)


def test_missing_column(real_copy):
    with fits.open(real_copy) as hdul:
        t = Table(hdul["SHUTTER_INFO"].data)
        t.remove_column("shutter_column")
        hdul["SHUTTER_INFO"] = fits.table_to_hdu(t)
        hdul[-1].name = "SHUTTER_INFO"
        hdul.writeto(real_copy, overwrite=True)
    with pytest.raises(InputFileError, match=r"jw_msa\.fits: table SHUTTER_INFO lacks column"):
        read_msa_metadata(real_copy, 12, 1)


@pytest.mark.parametrize("cut", [100, 2000, 4000, 30000])
def test_truncated_file(real_copy, cut):
    data = real_copy.read_bytes()
    real_copy.write_bytes(data[: len(data) - cut])
    with pytest.raises(InputFileError, match=r"jw_msa\.fits is truncated"):
        read_msa_metadata(real_copy, 12, 1)


def test_not_a_metadata_file():
    """jwst's SPCB-GD-A.msa.fits.gz is a shutter-status file (Q1..Q4 tables)."""
    path = _jwst_data("SPCB-GD-A.msa.fits.gz")
    with pytest.raises(InputFileError, match=r"SPCB-GD-A\.msa\.fits\.gz has no SHUTTER_INFO.*Q1"):
        read_msa_metadata(path, 1, 1)


def test_not_fits(tmp_path):
    path = tmp_path / "text_msa.fits"
    path.write_text("not a FITS file\n")
    with pytest.raises(InputFileError, match=r"text_msa\.fits"):
        read_msa_metadata(path, 1, 1)


@pytest.mark.parity
@pytest.mark.parametrize("dither_point", [1, 2, 3])
def test_synthetic_metadata_file_reads_as_in_jwst(tmp_path, dither_point):
    """The synthetic planning file (3-shutter nod, background slitlets, a fixed slit)."""
    pytest.importorskip("jwst")
    from jwst.assign_wcs import nirspec

    from spec2x.synthetic.nirspec_msa import mos_layout, write_msa_metadata

    path = write_msa_metadata(tmp_path / "syn_msa.fits", mos_layout(12, seed=4))
    theirs = nirspec.get_open_msa_slits("1234", str(path), 1, dither_point, (-0.55, 0.55))
    mine = slitlets_to_slits(read_msa_metadata(path, 1, dither_point, program="1234"))
    assert len(mine) == len(theirs) == 13
    for a, b in zip(mine, theirs, strict=True):
        _assert_same_slit(a, b)
