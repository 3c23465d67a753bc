"""A small CRDS cache written in a test folder: rules files and synthetic reference files.

Context ``jwst_0042.pmap`` (newest) and ``jwst_0041.pmap`` (older MIRI photom
rules).  The rules use what JWST's spectroscopic rmaps use: ``Match`` on
data-model keys with ``|`` alternatives, ``*``, ``ANY``, ``N/A`` and a ``GENERIC`` subarray, nested
``UseAfter`` dates, N/A entries, an imap N/A type and an rmap whose type is
not required.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from astropy.io import fits

from spec2x.synthetic.base import reference_header, write_reference_fits

DATE = ("META.OBSERVATION.DATE", "META.OBSERVATION.TIME")
U22 = "2022-01-01 00:00:00"

IMAPS = {
    "jwst_miri_0007.imap": (
        "MIRI",
        {
            "area": "jwst_miri_area_0003.rmap",
            "flat": "jwst_miri_flat_0004.rmap",
            "pathloss": "jwst_miri_pathloss_0002.rmap",
            "photom": "jwst_miri_photom_0005.rmap",
            "bkg": "N/A",
        },
    ),
    "jwst_miri_0006.imap": (
        "MIRI",
        {
            "area": "jwst_miri_area_0003.rmap",
            "flat": "jwst_miri_flat_0004.rmap",
            "pathloss": "jwst_miri_pathloss_0002.rmap",
            "photom": "jwst_miri_photom_0004.rmap",
            "bkg": "N/A",
        },
    ),
    "jwst_nirspec_0009.imap": (
        "NIRSPEC",
        {
            "photom": "jwst_nirspec_photom_0002.rmap",
            "pathloss": "jwst_nirspec_pathloss_0002.rmap",
            "apcorr": "jwst_nirspec_apcorr_0003.rmap",
            "area": "jwst_nirspec_area_0001.rmap",
            "wavecorr": "N/A",
        },
    ),
}

# name -> (instrument, reftype, parkeys, selector text, extra header)
RMAPS = {
    "jwst_miri_area_0003.rmap": (
        "MIRI",
        "area",
        ("META.INSTRUMENT.DETECTOR", "META.INSTRUMENT.FILTER"),
        f"""Match({{
    ('MIRIMAGE', 'F560W|F770W') : UseAfter({{
        '{U22}' : 'jwst_miri_area_0010.fits',
    }}),
    ('MIRIMAGE', 'P750L') : 'N/A',
}})""",
        {},
    ),
    "jwst_miri_flat_0004.rmap": (
        "MIRI",
        "flat",
        (
            "META.INSTRUMENT.DETECTOR",
            "META.INSTRUMENT.FILTER",
            "META.EXPOSURE.TYPE",
            "META.SUBARRAY.NAME",
        ),
        f"""Match({{
    ('MIRIMAGE', 'P750L', 'MIR_LRS-FIXEDSLIT', 'FULL') : UseAfter({{
        '{U22}' : 'jwst_miri_flat_0101.fits',
        '2023-06-01 00:00:00' : 'jwst_miri_flat_0102.fits',
    }}),
    ('MIRIMAGE', 'P750L', 'MIR_LRS-SLITLESS', 'SLITLESSPRISM') : UseAfter({{
        '{U22}' : 'jwst_miri_flat_0103.fits',
    }}),
    ('MIRIMAGE', 'P750L', 'MIR_LRS-SLITLESS', 'GENERIC') : UseAfter({{
        '{U22}' : 'jwst_miri_flat_0104.fits',
    }}),
}})""",
        {},
    ),
    "jwst_miri_pathloss_0002.rmap": (
        "MIRI",
        "pathloss",
        ("META.EXPOSURE.TYPE",),
        f"""Match({{
    ('MIR_LRS-FIXEDSLIT',) : UseAfter({{
        '{U22}' : 'jwst_miri_pathloss_0005.fits',
    }}),
}})""",
        {},
    ),
    "jwst_miri_photom_0005.rmap": (
        "MIRI",
        "photom",
        ("META.INSTRUMENT.DETECTOR", "META.EXPOSURE.TYPE"),
        f"""Match({{
    ('MIRIMAGE', 'MIR_LRS-FIXEDSLIT|MIR_LRS-SLITLESS') : UseAfter({{
        '{U22}' : 'jwst_miri_photom_0201.fits',
    }}),
    ('MIRIMAGE', 'ANY') : UseAfter({{
        '{U22}' : 'jwst_miri_photom_0200.fits',
    }}),
}})""",
        {},
    ),
    "jwst_miri_photom_0004.rmap": (
        "MIRI",
        "photom",
        ("META.INSTRUMENT.DETECTOR", "META.EXPOSURE.TYPE"),
        f"""Match({{
    ('MIRIMAGE', '*') : UseAfter({{
        '{U22}' : 'jwst_miri_photom_0200.fits',
    }}),
}})""",
        {},
    ),
    "jwst_nirspec_photom_0002.rmap": (
        "NIRSPEC",
        "photom",
        ("META.EXPOSURE.TYPE",),
        f"""Match({{
    ('NRS_FIXEDSLIT|NRS_BRIGHTOBJ',) : UseAfter({{
        '{U22}' : 'jwst_nirspec_photom_0301.fits',
    }}),
}})""",
        {},
    ),
    "jwst_nirspec_pathloss_0002.rmap": (
        "NIRSPEC",
        "pathloss",
        ("META.EXPOSURE.TYPE",),
        f"""Match({{
    ('NRS_FIXEDSLIT',) : UseAfter({{
        '{U22}' : 'jwst_nirspec_pathloss_0401.fits',
    }}),
    ('NRS_BRIGHTOBJ',) : 'N/A',
}})""",
        {},
    ),
    "jwst_nirspec_apcorr_0003.rmap": (
        "NIRSPEC",
        "apcorr",
        ("META.EXPOSURE.TYPE", "META.INSTRUMENT.GRATING"),
        f"""Match({{
    ('NRS_FIXEDSLIT', 'G140M|G235M') : UseAfter({{
        '{U22}' : 'jwst_nirspec_apcorr_0501.fits',
    }}),
    ('NRS_FIXEDSLIT', 'N/A') : UseAfter({{
        '{U22}' : 'jwst_nirspec_apcorr_0500.fits',
    }}),
}})""",
        {},
    ),
    "jwst_nirspec_area_0001.rmap": (
        "NIRSPEC",
        "area",
        ("META.EXPOSURE.TYPE",),
        f"""Match({{
    ('NRS_MSASPEC',) : UseAfter({{
        '{U22}' : 'jwst_nirspec_area_0601.fits',
    }}),
}})""",
        {"reffile_required": "NO"},
    ),
}

PMAPS = {
    "jwst_0041.pmap": {"MIRI": "jwst_miri_0006.imap", "NIRSPEC": "jwst_nirspec_0009.imap"},
    "jwst_0042.pmap": {"MIRI": "jwst_miri_0007.imap", "NIRSPEC": "jwst_nirspec_0009.imap"},
}


def _write_rules(path: Path, header: dict, selector: str) -> None:
    lines = ["header = {"]
    for key, value in sorted(
        {**header, "sha1sum": "X", "observatory": "JWST", "derived_from": "spec2x test"}.items()
    ):
        lines.append(f"    {key!r} : {value!r},")
    text = "\n".join(lines) + "\n}\n\nselector = " + selector + "\n"
    body = "".join(line for line in text.splitlines(True) if "sha1sum" not in line)
    path.write_text(text.replace("'X'", repr(hashlib.sha1(body.encode()).hexdigest())))


def _selector_text(table: dict) -> str:
    return "{\n" + "".join(f"    {k!r} : {v!r},\n" for k, v in table.items()) + "}"


def _reference_names() -> dict[str, tuple[str, str]]:
    """Every file an rmap names -> (instrument, reftype)."""
    import re

    out = {}
    for inst, reftype, _keys, selector, _extra in RMAPS.values():
        for name in re.findall(r"'(jwst_[a-z]+_[a-z]+_\d+\.fits)'", selector):
            out[name] = (inst, reftype)
    return out


def write_cache(root: Path, *, flat_layout: bool = False) -> Path:
    """Write the cache under ``root`` (``mappings/jwst``, ``references/jwst/<instrument>``)."""
    maps = root / "mappings" / "jwst"
    maps.mkdir(parents=True)
    for name, table in PMAPS.items():
        header = {"mapping": "PIPELINE", "name": name, "parkey": ("META.INSTRUMENT.NAME",)}
        _write_rules(maps / name, header, _selector_text(table))
    for name, (inst, table) in IMAPS.items():
        header = {"mapping": "INSTRUMENT", "name": name, "instrument": inst, "parkey": ("REFTYPE",)}
        _write_rules(maps / name, header, _selector_text(table))
    for name, (inst, reftype, keys, selector, extra) in RMAPS.items():
        header = {"mapping": "REFERENCE", "name": name, "instrument": inst,
                  "filekind": reftype.upper(), "parkey": (keys, DATE), **extra}  # fmt: skip
        _write_rules(maps / name, header, selector)
    for name, (inst, reftype) in _reference_names().items():
        folder = root / "references" / "jwst" / ("" if flat_layout else inst.lower())
        folder.mkdir(parents=True, exist_ok=True)
        sci = fits.ImageHDU(np.ones((2, 2), np.float32), name="SCI")
        write_reference_fits(folder / name, reference_header(reftype, inst), [sci])
    write_server_config(root)
    return root


def write_server_config(root: Path, context: str = "jwst_0042.pmap") -> None:
    """What ``crds sync`` leaves in a cache for off-line use (crds reads it when no server answers)."""
    info = {
        "observatory": "jwst",
        "operational_context": context,
        "edit_context": context,
        "bad_files": "",
        "bad_files_list": [],
        "force_remote_mode": False,
        "last_synced": "2026-01-01 00:00:00",
        "reference_url": {
            "checked": {"jwst": "https://localhost:9/unchecked_get/references/jwst/"}
        },
        "mapping_url": {"checked": {"jwst": "https://localhost:9/unchecked_get/mappings/jwst/"}},
        "crds_version": {"str": "14.0.3"},
    }
    folder = root / "config" / "jwst"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "server_config").write_text(repr(info))


def cache_from_folder(
    root: Path, folder: Path, exp_type: str, not_applicable: tuple[str, ...] = ()
) -> Path:
    """A CRDS cache whose rules select every file of ``folder`` for ``exp_type`` (one rmap per
    type, ``Match`` on the exposure type, a 2000-01-01 UseAfter) and answer N/A for the
    ``not_applicable`` types; the files are copied under ``references/jwst/<instrument>``."""
    import shutil

    from spec2x.io.references import read_header

    maps = root / "mappings" / "jwst"
    maps.mkdir(parents=True)
    imaps: dict[str, dict[str, str]] = {}
    for path in sorted(folder.iterdir()):
        hdr = read_header(path)
        inst, reftype = str(hdr["INSTRUME"]).upper(), str(hdr["REFTYPE"]).lower()
        rmap = f"jwst_{inst.lower()}_{reftype}_0001.rmap"
        selector = f"Match({{\n    ({exp_type!r},) : UseAfter({{\n        '2000-01-01 00:00:00' : {path.name!r},\n    }}),\n}})"
        header = {"mapping": "REFERENCE", "name": rmap, "instrument": inst,
                  "filekind": reftype.upper(), "parkey": (("META.EXPOSURE.TYPE",), DATE)}  # fmt: skip
        _write_rules(maps / rmap, header, selector)
        imaps.setdefault(inst, {t: "N/A" for t in not_applicable})[reftype] = rmap
        target = root / "references" / "jwst" / inst.lower()
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    pmap = {}
    for inst, table in imaps.items():
        name = f"jwst_{inst.lower()}_0001.imap"
        header = {"mapping": "INSTRUMENT", "name": name, "instrument": inst, "parkey": ("REFTYPE",)}
        _write_rules(maps / name, header, _selector_text(table))
        pmap[inst] = name
    header = {"mapping": "PIPELINE", "name": "jwst_0001.pmap", "parkey": ("META.INSTRUMENT.NAME",)}
    _write_rules(maps / "jwst_0001.pmap", header, _selector_text(pmap))
    write_server_config(root, "jwst_0001.pmap")
    return root
