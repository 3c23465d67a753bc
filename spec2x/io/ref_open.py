"""Reference files: open CRDS-format FITS/ASDF files with the reader of their type.

``open_reference(path)`` reads the REFTYPE and INSTRUME keywords and hands
the file to the reader of that pair (:mod:`spec2x.io.ref_readers`, or one
added with :func:`register_reader`); a type with no reader opens as a plain
:class:`Reference` holding its header and HDUs or ASDF tree.  Imported
through :mod:`spec2x.io.references`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputFileError, ReferenceMismatchError, malformed_input
from .ref_headers import is_asdf, open_asdf_reference, read_header
from .ref_select import selector_matches

__all__ = [
    "NOT_APPLICABLE",
    "Reference",
    "generic_reader",
    "open_reference",
    "reference_content",
    "reference_keyword",
    "reference_tree",
    "reftype_of",
    "register_reader",
    "require_keys",
    "typed_content",
]

#: Said for a reference type that does not apply (jwst's ``override_x="N/A"``).
NOT_APPLICABLE = "N/A"

#: ``R_*`` keyword of each reference type (jwst ``ref_file`` names).
_REF_KEYWORDS = {
    "apcorr": "R_APCORR",
    "area": "R_AREA",
    "barshadow": "R_BARSHA",
    "camera": "R_CAMERA",
    "chromcorr": "R_CHRCOR",
    "collimator": "R_COLLIM",
    "dflat": "R_DFLAT",
    "disperser": "R_DISPER",
    "distortion": "R_DISTOR",
    "extract1d": "R_EXTR1D",
    "fflat": "R_FFLAT",
    "filteroffset": "R_FILOFF",
    "flat": "R_FLAT",
    "fore": "R_FORE",
    "fpa": "R_FPA",
    "fringe": "R_FRINGE",
    "fringefreq": "R_FRIFRQ",
    "ifufore": "R_IFUFOR",
    "ifupost": "R_IFUPOS",
    "ifuslicer": "R_IFUSLI",
    "msa": "R_MSA",
    "msaoper": "R_MSAOPE",  # 8 characters, as jwst's schema (badshutter)
    "ote": "R_OTE",
    "pastasoss": "R_PSTSOS",
    "pathloss": "R_PTHLOS",
    "photom": "R_PHOTOM",
    "regions": "R_REGION",
    "sflat": "R_SFLAT",
    "specwcs": "R_SPCWCS",
    "wavecorr": "R_WAVCOR",
    "wavelengthrange": "R_WAVRAN",
    "bkg": "R_BKG",
    "psf": "R_PSF",
    "speckernel": "R_SPKERN",
    "specprofile": "R_SPPROF",
    "spectrace": "R_SPTRAC",
    "wavemap": "R_WAVMAP",
    "straymask": "R_STRAY",
    "mrsxartcorr": "R_MRSXAR",
    "mrsptcorr": "R_MRSPTC",
    "cubepar": "R_CUBPAR",
    "sirskernel": "R_SIRSKR",
}


def reference_keyword(reftype: str) -> str:
    """The ``R_*`` keyword jwst writes for ``reftype``."""
    return _REF_KEYWORDS.get(reftype.lower(), "R_" + reftype.upper()[:6])


_REFTYPE_OF_KEYWORD = {keyword: reftype for reftype, keyword in _REF_KEYWORDS.items()}


def reftype_of(key: str) -> str:
    """``key`` as a reference type: ``flat``, or an ``R_*`` keyword (``R_FLAT``) as a product
    header records it (the inverse of :func:`reference_keyword`)."""
    return _REFTYPE_OF_KEYWORD.get(key.upper(), key.lower())


@dataclass
class Reference:
    """An opened reference file.

    Attributes
    ----------
    reftype : lowercase CRDS reference type (``flat``, ``specwcs`` ...).
    path : where it was read from.
    header : selector and provenance keywords (uppercase).
    content : reader-specific payload (HDU arrays by name, or the ASDF tree).
    """

    reftype: str
    path: str
    header: dict[str, Any] = field(default_factory=dict)
    content: Any = None

    @property
    def name(self) -> str:
        """File name without folders (what jwst records in ``R_*``)."""
        return os.path.basename(self.path)

    def check_matches(
        self, exposure_attrs: Mapping[str, Any], keys: Iterable[str] = ("INSTRUME", "DETECTOR")
    ) -> None:
        """Raise :class:`ReferenceMismatchError` if a selector of this file contradicts the exposure."""
        for key in keys:
            if not selector_matches(self.header.get(key), exposure_attrs.get(key)):
                raise ReferenceMismatchError(
                    f"{self.reftype} reference {self.name} has {key}={self.header.get(key)!r} "
                    f"but the exposure has {key}={exposure_attrs.get(key)!r}; give a {self.reftype} "
                    f"file made for {key}={exposure_attrs.get(key)!r}"
                )


def typed_content(
    ref: Reference | str | os.PathLike[str],
    reftype: str,
    kind: type,
    *,
    what: str,
    shown: tuple[str, ...] = ("INSTRUME", "DETECTOR"),
) -> Any:
    """The content of a reference (opened, or a path to open as ``reftype``), checked to be ``kind``.

    Raises
    ------
    ReferenceMismatchError
        The file's reader gave another kind (a ``reftype`` file of another
        mode); the message names the file, the ``shown`` keywords and ``what``
        it should have been (``MIRI MRS``).
    """
    if not isinstance(ref, Reference):
        ref = open_reference(ref, reftype)
    if not isinstance(ref.content, kind):
        keys = ", ".join(f"{k}={ref.header.get(k)!r}" for k in shown)
        raise ReferenceMismatchError(
            f"{reftype} reference {ref.name} ({keys}) is not a {what} {reftype} file"
        )
    return ref.content


Reader = Callable[[str, dict[str, Any]], Reference]
#: Readers registered at run time (:func:`register_reader`); they win over the
#: built-in table of :mod:`spec2x.io.ref_readers`.
_READERS: dict[tuple[str, str | None], Reader] = {}


def register_reader(*reftypes: str, instrument: str | None = None) -> Callable[[Reader], Reader]:
    """Decorator: ``reader(path, header) -> Reference`` opens files of these types.

    Parameters
    ----------
    reftypes : CRDS reference types (``pathloss``).
    instrument : ``INSTRUME`` the reader is for; None serves every instrument
        without a reader of its own.
    """
    inst = instrument.strip().upper() if instrument else None

    def deco(func: Reader) -> Reader:
        for t in reftypes:
            _READERS[(t.lower(), inst)] = func
        return func

    return deco


def _reader_for(reftype: str, instrument: Any) -> Reader:
    """The reader of ``(reftype, instrument)``: registered, then built in, then generic."""
    from .ref_readers import load_reader, reader_name

    inst = str(instrument or "").strip().upper() or None
    for key in ((reftype, inst), (reftype, None)):
        if key in _READERS:
            return _READERS[key]
    name = reader_name(reftype, inst)
    return generic_reader if name is None else load_reader(name)  # type: ignore[no-any-return]


def open_reference(path: str | os.PathLike[str], reftype: str | None = None) -> Reference:
    """Open a CRDS-format reference file with the reader of its REFTYPE and INSTRUME.

    Parameters
    ----------
    path : FITS or ASDF reference file.
    reftype : the expected type; a file whose REFTYPE differs is an error.
    """
    path = os.fspath(path)
    header = read_header(path)
    found = str(header.get("REFTYPE") or "").lower()
    if reftype is not None:
        if found and found != reftype.lower():
            raise ReferenceMismatchError(
                f"{path} has REFTYPE={found.upper()!r}, but a {reftype} reference was asked for"
            )
        found = reftype.lower()
    if not found:
        raise InputFileError(f"{path} has no REFTYPE keyword; say its type with --ref TYPE=PATH")
    reader = _reader_for(found, header.get("INSTRUME"))
    with malformed_input(path, f"{found} reference", "give a CRDS-format file of that type"):
        ref = reader(path, header)
    ref.reftype = found
    return ref


def reference_tree(path: str) -> dict[str, Any]:
    """The tree of an ASDF reference, every node read (without asdf's own ``asdf_*`` keys)."""
    with open_asdf_reference(path, lazy_load=False) as af:
        return {k: v for k, v in af.tree.items() if not k.startswith("asdf_")}


def require_keys(tree: Mapping[str, Any], path: str, keys: tuple[str, ...], what: str) -> None:
    """Raise :class:`ReferenceMismatchError` naming the keys of ``keys`` the tree lacks.

    ``what`` is the kind of file it should be (``"MIRI MRS regions reference"``).
    """
    missing = [k for k in keys if k not in tree]
    if missing:
        raise ReferenceMismatchError(f"{path} lacks {missing}: it is not a {what} (jwst's layout)")


def reference_content(
    ref: Reference | str | os.PathLike[str],
    reftype: str,
    kind: type,
    what: str,
    attrs: Mapping[str, Any] | None = None,
    keys: Iterable[str] = ("INSTRUME",),
) -> Any:
    """The content of a reference (opened or a path), of the layout ``kind``, fitting the exposure.

    Parameters
    ----------
    ref : an opened reference or a path.
    reftype : its reference type.
    kind : the content type its reader gives for the layout wanted.
    what : the layout, as the message names it (``"MIRI MRS distortion"``).
    attrs : exposure keywords the file's selectors ``keys`` must fit (``N/A`` fits any).
    keys : the selectors checked.

    Raises
    ------
    ReferenceMismatchError
        The file is of another layout, or its selectors contradict the exposure.
    """
    if not isinstance(ref, Reference):
        ref = open_reference(ref, reftype)
    if not isinstance(ref.content, kind):
        raise ReferenceMismatchError(
            f"{reftype} reference {ref.name} (INSTRUME={ref.header.get('INSTRUME')!r}, "
            f"DETECTOR={ref.header.get('DETECTOR')!r}) is not a {what} file"
        )
    if attrs is not None:
        ref.check_matches(attrs, keys)
    return ref.content


def generic_reader(path: str, header: dict[str, Any]) -> Reference:
    """The reader of a type with none of its own: the header and the ASDF tree, or every
    extension's data by name (``(name, ver)`` past the first of a name)."""
    if is_asdf(path):
        tree = reference_tree(path)
        return Reference(str(header.get("REFTYPE", "")).lower(), path, header, tree)
    from astropy.io import fits

    with fits.open(path, memmap=False) as hdul:
        content = {}
        for hdu in hdul[1:]:
            key = (hdu.name, hdu.ver) if hdu.ver > 1 else hdu.name
            content[key] = hdu.data.copy() if hdu.data is not None else None
    return Reference(str(header.get("REFTYPE", "")).lower(), path, header, content)
