"""The verified cache entry (geoalloc.travel.cache): what is trusted, what is discarded and why.

End to end (a damaged graph or matrix in a real run is rebuilt and the plan equals a cold run's):
tests/runs/test_run_cache_heals.py.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from geoalloc.travel.cache import HEADER_BYTES, MAGIC, read_entry, write_entry

ARRAYS = {
    "minutes": np.array([1.5, 2.0, np.inf]),
    "ids": np.array([3, 1, 2]),
    "label": np.array("x"),
}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_an_entry_round_trips_with_its_checksum_in_a_header(tmp_path, caplog):
    entry = tmp_path / "matrices" / "k.npz"
    write_entry(entry, ARRAYS)
    data = entry.read_bytes()
    assert data.startswith(MAGIC) and data[HEADER_BYTES - 1 : HEADER_BYTES] == b"\n"
    assert [p.name for p in entry.parent.iterdir()] == ["k.npz"]  # no temporary file left
    with caplog.at_level(logging.DEBUG, logger="geoalloc.travel.cache"):
        assert _same(read_entry(entry, "travel matrix"), ARRAYS)
    assert caplog.text == ""
    assert read_entry(tmp_path / "absent.npz", "travel matrix") is None
    assert caplog.text == ""  # a miss is no news


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda d: d[: len(d) - 7], "checksum does not match"),
        (lambda d: d[:40], "no valid header"),
        (lambda d: b"", "the file is empty"),
        (lambda d: d[:-30] + bytes([d[-30] ^ 1]) + d[-29:], "checksum does not match"),
        (lambda d: d[:30] + b"g" + d[31:], "checksum does not match"),  # in the stored digest
        (lambda d: b"Geoalloc" + d[8:], "no valid header"),
    ],
    ids=["truncated", "truncated_in_header", "empty", "flipped", "digest_edited", "magic_edited"],
)
def test_a_damaged_entry_is_discarded_with_a_warning(tmp_path, caplog, damage, why):
    entry = tmp_path / "k.npz"
    write_entry(entry, ARRAYS)
    entry.write_bytes(damage(entry.read_bytes()))
    with caplog.at_level(logging.INFO, logger="geoalloc.travel.cache"):
        assert read_entry(entry, "road graph") is None
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert f"cached road graph {entry} discarded" in record.getMessage()
    assert why in record.getMessage()
    assert not entry.exists()


def test_an_entry_without_checksum_is_not_trusted_and_only_an_info(tmp_path, caplog):
    entry = tmp_path / "k.npz"
    np.savez(entry, **ARRAYS)  # how entries were written before they had a checksum
    with caplog.at_level(logging.INFO, logger="geoalloc.travel.cache"):
        assert read_entry(entry, "travel matrix") is None
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert "older geoalloc, without a checksum" in record.getMessage()
    assert not entry.exists()


def test_a_folder_in_the_place_of_an_entry_is_removed_and_can_be_written_over(tmp_path, caplog):
    entry = tmp_path / "k.npz"
    (entry / "inner").mkdir(parents=True)
    with caplog.at_level(logging.INFO, logger="geoalloc.travel.cache"):
        assert read_entry(entry, "travel matrix") is None
    assert "a folder is where the file should be" in caplog.text
    assert not entry.exists()
    (entry / "inner").mkdir(parents=True)
    write_entry(entry, ARRAYS)  # a writer meeting a folder replaces it too
    assert _same(read_entry(entry, "travel matrix"), ARRAYS)


def test_an_edited_value_with_the_header_kept_is_caught(tmp_path, caplog):
    entry = tmp_path / "k.npz"
    write_entry(entry, ARRAYS)
    header = entry.read_bytes()[:HEADER_BYTES]
    edited = tmp_path / "edited.npz"
    np.savez(edited, **{**ARRAYS, "minutes": ARRAYS["minutes"] / 2})
    entry.write_bytes(header + edited.read_bytes())
    with caplog.at_level(logging.INFO, logger="geoalloc.travel.cache"):
        assert read_entry(entry, "travel matrix") is None
    assert "checksum does not match its content" in caplog.text


def test_a_file_is_hashed_once_until_it_changes(tmp_path):
    """A run asks for its network file's SHA-256 several times (graph key, base map key): the
    file is read once while its inode, size and modification time stay; an edit is seen."""
    import hashlib
    import os

    from geoalloc.travel.graph import file_sha256

    network = tmp_path / "net.osm"
    network.write_bytes(b"<osm>one</osm>")
    first = file_sha256(network)
    assert first == hashlib.sha256(b"<osm>one</osm>").hexdigest()
    stat = network.stat()
    # the same bytes' length written in place with the old time put back: not read again
    with network.open("r+b") as stream:
        stream.write(b"<osm>two</osm>")
    os.utime(network, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file_sha256(network) == first
    # any edit that moves the modification time is read
    os.utime(network, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert file_sha256(network) == hashlib.sha256(b"<osm>two</osm>").hexdigest()
    network.write_bytes(b"<osm>three</osm>")
    assert file_sha256(network) == hashlib.sha256(b"<osm>three</osm>").hexdigest()
