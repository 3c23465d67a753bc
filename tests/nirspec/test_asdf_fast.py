"""spec2x's lean ASDF writing (:mod:`spec2x._asdf_fast`) gives asdf's own bytes, shared
transforms written once (YAML anchors), and leaves the garbage collector as it found it."""

from __future__ import annotations

import gc
import io
import threading
from collections import OrderedDict

import asdf
import numpy as np
import pytest
from asdf.tags.core import Software
from astropy.modeling import models
from nrs_helpers import shared_full_assigned

from spec2x import _asdf_write
from spec2x._asdf_write import asdf_bytes
from spec2x.wcs.store import get_wcs

SLITS = ("S200A1", "S200A2", "S400A1", "S1600A1")


@pytest.fixture(scope="module")
def slits_tree() -> dict:
    """A slits product's tree: one gwcs per fixed slit (the optics shared between them, a
    ``Mapping`` that is its inverse's inverse), and the other kinds of values a tree holds."""
    exposure = shared_full_assigned()
    mapping, back = models.Mapping((0, 1, 0)), models.Mapping((0, 1), n_inputs=3)
    mapping.inverse, back.inverse = back, mapping
    return {
        "slits": [
            {"meta": {"wcs": get_wcs(exposure, slit=s), "model_type": "SlitModel"}} for s in SLITS
        ],  # fmt: skip
        "spec2x": {
            "cycle": mapping,
            "models": [models.Shift(1.5) & models.Scale(-0.0), models.Const1D(np.float64(2))],
            "block": np.linspace(0.0, 1.0, 5000),
            "inline": np.arange(40, dtype=np.int32).reshape(5, 8),
            "short": np.array([np.nan, np.inf]),
            "values": (1, 2.5e-17, True, None, "text", np.int64(3), np.str_("s")),
            "ordered": OrderedDict([("b", 1), ("a", [])]),
            "software": Software({"name": "x", "version": "1"}),
            "keys": {3: "int key", "3": "str key"},
        },
    }


def _written(tree: dict, lean: bool, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(_asdf_write, "LEAN", lean)
    return asdf_bytes(tree, inline_below=4096, compress=[tree["spec2x"]["block"]])


def _without_history(raw: bytes) -> bytes:
    """The file without its extension list (asdf lists the extensions used in set order)."""
    start, end = raw.index(b"\nhistory:"), raw.index(b"\nslits:")
    return raw[:start] + raw[end:]


def test_lean_writing_gives_asdfs_own_bytes(slits_tree, monkeypatch):
    ours = _written(slits_tree, True, monkeypatch)
    theirs = _written(slits_tree, False, monkeypatch)
    assert _without_history(ours) == _without_history(theirs)
    with asdf.open(io.BytesIO(ours), lazy_load=False, memmap=False) as af:
        back = af.tree
        assert back["spec2x"]["cycle"].inverse.mapping == (0, 1)
        np.testing.assert_array_equal(back["spec2x"]["block"], slits_tree["spec2x"]["block"])
        for slit, original in zip(back["slits"], slits_tree["slits"], strict=True):
            x, y = np.meshgrid(np.arange(700, 900, 37.0), np.arange(1010, 1040, 7.0))
            wcs, want = slit["meta"]["wcs"], original["meta"]["wcs"]
            np.testing.assert_array_equal(wcs(x, y)[2], want(x, y)[2])


def test_shared_optics_are_written_once_as_anchors(slits_tree, monkeypatch):
    raw = _written(slits_tree, True, monkeypatch)
    text = raw[: raw.index(b"\n...\n")].decode()
    assert text.count("!<tag:stsci.edu:gwcs/wcs-") == len(SLITS)
    # the NIRSpec optics (det2gwa's snell law, the msa -> oteip polynomials) once per file
    assert text.count("!<tag:stsci.edu:jwst_pipeline/snell-") == 1
    assert text.count("*id") > 4 * len(SLITS)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        asdf_bytes({"x": models.Shift(1.0)})
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_threads_writing_at_once_turn_the_collector_back_on_once_all_are_done():
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    class Slow:
        """A value whose YAML is made while another thread is writing."""

    def slow(dumper, data):
        inside.set()
        release.wait(10)
        return dumper.represent_scalar("tag:yaml.org,2002:str", "slow")

    asdf.yamlutil.AsdfDumper.add_representer(Slow, slow)
    thread = threading.Thread(target=asdf_bytes, args=({"x": Slow()},))
    thread.start()
    try:
        assert inside.wait(10)
        asdf_bytes({"y": 1.0})  # this write ends first: the other is still inside
        assert not gc.isenabled()
    finally:
        release.set()
        thread.join()
    assert gc.isenabled()
