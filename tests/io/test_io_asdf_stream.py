"""The ASDF YAML written as events (:mod:`spec2x._asdf_stream`): PyYAML's own bytes, and slit
WCS converted only as they are written (:class:`spec2x._asdf_fast.Deferred`)."""

from __future__ import annotations

import io
import tracemalloc
from collections import OrderedDict

import asdf
import astropy.units as u
import numpy as np
import pytest
from asdf.tags.core import Software
from astropy.modeling import models
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs

from spec2x import _asdf_write
from spec2x._asdf_fast import Deferred
from spec2x._asdf_write import asdf_bytes
from spec2x.io.fits_slits_wcs import deferred_wcs
from spec2x.wcs import cutout as cutout_module
from spec2x.wcs.cutout import CutoutWcs, cutout_wcs
from spec2x.wcs.store import stored_wcs


def _frame(name: str) -> cf.Frame2D:
    return cf.Frame2D(name=name, axes_names=("x", "y"), unit=(u.pix, u.pix))


@pytest.fixture(scope="module")
def exposure():
    """A grism-like exposure WCS: (x, y, x0, y0, order) -> two steps -> world."""
    first = models.Mapping((0, 1), n_inputs=5) | (models.Shift(1.5) & models.Scale(2.0))
    poly = models.Polynomial2D(1, c0_0=1.0, c1_0=0.5, c0_1=0.25)
    second = models.Mapping((0, 1, 0, 1)) | (poly & models.Polynomial2D(1, c0_0=2.0, c0_1=0.3))
    return gwcs_wcs.WCS(
        [(_frame("grism_detector"), first), (_frame("detector"), second), (_frame("world"), None)]
    )


def _cutouts(exposure, n: int) -> list:
    return [
        cutout_wcs(exposure, (10.0 + i, 20.0 + 2 * i), (100.5 + i, 200.25, 1 + i % 2), (20, 300))
        for i in range(n)
    ]


def _bytes(tree: dict, stream: bool, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(_asdf_write, "STREAM", stream)
    return asdf_bytes(tree, inline_below=4096)


def test_events_give_pyyamls_own_bytes(exposure, monkeypatch):
    mapping, back = models.Mapping((0, 1, 0)), models.Mapping((0, 1), n_inputs=3)
    mapping.inverse, back.inverse = back, mapping
    pair = (-1, 1)
    shared = models.Shift(3.0)
    tree = {
        "slits": [{"meta": {"wcs": w}} for w in _cutouts(exposure, 3)],
        "x": {
            "cycle": mapping,
            "models": [shared, shared | models.Scale(-0.0), models.Const1D(np.float64(2))],
            "tuples": [pair, pair, (), ()],
            "inline": np.arange(40, dtype=np.int32).reshape(5, 8),
            "block": np.linspace(0.0, 1.0, 5000),
            "values": [1, 2.5e-17, 1e300, True, None, "text", "1.5", "", np.int64(3), np.str_("s")],
            "special": [float("nan"), float("inf"), -float("inf")],
            "ordered": OrderedDict([("b", 1), ("a", [])]),
            "software": Software({"name": "x", "version": "1"}),
            "keys": {3: "int key", "3": "str key"},
        },
    }
    assert _bytes(tree, True, monkeypatch) == _bytes(tree, False, monkeypatch)


def test_deferred_cutout_wcs_written_as_whole_trees_are(exposure, monkeypatch):
    cut = _cutouts(exposure, 40)
    deferred = deferred_wcs([stored_wcs(w) for w in cut])
    assert isinstance(deferred[1], Deferred)
    assert deferred[0] is cut[0]
    assert len(deferred[1].shared) == 5  # the exposure's three frames, two transforms
    ours = _bytes({"slits": [{"meta": {"wcs": w}} for w in deferred]}, True, monkeypatch)
    whole = _bytes({"slits": [{"meta": {"wcs": w}} for w in cut]}, False, monkeypatch)
    assert ours == whole
    text = ours[: ours.index(b"\n...\n")].decode()
    assert text.count("name: grism_detector") == 1  # the exposure's steps once, aliases after
    with asdf.open(io.BytesIO(ours), lazy_load=False, memmap=False) as af:
        for slit, want in zip(af.tree["slits"], cut, strict=True):
            x, y = np.meshgrid(np.arange(0.0, 300.0, 37.0), np.arange(0.0, 20.0, 3.0))
            for a, b in zip(slit["meta"]["wcs"](x, y), want(x, y), strict=True):
                np.testing.assert_array_equal(a, b)


def test_cutouts_kept_as_numbers_are_written_from_one_template(exposure, monkeypatch):
    """No gwcs per cut-out: the first and the template's probe are made, the others' trees
    are the probe's with their numbers; the bytes those of every gwcs written whole."""
    numbers = [
        (10.0 + i, 20.0 + 2 * i, 100.5 + i, 200.25 - i / 3, 1 + i % 2, 20 - i % 3, 300 + i)
        for i in range(30)
    ]
    parent = stored_wcs(exposure)
    made = []
    real = cutout_module._built
    monkeypatch.setattr(cutout_module, "_built", lambda p, n: made.append(n) or real(p, n))
    deferred = deferred_wcs([None, *(CutoutWcs(parent, n) for n in numbers)])
    ours = _bytes({"slits": [{"meta": {"wcs": w}} for w in deferred]}, True, monkeypatch)
    assert made == [numbers[0], cutout_module._PROBE]
    built = [None] + [
        cutout_wcs(exposure, (x0, y0), (xc, yc, o), (ny, nx))
        for x0, y0, xc, yc, o, ny, nx in numbers
    ]
    whole = _bytes({"slits": [{"meta": {"wcs": w}} for w in built]}, False, monkeypatch)
    assert ours == whole


def test_deferred_wcs_are_never_all_converted_at_once(exposure):
    cut = _cutouts(exposure, 120)
    peaks = []
    for slits in (cut, deferred_wcs([stored_wcs(w) for w in cut])):
        tree = {"slits": [{"meta": {"wcs": w}} for w in slits]}
        asdf_bytes(tree, inline_below=4096)  # caches the models keep after their first writing
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        written = asdf_bytes(tree, inline_below=4096)
        peaks.append(tracemalloc.get_traced_memory()[1] - base - 3 * len(written))
        tracemalloc.stop()
    whole, deferred = peaks
    assert deferred < 0.25 * whole


def test_values_shared_only_by_deferred_values_are_written_in_each(exposure, monkeypatch):
    shared = models.Shift(7.0) | models.Scale(3.0)
    tree = {"a": models.Const1D(1.0), "d": [Deferred(shared), Deferred(shared)]}
    raw = _bytes(tree, True, monkeypatch)
    assert raw.count(b"offset: 7.0") == 2
    with asdf.open(io.BytesIO(raw), lazy_load=False, memmap=False) as af:
        assert [m(2.0) for m in af.tree["d"]] == [27.0, 27.0]


def test_a_deferred_value_with_an_extension_of_its_own_writes_the_tree_again(exposure, monkeypatch):
    cut = _cutouts(exposure, 2)
    tree = {"a": models.Const1D(1.0), "slits": [Deferred(cut[0]), Deferred(cut[1])]}
    ours = _bytes(tree, True, monkeypatch)  # gwcs's extension is met only in a deferred value
    whole = _bytes({"a": tree["a"], "slits": cut}, False, monkeypatch)
    assert ours == whole
    assert b"gwcs" in ours[: ours.index(b"\nslits:")]  # listed in the history's extensions
