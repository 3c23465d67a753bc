"""Level-2 associations: science and members by role, and clear errors."""

from __future__ import annotations

import json

import pytest

from spec2x.errors import InputFileError
from spec2x.io.association import read_association


def _asn(tmp_path, products, name="l2_asn.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"asn_type": "spec2", "asn_pool": "pool.csv", "products": products}))
    return path


def _touch(tmp_path, *names):
    for n in names:
        (tmp_path / n).write_bytes(b"")


def test_members_by_role(tmp_path):
    _touch(
        tmp_path, "sci_rate.fits", "bkg1_rate.fits", "bkg2_rate.fits", "imp_rate.fits", "cat.ecsv"
    )
    path = _asn(tmp_path, [{"name": "p1", "members": [
        {"expname": "sci_rate.fits", "exptype": "science"},
        {"expname": "bkg1_rate.fits", "exptype": "background"},
        {"expname": "bkg2_rate.fits", "exptype": "BACKGROUND"},
        {"expname": "imp_rate.fits", "exptype": "imprint"},
        {"expname": "cat.ecsv", "exptype": "sourcecat"}]}])  # fmt: skip
    asn = read_association(path)
    assert asn.asn_type == "spec2"
    assert asn.asn_pool == "pool.csv"
    assert asn.science == tmp_path / "sci_rate.fits"
    assert asn.members == {
        "background": [tmp_path / "bkg1_rate.fits", tmp_path / "bkg2_rate.fits"],
        "imprint": [tmp_path / "imp_rate.fits"],
        "sourcecat": [tmp_path / "cat.ecsv"],
    }


def test_several_products(tmp_path):
    _touch(tmp_path, "a_rate.fits", "b_rate.fits")
    path = _asn(tmp_path, [
        {"name": "a", "members": [{"expname": "a_rate.fits", "exptype": "science"}]},
        {"name": "b", "members": [{"expname": "b_rate.fits", "exptype": "science"},
                                  {"expname": "a_rate.fits", "exptype": "background"}]}])  # fmt: skip
    asn = read_association(path)
    assert [p.name for p in asn.products] == ["a", "b"]
    assert asn.products[1].members == {"background": [tmp_path / "a_rate.fits"]}
    with pytest.raises(InputFileError, match="2 products"):
        _ = asn.science


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not valid JSON \\(line 1"),
        ("[1, 2]", "JSON object"),
        ('{"products": []}', "no 'products'"),
        ('{"products": [{"name": "p"}]}', "no 'members'"),
        ('{"products": [{"members": [{"exptype": "science"}]}]}', "member 0 has no 'expname'"),
        ('{"products": [{"name": "p", "members": []}]}', "no member with exptype 'science'"),
        (
            '{"products": [{"members": [{"expname": "gone_rate.fits", "exptype": "science"}]}]}',
            "science member gone_rate.fits not found",
        ),
    ],
)
def test_errors(tmp_path, content, match):
    path = tmp_path / "bad_asn.json"
    path.write_text(content)
    with pytest.raises(InputFileError, match=match) as info:
        read_association(path)
    assert "bad_asn.json" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_association(tmp_path / "none_asn.json")


def test_paths_are_relative_to_the_association(tmp_path, monkeypatch):
    sub = tmp_path / "data"
    sub.mkdir()
    _touch(sub, "sci_rate.fits")
    path = _asn(sub, [{"members": [{"expname": "sci_rate.fits", "exptype": "science"}]}])
    monkeypatch.chdir(tmp_path)
    assert read_association(path).science == sub / "sci_rate.fits"


@pytest.mark.parametrize("name", ["../x/name", "/abs/name", "sub/name", "..", "a\\b", "a\x00b"])
def test_product_name_with_a_folder_is_refused(tmp_path, name):
    _touch(tmp_path, "sci_rate.fits")
    members = [{"expname": "sci_rate.fits", "exptype": "science"}]
    path = _asn(tmp_path, [{"name": name, "members": members}], name="bad_asn.json")
    with pytest.raises(InputFileError, match="not a plain file name") as info:
        read_association(path)
    assert "bad_asn.json" in str(info.value)
    assert repr(name) in str(info.value)
