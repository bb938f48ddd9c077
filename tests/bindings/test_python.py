"""The Python module against the shared fixture and a real server: it matches like the Rust
filter, refuses tampered builds and unknown keys, and its updater switches builds live."""

import json
import time
from datetime import datetime

import pytest

import lexset_filter
from conftest import FIXTURE, TEXTS


def spans(hits):
    return [(h.term, ",".join(h.risks), h.byte_start, h.byte_end, h.char_start, h.char_end)
            for h in hits]


def test_a_signed_build_matches_the_same_spans_as_the_rust_filter(server, tmp_path):
    artifact, _ = server.download(server.first_build, tmp_path)
    loaded = lexset_filter.Filter.load(str(artifact), public_keys=[server.public_key])
    assert loaded.build_number == server.first_build
    for text in TEXTS:
        hits = loaded.find(text)
        assert spans(hits) == server.rust_hits(server.first_build, text), text
        for hit in hits:  # char offsets slice Python strings
            assert len(text[hit.char_start:hit.char_end]) == hit.char_end - hit.char_start


def test_tampered_builds_and_unknown_keys_are_refused(server, tmp_path):
    artifact, manifest = server.download(server.first_build, tmp_path)
    good = artifact.read_bytes()
    changed = bytearray(good)
    changed[len(changed) // 2] ^= 1
    artifact.write_bytes(bytes(changed))
    with pytest.raises(lexset_filter.ArtifactMismatchError):
        lexset_filter.Filter.load(str(artifact), public_keys=[server.public_key])
    artifact.write_bytes(good)

    envelope = json.loads(manifest.read_bytes())
    envelope["payload"] = ("f" if envelope["payload"][0] == "e" else "e") + envelope["payload"][1:]
    forged = json.dumps(envelope).encode()
    with pytest.raises(lexset_filter.SignatureError):
        lexset_filter.Filter.from_bytes(good, manifest=forged, public_keys=[server.public_key])

    stranger = "lM1OnM3iWSXXFdRS5r+zDN4e99GC4EksD92IBlEcwgY="
    with pytest.raises(lexset_filter.SignatureError, match="not trusted"):
        lexset_filter.Filter.load(str(artifact), public_keys=[stranger])
    with pytest.raises(lexset_filter.SignatureError):
        lexset_filter.Filter.from_bytes(good, public_keys=[server.public_key])
    with pytest.raises(ValueError):
        lexset_filter.Filter.load(str(artifact), public_keys=["not a key"])
    with pytest.raises(ValueError, match="empty"):
        lexset_filter.Filter.load(str(artifact), public_keys=[])
    with pytest.raises(lexset_filter.LoadError):
        lexset_filter.Filter.from_bytes(b"GIF89a")
    # Without keys: the artefact's own checksum only.
    assert lexset_filter.Filter.load(str(artifact)).build_number == server.first_build


def test_the_updater_switches_to_a_new_build_within_a_second(server, tmp_path):
    current = server.json("GET", "/v1/builds/latest")["number"]
    updater = lexset_filter.Updater(server.base, str(tmp_path / "cache"), token=server.token,
                                    public_keys=[server.public_key])
    assert updater.wait_for_build(current, timeout=30), updater.last_error
    server.import_keywords(FIXTURE / "keywords-next.csv")
    number = server.publish()
    deadline = time.time() + 30
    while updater.build_number != number and time.time() < deadline:
        time.sleep(0.001)
    seen = time.time()
    published = server.json("GET", f"/v1/builds/{number}")["published_at"]
    latency = seen - datetime.fromisoformat(published).timestamp()
    print(f"Python: build {number} active {latency * 1000:.0f} ms after its publication")
    assert latency < 1.0
    assert [h.term for h in updater.find("今天天气很好")] == ["天气"]
    assert updater.last_error is None
