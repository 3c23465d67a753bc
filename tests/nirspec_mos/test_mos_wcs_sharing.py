"""NIRSpec slitlet WCS share their frames and parameter-free transforms; products write each once.

The slitlets' gwcs are built from the same optics objects and the same
parameter-free pieces (``Identity``, ``Mapping``, the incident-cosine head,
the y mask of one slit extent), so asdf writes each once (a YAML anchor,
aliases after).  Sharing must not change a number: a slitlet built among
the others evaluates as one built alone, and the written WCS read back
(asdf, schema validation on) evaluate bit for bit as the objects written.
"""

from __future__ import annotations

import io
from collections import defaultdict

import asdf
import numpy as np
from astropy.modeling import CompoundModel
from gwcs.wcstools import grid_from_bounding_box
from mos_helpers import mos_exposure, mos_refs

from spec2x._asdf_write import asdf_bytes
from spec2x.instruments.nirspec import slits as ns
from spec2x.instruments.nirspec.msa_wcs import msa_slitlets, slitlets_to_slits


def _slitlets(count: int = 12) -> tuple[ns.NirspecOptics, list, list]:
    ds = mos_exposure()
    optics = ns.build_optics(ds.attrs, mos_refs())
    slits = slitlets_to_slits(msa_slitlets(ds.attrs, mos_refs()["msa"]))[:count]
    boxes = ns.traced_boxes(optics, slits)
    wcss = []
    for slit, traced in zip(slits, boxes, strict=True):
        wcs, box, _ = ns.slit_wcs_and_box(optics, slit, traced)
        wcs.bounding_box = box
        wcss.append(wcs)
    return optics, slits, wcss


def _models(wcs) -> set[int]:
    """ids of every model of ``wcs`` (compound parts and user inverses included)."""
    seen: dict[int, object] = {}
    todo = [step.transform for step in wcs.pipeline if step.transform is not None]
    while todo:
        model = todo.pop()
        if id(model) in seen:
            continue
        seen[id(model)] = model
        if isinstance(model, CompoundModel):
            todo += [model.left, model.right]
        if model._user_inverse is not None:
            todo.append(model._user_inverse)
    return set(seen)


def _evaluate(wcs) -> list[np.ndarray]:
    """detector -> world and -> slit_frame on the slitlet's box, and world -> detector back."""
    x, y = grid_from_bounding_box(wcs.bounding_box)
    x, y = x[::3, ::7], y[::3, ::7]
    world = wcs(x, y)
    slit = wcs.get_transform("detector", "slit_frame")(x, y)
    back = wcs.invert(*(np.nan_to_num(w, nan=1.0) for w in world))
    return [*map(np.asarray, world), *map(np.asarray, slit), *map(np.asarray, back)]


def _equal(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)


def test_slitlets_share_frames_and_parameter_free_transforms():
    _, _, wcss = _slitlets()
    first = wcss[0]
    for wcs in wcss[1:]:
        assert all(
            mine.frame is theirs.frame
            for mine, theirs in zip(wcs.pipeline, first.pipeline, strict=True)
        )
    owners: dict[int, int] = defaultdict(int)
    for wcs in wcss:
        for model in _models(wcs):
            owners[model] += 1
    own = sum(1 for n in owners.values() if n == 1) / len(wcss)
    shared = sum(1 for n in owners.values() if n == len(wcss))
    # each slitlet's own models: its slit -> MSA placement, y tabulation, dms2sca and the
    # compound nodes joining them (78 a slitlet when each built its own pieces)
    assert own < 40
    assert shared > 200


def test_a_slitlet_built_among_others_evaluates_as_one_built_alone():
    optics, slits, wcss = _slitlets()
    for k in (0, 5, len(slits) - 1):
        wcs = ns.slit_wcs(ns.build_optics(optics.attrs, optics.refs), slits[k])
        wcs.bounding_box = wcss[k].bounding_box.bounding_box(order="F")
        _equal(_evaluate(wcss[k]), _evaluate(wcs))


def test_written_slitlets_read_back_bit_for_bit_with_shared_parts_once():
    _, _, wcss = _slitlets()
    raw = asdf_bytes({"slits": wcss}, inline_arrays=True)
    text = raw.decode()
    # the two constants of the incident-cosine head and the frames: once per file
    assert text.count("!transform/constant-") == 2
    assert text.count("celestial_frame-") == 1
    with asdf.config_context() as config:
        config.validate_on_read = True
        with asdf.open(io.BytesIO(raw), lazy_load=False, memmap=False) as af:
            back = list(af.tree["slits"])
            for mine, theirs in zip(wcss, back, strict=True):
                _equal(_evaluate(mine), _evaluate(theirs))


def test_a_wcs_stopping_at_the_msa_needs_no_pointing_keywords():
    """The shared telescope steps are built on first use, so optics without RA_REF still give
    the detector -> MSA WCS (synthetic writers, msa_flagging); the sky steps then fail clearly."""
    import pytest

    from spec2x.errors import InputFileError

    ds = mos_exposure()
    attrs = {k: v for k, v in ds.attrs.items() if k != "RA_REF"}
    optics = ns.build_optics(attrs, mos_refs())
    slit = slitlets_to_slits(msa_slitlets(ds.attrs, mos_refs()["msa"]))[0]
    assert ns.slit_wcs(optics, slit, to_sky=False).available_frames[-1] == "msa_frame"
    with pytest.raises(InputFileError, match="RA_REF"):
        ns.slit_wcs(optics, slit)
