"""Reference files: open CRDS-format FITS/ASDF files, and pick the right one.

``open_reference(path)`` reads the REFTYPE and INSTRUME keywords and hands
the file to the reader of that pair (:mod:`spec2x.io.ref_readers`, or one
added with :func:`register_reader`); a type with no reader opens as a plain
:class:`Reference` holding its header and HDUs or ASDF tree.  A
:class:`ReferenceSet` answers "which file of type T fits this exposure" from
an explicit mapping (``--ref TYPE=PATH``), a directory of files (``--refs
DIR``, matched on the header selectors) and/or a CRDS cache (``CRDS_PATH``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    InputFileError,
    MissingReferenceError,
    ReferenceMismatchError,
    malformed_input,
)
from .ref_headers import is_asdf, open_asdf_reference, read_header
from .ref_rules import is_optional

if TYPE_CHECKING:
    from .crds_cache import CrdsCache

__all__ = [
    "NOT_APPLICABLE",
    "Reference",
    "ReferenceSet",
    "open_asdf_reference",
    "open_reference",
    "read_header",
    "reference_content",
    "reference_keyword",
    "reference_tree",
    "register_reader",
    "require_keys",
    "typed_content",
]

#: Said for a reference type that does not apply (jwst's ``override_x="N/A"``).
NOT_APPLICABLE = "N/A"

log = logging.getLogger(__name__)

#: Keywords a reference file may be selected on; ``ANY`` / ``N/A`` in the
#: reference match everything; ``|``-separated lists match any member.
SELECTORS = (
    "INSTRUME",
    "DETECTOR",
    "EXP_TYPE",
    "FILTER",
    "GRATING",
    "PUPIL",
    "BAND",
    "CHANNEL",
    "SUBARRAY",
    "LAMP",
    "OPMODE",
)
_WILDCARDS = {"ANY", "N/A", "NONE", "GENERIC", ""}

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
#: Prefix jwst writes before the file name in ``R_*`` (``crds://jwst_miri_flat_0001.fits``).
CRDS_PREFIX = "crds://"


def _reftype(key: str) -> str:
    """``key`` as a reference type: ``flat``, or an ``R_*`` keyword (``R_FLAT``) as a product
    header records it."""
    return _REFTYPE_OF_KEYWORD.get(key.upper(), key.lower())


def _crds_name(value: str) -> str | None:
    """The CRDS file name ``value`` gives (``crds://NAME`` or a bare ``NAME`` with no folder
    that is not a file here), as ``R_*`` keywords record it; None for a path."""
    if value.lower().startswith(CRDS_PREFIX):
        return value[len(CRDS_PREFIX) :]
    if os.sep in value or "/" in value or os.path.exists(value):
        return None
    return value


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
            if not _selector_matches(self.header.get(key), exposure_attrs.get(key)):
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
    return _generic_reader if name is None else load_reader(name)  # type: ignore[no-any-return]


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


def _generic_reader(path: str, header: dict[str, Any]) -> Reference:
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


def _selector(header: Mapping[str, Any], key: str) -> Any:
    """A reference's selector value; EXP_TYPE is matched on P_EXP_TY (CRDS's pattern) when given."""
    if key == "EXP_TYPE" and header.get("P_EXP_TY"):
        return str(header["P_EXP_TY"]).strip().strip("|")
    return header.get(key)


def _selector_matches(ref_value: Any, exp_value: Any) -> bool:
    if ref_value is None or str(ref_value).strip().upper() in _WILDCARDS:
        return True
    if exp_value is None:
        return False
    choices = {c.strip().upper() for c in str(ref_value).split("|")}
    return str(exp_value).strip().upper() in choices or bool(choices & _WILDCARDS)


def _fits(hdr: Mapping[str, Any], attrs: Mapping[str, Any]) -> bool:
    """Whether a reference with header ``hdr`` may serve an exposure with ``attrs``.

    A full-frame file (``SUBARRAY=FULL``) serves every subarray: the steps cut it.
    """
    for key in SELECTORS:
        value = _selector(hdr, key)
        if key == "SUBARRAY" and str(value or "").strip().upper() == "FULL":
            continue
        if not _selector_matches(value, attrs.get(key)):
            return False
    return True


def _rank(hdr: Mapping[str, Any], attrs: Mapping[str, Any]) -> tuple[bool, bool, int]:
    """Higher is a better fit: the exposure's own subarray; any file but a full-frame one
    standing in for a subarray; then the fewest wildcards."""
    theirs = str(hdr.get("SUBARRAY", "")).strip().upper()
    ours = str(attrs.get("SUBARRAY", "")).strip().upper()
    stand_in = theirs == "FULL" and ours not in ("FULL", "")
    specific = sum(
        str(hdr.get(k, "")).upper() not in _WILDCARDS and "|" not in str(hdr.get(k, ""))
        for k in SELECTORS
    )
    return theirs == ours, not stand_in, specific


class ReferenceSet:
    """Reference files for one run: explicit paths by type, a folder, a CRDS cache.

    A type is looked up in that order.  In a folder, the file whose REFTYPE
    and selectors fit the exposure is taken (the most specific when several
    do; a full-frame file serves a subarray that has no file of its own).  A
    type with no file in the folder that the asking step can do without for
    the exposure's mode (:mod:`spec2x.io.ref_rules`) is N/A, said once in the log; any other
    missing type is a :class:`MissingReferenceError`.  See ``docs/references.md``.

    Parameters
    ----------
    explicit : reftype (or its ``R_*`` keyword, ``R_FLAT``) -> path, opened
        reference, ``"N/A"``, or a CRDS file name as ``R_*`` records it
        (``crds://jwst_miri_flat_0001.fits`` or ``jwst_miri_flat_0001.fits``,
        with no folder): taken from the CRDS cache, else the folder.
    directory : a folder of CRDS-format files, matched by REFTYPE and selectors.
    crds_cache : a :class:`spec2x.io.crds_cache.CrdsCache`: CRDS's own
        selection from a local cache (:meth:`from_crds`).
    strict : refuse (MissingReferenceError) instead of reading a missing
        optional type as N/A.
    """

    def __init__(
        self,
        explicit: Mapping[str, str | os.PathLike[str] | Reference] | None = None,
        directory: str | os.PathLike[str] | None = None,
        *,
        crds_cache: CrdsCache | None = None,
        strict: bool = False,
    ) -> None:
        self.explicit = {_reftype(k): v for k, v in (explicit or {}).items()}
        self.directory = Path(directory) if directory is not None else None
        if self.directory is not None and not self.directory.is_dir():
            raise InputFileError(f"reference folder {self.directory} does not exist")
        self.crds_cache = crds_cache
        self.strict = strict
        self._index: list[tuple[str, dict[str, Any]]] | None = None
        self._opened: dict[str, Reference] = {}
        self._said: set[str] = set()

    @classmethod
    def from_crds(
        cls,
        path: str | os.PathLike[str] | None = None,
        context: str | None = None,
        *,
        explicit: Mapping[str, str | os.PathLike[str] | Reference] | None = None,
        strict: bool = False,
    ) -> ReferenceSet:
        """References as CRDS selects them from a local cache, with no server.

        Parameters
        ----------
        path : the cache folder (``CRDS_PATH`` when None).
        context : the ``.pmap`` to select with (``CRDS_CONTEXT``, else the
            cache's newest ``jwst_*.pmap``).
        explicit : reftype -> path, CRDS file name or ``"N/A"``, taken before the cache.
        strict : see :class:`ReferenceSet`.
        """
        from .crds_cache import CrdsCache

        return cls(explicit, crds_cache=CrdsCache(path, context), strict=strict)

    def _catalogue(self) -> list[tuple[str, dict[str, Any]]]:
        if self._index is None:
            self._index = []
            if self.directory is not None:
                for p in sorted(self.directory.iterdir()):
                    if p.suffix.lower() in (".fits", ".asdf", ".json") and p.is_file():
                        try:
                            self._index.append((str(p), read_header(p)))
                        except InputFileError:
                            continue
        return self._index

    def _in_folder(self, reftype: str, attrs: Mapping[str, Any]) -> str | None:
        """The best-fitting file of ``reftype`` in the folder; None when none fits."""
        matches = [
            (path, hdr)
            for path, hdr in self._catalogue()
            if str(hdr.get("REFTYPE", "")).lower() == reftype and _fits(hdr, attrs)
        ]
        if len(matches) > 1:
            matches.sort(key=lambda m: _rank(m[1], attrs), reverse=True)
            if _rank(matches[0][1], attrs) == _rank(matches[1][1], attrs):
                names = ", ".join(os.path.basename(m[0]) for m in matches)
                raise MissingReferenceError(
                    f"{len(matches)} {reftype} references fit {_describe(attrs)}: {names}; "
                    f"choose one with --ref {reftype}=PATH"
                )
        return matches[0][0] if matches else None

    def find(self, reftype: str, attrs: Mapping[str, Any], step: str | None = None) -> str | None:
        """Path of the one file of ``reftype`` that fits ``attrs``; None if it is N/A.

        Parameters
        ----------
        reftype : CRDS reference type.
        attrs : the exposure's keywords.
        step : the step asking; a type it can do without for this mode is N/A when missing.
        """
        reftype = reftype.lower()
        if reftype in self.explicit:
            value = self.explicit[reftype]
            if isinstance(value, Reference):
                return value.path
            if value is None or str(value).upper() == NOT_APPLICABLE:
                return None  # None in a mapping means N/A, as in jwst's override_<type>
            name = _crds_name(os.fspath(value))
            return os.fspath(value) if name is None else self._named(reftype, name, attrs)
        path = self._in_folder(reftype, attrs) if self.directory is not None else None
        if path is not None:
            return path
        if self.crds_cache is not None:
            path = self.crds_cache.select(reftype, attrs)
            if path is None:
                self._say(reftype, f"{step or reftype}: CRDS ({self.crds_cache.context}) says "
                          f"{reftype} is N/A for this exposure")  # fmt: skip
            return path
        where = f" in {self.directory}" if self.directory else ""
        if not self.strict and is_optional(step, reftype, attrs):
            self._say(reftype, f"{step}: no {reftype} reference{where} fits {_describe(attrs)}; "
                      "N/A, as CRDS answers where a mode has none (--strict-refs refuses)")  # fmt: skip
            return None
        raise MissingReferenceError(
            f"no {reftype} reference for {_describe(attrs)}{where}; give one with "
            f"--ref {reftype}=PATH (or --ref {reftype}=N/A if it does not apply)"
        )

    def _named(self, reftype: str, name: str, attrs: Mapping[str, Any]) -> str:
        """The file called ``name`` (given as ``crds://NAME`` or ``NAME``, as in ``R_*``): from
        the CRDS cache, else the folder."""
        if self.crds_cache is not None:
            return str(self.crds_cache.locate(name, attrs.get("INSTRUME")))
        if self.directory is not None and (self.directory / name).is_file():
            return str(self.directory / name)
        where = f"is not in {self.directory}" if self.directory else "is not a file here"
        raise MissingReferenceError(
            f"{reftype} reference {name} {where} and no CRDS cache is given: set CRDS_PATH "
            f"to the cache that holds it, or give its path with --ref {reftype}=PATH"
        )

    def _say(self, reftype: str, message: str) -> None:
        """Log why ``reftype`` is N/A, once per run (members and integrations ask again)."""
        if reftype not in self._said:
            self._said.add(reftype)
            log.info("%s", message)

    def get(
        self, reftype: str, attrs: Mapping[str, Any], step: str | None = None
    ) -> Reference | None:
        """The opened reference of ``reftype`` for an exposure with ``attrs`` (None if N/A)."""
        value = self.explicit.get(reftype.lower())
        if isinstance(value, Reference):
            return value
        path = self.find(reftype, attrs, step)
        if path is None:
            return None
        if path not in self._opened:
            self._opened[path] = open_reference(path, reftype)
        return self._opened[path]

    def require(self, reftype: str, attrs: Mapping[str, Any], step: str) -> Reference:
        """Like :meth:`get`, but N/A is an error naming the step that needs the file."""
        ref = self.get(reftype, attrs)
        if ref is None:
            raise MissingReferenceError(
                f"{step} needs a {reftype} reference, but it was given as N/A"
            )
        return ref


def _describe(attrs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={attrs.get(k)}" for k in SELECTORS if attrs.get(k) is not None)
