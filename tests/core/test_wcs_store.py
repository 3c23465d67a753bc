import copy
import pickle

import numpy as np
import pytest
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import models
from gwcs import WCS
from gwcs import coordinate_frames as cf

from spec2x.datamodel import make_exposure
from spec2x.errors import StepOrderError
from spec2x.wcs.store import StoredWcs, get_wcs, set_wcs


def _wcs():
    det = cf.Frame2D(name="detector")
    sky = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world", unit=(u.deg, u.deg))
    model = models.Shift(1.5) & models.Scale(2.0)
    return WCS([(det, model), (sky, None)])


def test_wcs_round_trip_through_attrs():
    ds = make_exposure(np.zeros((2, 2)))
    out = set_wcs(ds, _wcs())
    assert "wcs" not in ds.attrs  # input untouched
    stored = out.attrs["wcs"]
    assert isinstance(stored, StoredWcs)
    np.testing.assert_allclose(get_wcs(out)(1.0, 2.0), (2.5, 4.0))
    assert stored == stored.text == StoredWcs(text=stored.text)  # equal by text
    assert stored.text.startswith("#ASDF")
    assert pickle.loads(pickle.dumps(stored)) == stored
    assert copy.deepcopy(stored) is stored
    np.testing.assert_allclose(get_wcs(set_wcs(ds, stored.text))(1.0, 2.0), (2.5, 4.0))


def test_per_slit_wcs():
    ds = set_wcs(
        set_wcs(make_exposure(np.zeros((2, 2))), _wcs(), slit="S200A1"), _wcs(), slit="S400A1"
    )
    assert sorted(ds.attrs["wcs"]) == ["S200A1", "S400A1"]
    with pytest.raises(StepOrderError, match="pass slit=NAME"):
        get_wcs(ds)
    with pytest.raises(StepOrderError, match="S1600A1"):
        get_wcs(ds, slit="S1600A1")


def test_missing_wcs_says_run_assign_wcs():
    with pytest.raises(StepOrderError, match="assign_wcs"):
        get_wcs(make_exposure(np.zeros((2, 2))))


def test_wcs_cache_is_primed_by_set_wcs():
    from spec2x.wcs import store

    wcs = _wcs()
    text = store.wcs_to_text(wcs)
    assert store.wcs_from_text(text) is wcs
    store.clear_cache()
    again = store.wcs_from_text(text)
    assert again is not wcs
    np.testing.assert_allclose(again(1.0, 2.0), wcs(1.0, 2.0))


def test_stored_wcs_equality_is_by_tree():
    from spec2x.wcs.store import same_asdf_text

    one, other = StoredWcs(wcs=_wcs()), StoredWcs(wcs=_wcs())
    assert one == other
    assert one is not other
    shifted = _wcs()
    shifted.set_transform("detector", "world", models.Shift(1.0) & models.Scale(2.0))
    assert StoredWcs(wcs=shifted) != one
    anchored = "a: &id001 [1, 2]\nb: *id001\n"
    assert same_asdf_text(anchored, "a: [1, 2]\nb: [1, 2]\n")
    assert not same_asdf_text(anchored, "a: [1, 2]\nb: [1, 3]\n")
