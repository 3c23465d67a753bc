"""Which reference types a step can do without: the rule behind ``--refs DIR``.

jwst asks CRDS for every reference type a step uses; for some types CRDS
answers N/A for some modes (MIRI LRS has no ``area`` map, only NIRSpec MOS
has a ``barshadow``), and the step then runs without that correction, or is
skipped, as jwst's step code says.  A folder of references cannot say N/A,
so spec2x reads a type listed here and absent from the folder as N/A, with
one log line; any other absent type is an error naming it.  ``strict=True``
(``--strict-refs``) refuses instead.
"""

from __future__ import annotations

__all__ = ["OPTIONAL_REFTYPES", "is_optional"]

#: step -> reference types whose N/A jwst's step accepts (it skips, or runs
#: without that correction).  The types that define a step (``photom``,
#: ``flat``, ``extract1d``, the WCS files) are not here: without them jwst
#: would not produce the same products, so a missing one stays an error.
OPTIONAL_REFTYPES: dict[str, tuple[str, ...]] = {
    "msa_flagging": ("msaoper",),
    "bkg_subtract": ("bkg", "wavelengthrange"),
    "targ_centroid": ("filteroffset",),
    "wavecorr": ("wavecorr",),
    "pathloss": ("pathloss",),
    "barshadow": ("barshadow",),
    "photom": ("area",),
    "extract_1d": ("apcorr", "psf", "specprofile", "speckernel", "pastasoss"),
}


def is_optional(step: str | None, reftype: str) -> bool:
    """Whether ``step`` runs as jwst runs it when ``reftype`` is N/A."""
    return step is not None and reftype.lower() in OPTIONAL_REFTYPES.get(step, ())
