"""The NIRSpec IFU WCS as jwst 3.0.0 writes it in a ``_cal``: one gwcs, slices by a slice map.

spec2x keeps one gwcs per IFU slice (detector -> sca -> gwa -> slit_frame ->
slicer -> ... -> world, each with its box).  jwst's AssignWcsStep, by default
(``nrs_ifu_slice_wcs=False``), replaces its slice-based WCS by a
*coordinate-based* one (``jwst.assign_wcs.nirspec.apply_slicemap``), and that
is the ``meta.wcs`` of every NIRSpec IFU product it writes::

    coordinates --Identity(2)--> detector --det2slicer--> slicer -> msa_frame
        -> oteip -> oteip_chromcorr -> v2v3 -> v2v3vacorr -> world

``det2slicer`` is a gwcs ``RegionsSelector``: the slice map (``regions``,
slice + 1, 0 off the slices) labels each pixel, and label ``s + 1`` selects
slice ``s``'s ``detector -> slicer`` transform, bound to the box of the
slice's pixels.  Its inverse labels a slicer position by the slice whose
centre is nearest in slicer x (within 0.1 mm).  Past the slicer the slices
share every transform.  jwst's readers (``nrs_wcs_set_input``, CubeBuildStep,
Extract1d, the spec3 steps) take the slice WCS from it: the full pipeline,
with the selector's box of the slice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .store import WCS_ATTR, wcs_object

__all__ = ["coordinate_ifu_wcs", "ifu_meta_wcs", "slice_map_array"]

#: Tolerance (m, slicer x) of the inverse label mapper, and the rounding of its labels (jwst's).
_LABEL_ATOL = 1e-4
_LABEL_DECIMALS = 5


def coordinate_ifu_wcs(slices: Sequence[Any], regions: np.ndarray) -> Any:
    """jwst's coordinate-based IFU WCS from spec2x's slice WCS and the slice map.

    Parameters
    ----------
    slices : the gwcs of slices 0, 1, ... (spec2x's, frames ``detector`` ...
        ``slit_frame``, ``slicer`` ... ``world``; each with its bounding box, in
        0-based detector pixels).
    regions : (2048, 2048) slice map (slice + 1; 0 on no slice), full-frame pixels.

    Returns
    -------
    gwcs.WCS
        The WCS jwst 3.0.0's AssignWcsStep writes by default: pixel (x, y) ->
        (ra [deg], dec [deg], wavelength [µm]); its transforms are the slice
        WCS's own (shared, not copied).
    """
    import gwcs  # astropy.modeling and gwcs imported where the WCS is built
    from astropy.modeling import bind_bounding_box
    from astropy.modeling.models import Const1D, Identity
    from astropy.modeling.models import Mapping as AxisMapping
    from gwcs import coordinate_frames as cf
    from gwcs import selector

    first = slices[0]
    frames = first.available_frames
    to_slicer, after = frames.index("slicer"), first.pipeline[frames.index("slicer") :]
    transforms, by_slicer_x = {}, {}
    for s, wcs in enumerate(slices):
        steps = [step.transform for step in wcs.pipeline[:to_slicer]]
        det2slicer = steps[0]
        for step in steps[1:]:
            det2slicer = det2slicer | step
        det2slicer.inputs = ("x", "y")
        bind_bounding_box(det2slicer, wcs.bounding_box.bounding_box(order="F"), order="F")
        transforms[s + 1] = det2slicer
        # the slice's centre on the slicer; jwst takes the mean over its box (the same to 10 µm)
        x_centre = float(wcs.pipeline[to_slicer - 1].transform(0.0, 0.0, 1e-6)[0])
        label = AxisMapping((0,), n_inputs=3) | Const1D(s + 1)
        by_slicer_x[round(x_centre, _LABEL_DECIMALS)] = label
    label_mapper = selector.LabelMapperArray(regions)
    label_mapper.inverse = selector.LabelMapperDict(
        inputs=("x_slice", "y_slice", "lam"),
        mapper=by_slicer_x,
        inputs_mapping=AxisMapping((0,), n_inputs=3),
        atol=_LABEL_ATOL,
    )
    det2slicer = selector.RegionsSelector(
        ("x", "y"),
        ("x_slice", "y_slice", "lam"),
        label_mapper=label_mapper,
        selector=transforms,
        name="det2slicer",
    )
    coord2det = Identity(2, name="coord2det")
    coord2det.inputs = coord2det.outputs = ("x", "y")
    coordinates = cf.Frame2D(name="coordinates", axes_order=(0, 1))
    return gwcs.WCS(
        [
            (coordinates, coord2det),
            (first.pipeline[0].frame, det2slicer),
            *((step.frame, step.transform) for step in after),
        ]
    )


def ifu_meta_wcs(ds: xr.Dataset) -> Any:
    """The ``meta.wcs`` jwst reads in a NIRSpec IFU exposure's file, or None for any other.

    ``ds`` is an NRS_IFU exposure after assign_wcs: one stored gwcs per slice
    (``attrs["wcs"]`` keyed ``"0"`` ... ``"29"``) and the slice map ``regions``
    (y, x) on the frame's pixels from 0.  Anything else (another mode, no slice
    map, a cut-out of the frame, where the map's pixels are not the detector's)
    gives None.
    """
    per_slice = ds.attrs.get(WCS_ATTR)
    if (
        str(ds.attrs.get("EXP_TYPE", "")).upper() != "NRS_IFU"
        or not isinstance(per_slice, Mapping)
        or "regions" not in ds.coords
        or ds["regions"].dims != ("y", "x")
        or not all(_from_zero(ds, dim) for dim in ("y", "x"))
    ):
        return None
    names = [str(s) for s in range(len(per_slice))]
    if sorted(map(str, per_slice)) != sorted(names):
        return None
    slices = [wcs_object(per_slice[n]) for n in names]
    return coordinate_ifu_wcs(slices, np.asarray(ds["regions"].values))


def slice_map_array(wcs: Any) -> np.ndarray:
    """The slice map a coordinate-based IFU WCS holds (its largest array: writers compress it)."""
    return wcs.pipeline[1].transform.label_mapper.mapper  # type: ignore[no-any-return]


def _from_zero(ds: xr.Dataset, dim: str) -> bool:
    """True when the ``dim`` coordinate, if any, numbers the pixels 0, 1, ... (no cut-out)."""
    if dim not in ds.coords:
        return True
    values = np.asarray(ds[dim].values)
    return bool(np.array_equal(values, np.arange(values.size)))
