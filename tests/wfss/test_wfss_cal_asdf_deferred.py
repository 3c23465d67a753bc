"""The WFSS ``_cal``'s cut-out WCS converted to ASDF one at a time as they are written
(:class:`spec2x._asdf_fast.Deferred`): the same file as when the whole tree is converted
first; stdatamodels opens it and every slit's ``meta.wcs`` evaluates as spec2x's."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spec2x import _asdf_write
from spec2x.io.fits import open_product, write_fits
from spec2x.slits import groups
from spec2x.wcs.store import WCS_COORD

#: When a file was written (the ``DATE`` cards, the ASDF tree's ``date:``), masked to compare.
_DATE = re.compile(rb"(DATE    = '|date: ')[0-9T:.-]+'")


@pytest.fixture(scope="module")
def written(grismr_cutouts, tmp_path_factory):
    """The cut-outs' ``_cal`` written with deferred WCS, and with the whole tree converted."""
    folder = tmp_path_factory.mktemp("deferred")
    (folder / "whole").mkdir()
    tree = grismr_cutouts["cutouts"]
    ours = write_fits(tree, folder / "nrc_cal.fits")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_asdf_write, "STREAM", False)  # every Deferred resolved before asdf writes
        whole = write_fits(tree, folder / "whole" / "nrc_cal.fits")
    return tree, ours, whole


def test_same_file_as_the_whole_tree_converted(written):
    _, ours, whole = written
    assert _DATE.sub(rb"\1'", ours.read_bytes()) == _DATE.sub(rb"\1'", whole.read_bytes())


def test_stdatamodels_opens_it_and_every_slit_wcs_evaluates_as_spec2xs(written):
    """stdatamodels' WCS of each slit equals spec2x's read back bit for bit, and the
    cut-out's own to an ulp (a WCS read from ASDF, as before)."""
    from stdatamodels.jwst.datamodels import MultiSlitModel

    tree, ours, _ = written
    cut = [w.wcs for part in groups(tree) for w in part[WCS_COORD].values]
    back = [w.wcs for part in groups(open_product(ours)) for w in part[WCS_COORD].values]
    with MultiSlitModel(str(ours)) as model:
        assert len(model.slits) == len(cut) > 2
        for slit, want, read in zip(model.slits, cut, back, strict=True):
            ny, nx = slit.data.shape
            x, y = np.meshgrid(np.arange(nx, dtype=float), np.arange(ny, dtype=float))
            for a, b, c in zip(slit.meta.wcs(x, y), want(x, y), read(x, y), strict=True):
                np.testing.assert_array_equal(a, c)
                np.testing.assert_allclose(a, b, rtol=1e-15, atol=0)
