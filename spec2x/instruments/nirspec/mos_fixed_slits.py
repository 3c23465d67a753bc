"""The fixed slits a NIRSpec MOS exposure carries, calibrated as fixed slits (jwst 3.0.0).

An ``NRS_MSASPEC`` exposure whose MSA metadata opens a fixed slit (rows
with a ``fixed_slit`` name, quadrant 5) holds that slit next to the MSA
slitlets.  jwst's ``Spec2Pipeline._process_nirspec_msa_slits`` runs
extract_2d and srctype on all of them, then splits the fixed slits off as
an ``NRS_FIXEDSLIT`` model: master_background_mos and barshadow leave them
alone, wavecorr, flat_field, pathloss and photom treat them with the
fixed-slit references and algorithms, and extract_1d extracts them with the
fixed-slit ``extract1d`` and ``apcorr`` (``_extract_nirspec_msa_slits``).
The products list the fixed slits after the slitlets, with ``EXP_TYPE``
of the exposure.

spec2x does the same with a group of slits of its own (:mod:`spec2x.slits`):
:func:`branch_fixed_slits` moves the fixed slits into a last group whose
``EXP_TYPE`` is the mode's ``fixed_slits_as``, so every step the chain runs
group by group picks the fixed-slit references and treatment for it;
:func:`as_exposure_type` gives the products back the exposure's type.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import xarray as xr

from ...slits import Slits, combined_attrs, groups, map_groups, merge, to_tree

__all__ = [
    "FS_QUADRANT",
    "MSA_ONLY_STATUSES",
    "as_exposure_type",
    "branch_fixed_slits",
    "is_fixed_slit",
]

log = logging.getLogger(__name__)

#: The MSA quadrant of the fixed slits (the ``msa`` reference's fifth).
FS_QUADRANT = 5

#: Statuses of the steps jwst runs on MSA slitlets only (master_background_mos, barshadow).
MSA_ONLY_STATUSES = frozenset(("S_MSBSUB", "S_BARSHA"))


def is_fixed_slit(ds: xr.Dataset) -> np.ndarray:
    """Which slits of a group are fixed slits (quadrant 5); none without a ``quadrant`` coord."""
    if "quadrant" not in ds.coords:
        return np.zeros(ds.sizes.get("slit", 0), bool)
    return np.asarray(ds["quadrant"].values).ravel() == FS_QUADRANT


def branch_fixed_slits(slits: Slits, exp_type: str) -> Slits:
    """The slits with the fixed slits in one last group of type ``exp_type``.

    Parameters
    ----------
    slits : a MOS slits product (after srctype): one Dataset or a DataTree of groups.
    exp_type : ``EXP_TYPE`` the fixed-slit group takes (``NRS_FIXEDSLIT``).

    Returns
    -------
    ``slits`` unchanged when it holds no fixed slit; else a DataTree whose
    groups are the MSA slitlets' (in their order, the ones left empty
    dropped) and then one group of the fixed slits with ``EXP_TYPE=exp_type``
    (a Dataset of the fixed slits alone when there are no slitlets).
    """
    parts = groups(slits)
    fixed = [is_fixed_slit(p) for p in parts]
    if not any(f.any() for f in fixed):
        return slits
    msa = [p.isel(slit=np.flatnonzero(~f)) for p, f in zip(parts, fixed, strict=True) if (~f).any()]
    fs = [p.isel(slit=np.flatnonzero(f)) for p, f in zip(parts, fixed, strict=True) if f.any()]
    branch = merge(fs)
    branch.attrs = {**parts[0].attrs, "EXP_TYPE": exp_type}
    log.info(
        "%d fixed slit(s) (%s) calibrated as %s, apart from the %d MSA slitlets",
        branch.sizes["slit"],
        ", ".join(np.asarray(branch["slit_name"].values).astype(str)),
        exp_type,
        sum(p.sizes["slit"] for p in msa),
    )
    attrs = {str(k): v for k, v in slits.attrs.items()} if isinstance(slits, xr.DataTree) else None
    return to_tree([*msa, branch], attrs=attrs if msa else None)


def _statuses(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if str(k).startswith("S_") and k != "S_REGION"}


def as_exposure_type(product: Slits, exp_type: str) -> Slits:
    """``product`` (a Dataset or DataTree of groups) with ``EXP_TYPE=exp_type`` everywhere,
    and the step statuses (``S_*``) jwst's merged model keeps.

    jwst's product of slitlets and fixed slits is the slitlets' model with the fixed slits
    appended: its statuses are the slitlets' (the fixed-slit group takes them).  With
    fixed slits only it runs none of the MSA-only steps, whose statuses
    (:data:`MSA_ONLY_STATUSES`) it leaves unset.
    """
    parts = groups(product)
    ran_on_slitlets = [p for p in parts if p.attrs.get("EXP_TYPE") == exp_type]
    slitlets = _statuses(combined_attrs(ran_on_slitlets)) if ran_on_slitlets else None

    def retype(ds: xr.Dataset) -> xr.Dataset:
        if ds.attrs.get("EXP_TYPE") == exp_type:
            return ds
        out = ds.copy(deep=False)
        attrs = {k: v for k, v in ds.attrs.items() if k not in _statuses(ds.attrs)}
        if slitlets is None:
            drop = MSA_ONLY_STATUSES
            attrs.update({k: v for k, v in _statuses(ds.attrs).items() if k not in drop})
        else:
            attrs.update(slitlets)
        out.attrs = {**attrs, "EXP_TYPE": exp_type}
        return out

    out = map_groups(retype, product)
    if isinstance(out, xr.DataTree):
        out.attrs = {**out.attrs, "EXP_TYPE": exp_type}
    return out
