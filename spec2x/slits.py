"""Slits of any shape: padded ``(slit, y, x)`` groups of similar size in one DataTree.

A slits product is either one :class:`xarray.Dataset` ``(slit, [integration,]
y, x)`` whose cut-outs are padded to the largest one (a few fixed slits), or,
when padding everything to one shape would hold too many pixels (hundreds of
MOS slitlets, thousands of WFSS cut-outs), an :class:`xarray.DataTree`:

.. code-block:: text

    /              attrs: the exposure's keywords; no data
    /group_000     Dataset (slit, [integration,] y, x): slits of similar shape
    /group_001     ...

Every group follows the slits contract of :mod:`spec2x.datamodel` (its own
padding, per-slit coords, the per-slit ``wcs`` coord, the exposure attrs), so
any Dataset step runs on a group unchanged (:func:`map_groups`).  Groups are
chosen by :func:`plan_groups` so that the pixels held stay within
``max_padding`` times the pixels of the cut-outs.  Slits keep their order
within a group; a merged product lists the groups' slits group after group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .datamodel import PADDING_DQ
from .dq import DQ
from .errors import InputFileError
from .wcs.store import WCS_ATTR, WCS_COORD, with_wcs_coord

__all__ = [
    "GROUP_PREFIX",
    "Slits",
    "combined_attrs",
    "detector_pixels",
    "group_names",
    "groups",
    "held_pixels",
    "iter_slits",
    "map_groups",
    "merge",
    "merge_spectra",
    "plan_groups",
    "select",
    "split",
    "take_groups",
    "to_tree",
]

#: A slits product: one padded Dataset, or a DataTree of padded groups.
Slits = xr.Dataset | xr.DataTree

GROUP_PREFIX = "group_"
#: Below this many pixels in one padded stack, slits stay in one group whatever the padding.
MIN_PIXELS = 4_000_000


def plan_groups(
    ysize: Sequence[int] | np.ndarray,
    xsize: Sequence[int] | np.ndarray,
    max_padding: float = 1.25,
    min_pixels: int = MIN_PIXELS,
) -> list[np.ndarray]:
    """Which slits go together: a list of index arrays (ascending), one per group.

    Parameters
    ----------
    ysize, xsize : cut-out sizes (pixels), one per slit.
    max_padding : bound on (pixels held by a group's padded stack) / (pixels of
        its cut-outs), so the whole product holds at most this ratio too.
    min_pixels : one group whenever the single padded stack holds at most this
        many pixels (a few fixed slits: vectorised over slits, memory no issue).

    Notes
    -----
    Slits are taken tallest first (then longest); each goes to the open group
    where it adds the fewest padded pixels without breaking ``max_padding``, or
    opens a new group.  Every group's height is its first slit's.
    """
    ny = np.asarray(ysize, np.int64)
    nx = np.asarray(xsize, np.int64)
    n = ny.size
    if n == 0:
        return []
    single = n * int(ny.max()) * int(nx.max())
    if single <= min_pixels or single <= max_padding * int((ny * nx).sum()):
        return [np.arange(n)]
    order = np.lexsort((-nx, -ny))
    height = np.zeros(n, np.int64)  # per group, at most n groups
    width = np.zeros(n, np.int64)
    count = np.zeros(n, np.int64)
    area = np.zeros(n, np.int64)
    member = np.empty(n, np.int64)
    ngroups = 0
    for k in order:
        h, w = ny[k], nx[k]
        g = slice(0, ngroups)
        new_width = np.maximum(width[g], w)
        held = (count[g] + 1) * height[g] * new_width
        fits = held <= max_padding * (area[g] + h * w)
        if fits.any():
            added = np.where(fits, held - count[g] * height[g] * width[g], np.iinfo(np.int64).max)
            best = int(np.argmin(added))
        else:
            best = ngroups
            ngroups += 1
            height[best] = h
        width[best] = max(width[best], w)
        count[best] += 1
        area[best] += h * w
        member[k] = best
    return [np.flatnonzero(member == g) for g in range(ngroups)]


def held_pixels(ysize: Any, xsize: Any, plan: Sequence[np.ndarray]) -> int:
    """Pixels (per image plane) held by the padded groups of ``plan``."""
    ny, nx = np.asarray(ysize), np.asarray(xsize)
    return int(sum(len(g) * int(ny[g].max()) * int(nx[g].max()) for g in plan if len(g)))


def group_names(n: int) -> list[str]:
    """The node names of ``n`` groups (``group_000`` ...)."""
    width = max(3, len(str(n - 1)))
    return [f"{GROUP_PREFIX}{i:0{width}d}" for i in range(n)]


def groups(slits: Slits) -> list[xr.Dataset]:
    """The padded groups of a slits product, in order (one Dataset: itself)."""
    if isinstance(slits, xr.Dataset):
        return [slits]
    children = slits.children
    return [
        children[name].to_dataset(inherit=False)
        for name in sorted(children, key=lambda k: (len(k), k))
        if name.startswith(GROUP_PREFIX)
    ]


def take_groups(slits: xr.DataTree) -> list[xr.Dataset]:
    """The padded groups of ``slits`` (:func:`groups`), detached from it: the tree holds
    them no more, so a group's arrays go as soon as the caller drops the group."""
    parts = groups(slits)
    slits.children = {k: v for k, v in slits.children.items() if not k.startswith(GROUP_PREFIX)}
    return parts


def to_tree(parts: Sequence[xr.Dataset], attrs: dict[str, Any] | None = None) -> Slits:
    """Slits groups as one product: the Dataset itself when there is one, else a DataTree.

    The root holds ``attrs`` (default: the groups' attrs combined by
    :func:`combined_attrs`, without the WCS).
    """
    parts = [with_wcs_coord(p) for p in parts if p.sizes.get("slit", 0)]
    if any(WCS_COORD in p.coords for p in parts):
        parts = [with_wcs_coord(p, always=True) for p in parts]
    if not parts:
        raise InputFileError("a slits product needs at least one slit")
    if len(parts) == 1:
        return parts[0]
    root = combined_attrs(parts) if attrs is None else dict(attrs)
    root.pop(WCS_ATTR, None)
    tree = {"/": xr.Dataset(attrs=root)}
    tree.update(dict(zip(group_names(len(parts)), parts, strict=True)))
    return xr.DataTree.from_dict(tree)


def combined_attrs(parts: Sequence[xr.Dataset]) -> dict[str, Any]:
    """The attrs of a product made of several groups: the first group's, with a step's
    status (``S_*``) ``COMPLETE`` when the step completed on any group.

    A step can leave a group alone (wavecorr corrects only the slit holding the
    point source) and still have run on the product, as jwst records it.  Groups of
    another ``EXP_TYPE`` than the first's (the fixed slits of a MOS exposure) do not
    change the statuses: jwst's product keeps those of its slitlets' model.
    """
    out = dict(parts[0].attrs)
    exp_type = out.get("EXP_TYPE")
    for part in parts[1:]:
        same = part.attrs.get("EXP_TYPE") == exp_type
        for key, value in part.attrs.items():
            if same and str(key).startswith("S_") and value == "COMPLETE":
                out[key] = value
            else:
                out.setdefault(key, value)
    return out


def _sizes(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Each slit's own cut-out size (``ysize``/``xsize`` coords, capped by the array)."""
    n, ny, nx = ds.sizes["slit"], ds.sizes["y"], ds.sizes["x"]
    ys = np.asarray(ds["ysize"].values, np.int64) if "ysize" in ds.coords else np.full(n, ny)
    xs = np.asarray(ds["xsize"].values, np.int64) if "xsize" in ds.coords else np.full(n, nx)
    ys = np.where(ys <= 0, ny, np.minimum(ys, ny))
    xs = np.where(xs <= 0, nx, np.minimum(xs, nx))
    return ys, xs


def detector_pixels(ds: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """Where each pixel of ``ds`` sits on the detector: 0-based full-frame row and column.

    ``y`` and ``x`` are always the rows and columns of the product's own image:
    an exposure's (whose coords are the full-frame pixels, from
    ``SUBSTRT1/2``), or each slit's cut-out (``xstart``/``ystart`` place it on
    the exposure it was cut from).  This gives one answer for both:
    ``detector_y`` on ``(y,)`` for an exposure, ``(slit, y)`` for cut-outs (NaN
    in a slit's padding), and ``detector_x`` likewise.

    Raises
    ------
    InputFileError
        For a resampled (``_s2d``) product, whose pixels have no place on the
        detector.
    """
    if ds.attrs.get("S_RESAMP") == "COMPLETE" or "slit" not in ds.dims:
        if "slit" in ds.dims:
            raise InputFileError(
                "detector_pixels: a resampled (s2d) product's pixels have no detector position"
            )
        return ds["y"].rename("detector_y"), ds["x"].rename("detector_x")
    if "ystart" not in ds.coords or "xstart" not in ds.coords:
        raise InputFileError("detector_pixels: the slits carry no xstart/ystart coords")
    ys, xs = _sizes(ds)
    out = []
    for axis, start, sizes, key in (
        ("y", "ystart", ys, "SUBSTRT2"),
        ("x", "xstart", xs, "SUBSTRT1"),
    ):
        offset = int(ds.attrs.get(key, 1)) - 1 + np.asarray(ds[start].values, np.int64) - 1
        index = np.arange(ds.sizes[axis])
        values = np.where(index < sizes[:, None], offset[:, None] + index, np.nan)
        out.append(xr.DataArray(values, dims=("slit", axis), name=f"detector_{axis}"))
    return out[0], out[1]


def iter_slits(slits: Slits) -> Iterator[xr.Dataset]:
    """Every slit as a one-slit Dataset ``(slit=1, ..., y, x)`` cut to its own size."""
    for ds in groups(slits):
        ys, xs = _sizes(ds)
        for i in range(ds.sizes["slit"]):
            yield ds.isel(slit=slice(i, i + 1), y=slice(0, int(ys[i])), x=slice(0, int(xs[i])))


def _pad(ds: xr.Dataset, sizes: dict[str, int]) -> xr.Dataset:
    """``ds`` padded at the end of each dim of ``sizes`` to that size.

    Fill as the product's maker pads: see :func:`_fill`; an index coord
    (``y``, ``x``) goes on counting from 0.
    """
    grow = {d: n - ds.sizes[d] for d, n in sizes.items() if n > ds.sizes[d]}
    if not grow:
        return ds
    new: dict[Any, xr.Variable] = {}
    for name, var in ds.variables.items():
        if name in grow:
            new[name] = xr.Variable(name, np.arange(sizes[str(name)], dtype=var.dtype))
        elif set(grow) & set(var.dims):
            fill = _fill(str(name), var)
            widths = {d: (0, grow[str(d)]) for d in var.dims if d in grow}
            new[name] = var.pad(widths, constant_values=fill).astype(var.dtype)
        else:
            new[name] = var
    return xr.Dataset(
        {n: new[n] for n in ds.data_vars},
        coords={n: new[n] for n in ds.coords},
        attrs=ds.attrs,
    )


def _fill(name: str, var: xr.Variable) -> Any:
    """Padding value: pixels as extract_2d pads them, spectra as extract_1d pads them."""
    if "spectral" in var.dims:
        if name == "dq":
            return int(DQ.DO_NOT_USE)
        if name in ("npixels", "background") or name.startswith("bkg"):
            return 0
    elif name == "dq":
        return PADDING_DQ
    return np.nan if var.dtype.kind in "fc" else 0


def _alike(items: list[xr.Dataset]) -> list[xr.Dataset]:
    """The parts, each given the per-slit variables only others hold, filled (:func:`_fill`;
    '' for text): the fixed slits of a MOS exposure are calibrated apart, by other steps."""
    first: dict[Any, xr.Variable] = {}
    for p in items:
        for name, var in p.variables.items():
            if "slit" in var.dims and name not in p.dims:
                first.setdefault(name, var)
    coord_names = {n for p in items for n in p.coords}
    out = []
    for p in items:
        new = {}
        for name, var in first.items():
            if name not in p.variables:
                shape = tuple(p.sizes.get(d, n) for d, n in var.sizes.items())
                fill = "" if var.dtype.kind in "US" else _fill(str(name), var)
                new[name] = xr.Variable(var.dims, np.full(shape, fill, var.dtype), var.attrs)
        coords = {n: v for n, v in new.items() if n in coord_names}
        out.append(
            p.assign_coords(coords).assign({n: v for n, v in new.items() if n not in coords})
        )
    return out


def merge(parts: Slits | Sequence[xr.Dataset]) -> xr.Dataset:
    """One padded Dataset of every slit of ``parts`` (groups, products or single slits).

    Each part is padded to the largest ``y x x`` and they are concatenated along
    ``slit``; per-slit coords (the ``wcs`` coord too) follow.  The attrs
    are the parts' combined (:func:`combined_attrs`).
    """
    items = groups(parts) if isinstance(parts, xr.Dataset | xr.DataTree) else list(parts)
    if not items:
        raise InputFileError("merge: no slits given")
    items = [with_wcs_coord(p) for p in items]
    if any(WCS_COORD in p.coords for p in items):
        items = [with_wcs_coord(p, always=True) for p in items]
    ny = max(p.sizes["y"] for p in items)
    nx = max(p.sizes["x"] for p in items)
    padded = [_pad(p, {"y": ny, "x": nx}) for p in _alike(items)]
    if len(padded) == 1:
        return padded[0]
    out = xr.concat(
        padded, dim="slit", data_vars="all", coords="different", compat="equals", join="exact"
    )
    out.attrs = combined_attrs(items)
    return out


def merge_spectra(parts: Slits | Sequence[xr.Dataset], *, consume: bool = False) -> xr.Dataset:
    """One x1d product from the spectra of every group (``map_groups(extract_1d, slits)``).

    Spectra are padded at the end of ``spectral`` to the longest as
    extract_1d pads (NaN; 0 in ``npixels`` and the background columns,
    ``DO_NOT_USE`` in ``dq``) and concatenated
    along their leading dim; ``source_id``/``spectral_order`` coords follow (a
    per-spectrum coord only some groups have is filled in the others, :func:`_alike`).
    ``consume``: ``parts`` is a list the caller gives up; it is emptied and each
    part's column dropped once merged, so the parts and the product are not both
    held whole (the same product).
    """
    items = groups(parts) if isinstance(parts, xr.Dataset | xr.DataTree) else list(parts)
    if consume and isinstance(parts, list):
        parts.clear()
    if not items:
        raise InputFileError("merge_spectra: no spectra given")
    if len(items) == 1:
        return items[0]
    lead = next(d for d in items[0]["flux"].dims if d not in ("integration", "spectral"))
    n = max(p.sizes["spectral"] for p in items)
    attrs = combined_attrs(items)
    alike = _alike(items)
    del items  # with consume, `alike` alone holds the parts' columns
    names = list(alike[0].data_vars)
    # a variable at a time (then the coordinates alone): the padded copies of one column
    # exist at once, not of the whole product beside its concatenation
    pieces = []
    for subset in [[name] for name in names] + [[]]:
        pieces.append(xr.concat(
            [_pad(part, {"spectral": n} if "spectral" in part.dims else {})
             for part in (p[subset].reset_coords(drop=True) if subset
                          else p.drop_vars(names, errors="ignore") for p in alike)],
            dim=lead, data_vars="all", coords="different", compat="equals", join="exact",
        ))  # fmt: skip
        if consume and subset:
            for p in alike:
                del p[subset[0]]
    out = xr.merge(pieces, compat="equals", join="exact", combine_attrs="drop_conflicts")
    out.attrs = attrs
    return out


def split(slits: Slits, max_padding: float = 1.25, min_pixels: int = MIN_PIXELS) -> Slits:
    """Regroup a slits product so its padded groups hold <= ``max_padding`` x the cut-out pixels.

    Returns one Dataset when one group is enough (see :func:`plan_groups`),
    else a DataTree of groups.
    """
    one = iter_slits(slits)
    items = list(one)
    ys = np.array([s.sizes["y"] for s in items])
    xs = np.array([s.sizes["x"] for s in items])
    plan = plan_groups(ys, xs, max_padding, min_pixels)
    attrs = dict(groups(slits)[0].attrs)
    parts = [merge([items[i] for i in g]) for g in plan]
    for p in parts:
        p.attrs = dict(attrs)
    return to_tree(parts)


def select(
    slits: Slits,
    names: Sequence[str] | None = None,
    where: Callable[[xr.Dataset], Any] | None = None,
) -> Slits:
    """The slits named in ``names`` and/or for which ``where(group)`` is True (per slit).

    ``where`` takes a group and returns a boolean per slit, e.g.
    ``lambda g: g.source_id == 42`` or ``lambda g: g.spectral_order == 1``.
    Groups left empty are dropped; one group left gives a Dataset.
    """
    kept = []
    for ds in groups(slits):
        mask = np.ones(ds.sizes["slit"], bool)
        if names is not None:
            mask &= np.isin(np.asarray(ds["slit_name"].values).astype(str), [str(n) for n in names])
        if where is not None:
            mask &= np.asarray(where(ds), bool).ravel()
        if mask.any():
            kept.append(ds.isel(slit=np.flatnonzero(mask)))
    if not kept:
        raise InputFileError(f"select: no slit matches names={names} and the condition given")
    if isinstance(slits, xr.Dataset):
        return kept[0]
    return to_tree(kept, attrs={str(k): v for k, v in slits.attrs.items()})


def map_groups(func: Callable[..., xr.Dataset], slits: Slits, *args: Any, **kwargs: Any) -> Slits:
    """Apply a Dataset step to every group: ``func(group, *args, **kwargs)``.

    A Dataset is passed straight to ``func``.  For a DataTree the root attrs
    become the first result's (step status keywords), without the WCS.
    """
    if isinstance(slits, xr.Dataset):
        return func(slits, *args, **kwargs)
    results = [func(ds, *args, **kwargs) for ds in groups(slits)]
    return to_tree(results)
