"""NIRSpec IFU references (readers, synthetic files) and the IFU WCS's bad-input errors."""

from __future__ import annotations

import asdf
import numpy as np
import pytest
from ifu_helpers import IFU_ATTRS, REALDATA, ifu_paths, opened_refs

from spec2x import make_exposure
from spec2x.errors import InputFileError, MissingReferenceError
from spec2x.instruments.nirspec import ifu_wcs as iw
from spec2x.instruments.nirspec.ifu import assign_ifu, ifu_coordinates
from spec2x.io.ref_readers import reader_name
from spec2x.io.references import open_reference
from spec2x.modes import MODES
from spec2x.registry import calibrated_exp_types
from spec2x.synthetic.nirspec_ifu_refs import IFUPOST_FILE, slicer_table
from spec2x.synthetic.nirspec_refs import TEMPLATE_DIR


def _real_ifupost():
    path = REALDATA / IFUPOST_FILE
    return path if path.exists() else TEMPLATE_DIR / IFUPOST_FILE


def test_real_ifupost_reads():
    ref = open_reference(_real_ifupost(), "ifupost")
    assert ref.reftype == "ifupost"
    assert all(
        part in ref.content[f"slice_{s}"]
        for s in range(30)
        for part in ("linear", "xpoly", "xpoly_distortion", "ypoly", "ypoly_distortion")
    )
    # slice 0 takes the slicer point (0.0004, 0) m near the IFU's place on the MSA
    x, y = iw.ifupost_transform(ref.content["slice_0"])(0.0004, 0.0, 2e-6)
    assert x == pytest.approx(0.0486, abs=1e-3)
    assert y == pytest.approx(0.0082, abs=1e-3)


def test_readers_registered():
    for reftype in ("ifufore", "ifuslicer", "ifupost", "chromcorr"):
        assert reader_name(reftype, "NIRSPEC") == reader_name("fore", "NIRSPEC")


def test_synthetic_slicer_follows_the_real_ifupost():
    """The slice centres on the slicer are where the real ifupost expects each slice."""
    ref = open_reference(_real_ifupost(), "ifupost")
    incen = np.array([ref.content[f"slice_{s}"]["linear"][0].offset.value for s in range(30)])
    np.testing.assert_allclose(slicer_table()[:, 1], -incen, atol=2.5e-4)
    # adjacent slices touch: the table's widths tile the slicer
    x = np.sort(slicer_table()[:, 1])
    np.testing.assert_allclose(np.diff(x), slicer_table()[0, 3])


def test_synthetic_references_open_in_stdatamodels():
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    paths = ifu_paths()
    for reftype, cls in (
        ("ifuslicer", datamodels.IFUSlicerModel),
        ("ifufore", datamodels.IFUFOREModel),
        ("ifupost", datamodels.IFUPostModel),
        ("chromcorr", datamodels.ChromCorrModel),
    ):
        with cls(paths[reftype]) as model:
            model.validate()


def test_ifupost_without_a_part_is_refused(tmp_path):
    with asdf.open(_real_ifupost(), lazy_load=False, memmap=False) as af:
        tree = {k: v for k, v in af.tree.items() if not k.startswith("asdf")}
        tree["slice_7"] = {k: v for k, v in tree["slice_7"].items() if k != "ypoly"}
        asdf.AsdfFile(tree).write_to(tmp_path / "bad.asdf")
    with pytest.raises(InputFileError, match=r"slice_7\.ypoly"):
        open_reference(tmp_path / "bad.asdf")


def test_ifuslicer_of_29_slices_is_refused(tmp_path):
    with asdf.open(ifu_paths()["ifuslicer"], lazy_load=False, memmap=False) as af:
        tree = {k: v for k, v in af.tree.items() if not k.startswith("asdf")}
        tree["data"] = np.asarray(tree["data"])[:29]
        asdf.AsdfFile(tree).write_to(tmp_path / "bad.asdf")
    with pytest.raises(InputFileError, match="30 slices"):
        open_reference(tmp_path / "bad.asdf")


def _exposure(**attrs):
    return make_exposure(np.zeros((2048, 2048), np.float32), attrs={**IFU_ATTRS, **attrs})


def test_missing_chromcorr_is_named():
    refs = {k: v for k, v in opened_refs().items() if k != "chromcorr"}
    with pytest.raises(MissingReferenceError, match="chromcorr"):
        assign_ifu(_exposure(), refs)


def test_medium_grating_on_nrs2_is_refused():
    with pytest.raises(InputFileError, match="NRS2"):
        iw.build_ifu_optics(
            dict(_exposure(DETECTOR="NRS2", GRATING="G395M", FILTER="F290LP").attrs),
            opened_refs(),
        )


def test_subarray_is_refused():
    ds = _exposure(SUBARRAY="SUB512").isel(y=slice(0, 512))
    with pytest.raises(InputFileError, match="full frame"):
        assign_ifu(ds, opened_refs())


def test_coordinates_need_the_slice_map():
    with pytest.raises(InputFileError, match="assign_wcs"):
        ifu_coordinates(_exposure())


def test_ifu_builds_its_wcs_and_is_calibrated():
    mode = MODES["NRS_IFU"]
    assert mode.wcs_build == "spec2x.instruments.nirspec.ifu:assign_ifu"
    assert set(iw.IFU_REFTYPES) == set(mode.wcs_reftypes)
    assert "NRS_IFU" in calibrated_exp_types()  # cube_build and extract_1d from the cube too


def test_optics_read_once_per_process_until_the_file_changes(tmp_path):
    """A dither's exposures share the trees; a rewritten file (new mtime) is read again."""
    import os
    import shutil

    path = shutil.copy(ifu_paths()["ifuslicer"], tmp_path / "slicer.asdf")
    first, again = open_reference(path, "ifuslicer"), open_reference(path, "ifuslicer")
    assert again.content["model"] is first.content["model"]
    assert again.content is not first.content  # each Reference has its own dict
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    changed = open_reference(path, "ifuslicer")
    assert changed.content["model"] is not first.content["model"]
    np.testing.assert_array_equal(changed.content["data"], first.content["data"])
