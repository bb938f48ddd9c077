"""A real lexset server for the bindings' tests: signing with a fresh key, four eyes off, the
shared fixture's keywords approved and built. The Rust filter's answers, the reference the C
and Python bindings are compared with, come from the server's own match endpoint."""

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixture"
TEXTS = FIXTURE.joinpath("texts.txt").read_text(encoding="utf-8").splitlines()


class Server:
    def __init__(self, base, token, public_key, workdir):
        self.base, self.token, self.public_key, self.workdir = base, token, public_key, workdir

    def request(self, method, path, body=None, content_type="application/json"):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()

    def json(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        return json.loads(self.request(method, path, data)[2])

    def wait_for_task(self, location):
        deadline = time.time() + 120
        while time.time() < deadline:
            task = self.json("GET", location)
            if task["status"] == "succeeded":
                return task
            assert task["status"] != "failed", task
            time.sleep(0.05)
        raise AssertionError(f"task {location} did not finish")

    def import_keywords(self, path):
        status, headers, _ = self.request(
            "POST", "/v1/imports?file_name=keywords.csv&status=approved",
            Path(path).read_bytes(), "application/octet-stream")
        assert status == 202
        self.wait_for_task(headers["Location"])

    def publish(self):
        """Publishes a build; returns its number."""
        status, headers, body = self.request("POST", "/v1/builds", b"")
        assert status == 202
        self.wait_for_task(headers["Location"])
        return json.loads(body)["build"]["number"]

    def download(self, number, directory):
        """The artefact and manifest of build `number`, as files the way the updater keeps
        them (`build-<n>.lexset`, `build-<n>.manifest.json`)."""
        directory = Path(directory)
        artifact = directory / f"build-{number}.lexset"
        manifest = directory / f"build-{number}.manifest.json"
        artifact.write_bytes(self.request("GET", f"/v1/builds/{number}/artifact")[2])
        manifest.write_bytes(self.request("GET", f"/v1/builds/{number}/manifest")[2])
        return artifact, manifest

    def rust_hits(self, number, text):
        """What the Rust filter finds: (term, risks, byte and char spans) per hit."""
        result = self.json("POST", f"/v1/builds/{number}/match", {"text": text})
        return [
            (h["term"], ",".join(h["risks"]), h["span"]["byte_start"], h["span"]["byte_end"],
             h["span"]["char_start"], h["span"]["char_end"])
            for h in result["hits"]
        ]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    binary = os.environ["LEXSET_BIN"]
    workdir = tmp_path_factory.mktemp("lexset")
    data = workdir / "data"
    key = workdir / "signing.pem"
    created = subprocess.run([binary, "signing-key", "create", "--out", str(key)],
                             check=True, capture_output=True, text=True).stdout
    public_key = next(line.split(": ", 1)[1] for line in created.splitlines()
                      if line.startswith("public_key: "))
    token = subprocess.run(
        [binary, "token", "create", "--data-dir", str(data), "--role", "admin", "--user", "ci"],
        check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    log = open(workdir / "server.log", "w")
    process = subprocess.Popen(
        [binary, "serve", "--data-dir", str(data), "--bind", f"127.0.0.1:{port}",
         "--signing-key-file", str(key), "--four-eyes", "false"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            assert process.poll() is None, (workdir / "server.log").read_text()
            assert time.time() < deadline, "lexset serve did not start"
            time.sleep(0.2)
    served = Server(base, token, public_key, workdir)
    served.import_keywords(FIXTURE / "keywords.csv")
    served.first_build = served.publish()
    yield served
    process.terminate()
    process.wait(timeout=30)
