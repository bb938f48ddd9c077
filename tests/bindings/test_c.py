"""The C program (check_filter.c) against the shared fixture and a real server: it matches
like the Rust filter, refuses tampered builds, and switches to a new build live."""

import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from conftest import FIXTURE, TEXTS

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """check_filter.c compiled against the header and linked with the static library."""
    out = tmp_path_factory.mktemp("c") / "check_filter"
    subprocess.run(
        ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_POSIX_C_SOURCE=200809L",
         str(HERE / "check_filter.c"), "-I", os.environ["LEXSET_C_INCLUDE"],
         os.path.join(os.environ["LEXSET_C_LIB_DIR"], "liblexset_filter.a"),
         "-lpthread", "-ldl", "-lm", "-o", str(out)],
        check=True)
    return str(out)


def test_the_c_program_matches_the_same_spans_as_the_rust_filter(server, program, tmp_path):
    artifact, manifest = server.download(server.first_build, tmp_path)
    run = subprocess.run([program, "verify", str(artifact), str(manifest), server.public_key],
                         input="\n".join(TEXTS) + "\n", capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    found = [line.split("\t") for line in run.stdout.splitlines()]
    for index, text in enumerate(TEXTS):
        c_hits = [(f[1], f[2], *map(int, f[3:])) for f in found if int(f[0]) == index]
        assert c_hits == server.rust_hits(server.first_build, text), text
    assert found, "the fixture's texts hit something"


def test_the_c_program_refuses_a_tampered_build(server, program, tmp_path):
    artifact, manifest = server.download(server.first_build, tmp_path)
    run = subprocess.run([program, "tampered", str(artifact), str(manifest), server.public_key],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "a changed artefact byte refused" in run.stdout
    assert "a changed manifest refused" in run.stdout


def test_the_c_program_switches_to_a_new_build_within_a_second(server, program, tmp_path):
    current = server.json("GET", "/v1/builds/latest")["number"]
    follower = subprocess.Popen(
        [program, "follow", server.base, server.token, server.public_key, str(tmp_path / "cache"),
         str(current)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert follower.stdout.readline().split() == ["ready", str(current)]
    server.import_keywords(FIXTURE / "keywords-next.csv")
    number = server.publish()
    out, err = follower.communicate(timeout=60)
    assert follower.returncode == 0, err
    _, switched_to, at_ms, hits = out.split()
    assert int(switched_to) == number
    assert int(hits) == 1  # 天气, in the new build only
    published = server.json("GET", f"/v1/builds/{number}")["published_at"]
    latency = int(at_ms) / 1000 - datetime.fromisoformat(published).timestamp()
    print(f"C: build {number} active {latency * 1000:.0f} ms after its publication")
    assert latency < 1.0
