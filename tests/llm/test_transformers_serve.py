"""The openai backend against a real OpenAI-compatible server: ``transformers serve`` on the tiny
model, on loopback. It ignores ``response_format`` (it says so in its log), and random weights write
no JSON, so the validate-and-repair path runs for real and ends in one clear message. The served copy
of the tiny model also ends its answer at a newline (a second end-of-text token in its configs): its
random weights never pick the real one, and a server writing the whole token budget on every try
would only test the time limit."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("transformers") is None or importlib.util.find_spec("fastapi") is None,
                       reason="transformers serve needs fastapi (pip install -e '.[test]')"),
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tiny_llm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("served") / "tiny-llm"
    shutil.copytree(tiny_llm, copy)
    from transformers import AutoTokenizer

    newline = AutoTokenizer.from_pretrained(copy).encode("\n")[0]
    for name in ("config.json", "generation_config.json"):
        config = json.loads((copy / name).read_text())
        config["eos_token_id"] = [config["eos_token_id"], newline]
        (copy / name).write_text(json.dumps(config))
    return copy


@pytest.fixture(scope="module")
def server(served: Path) -> Iterator[str]:
    tiny_llm = served
    port = _port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([shutil.which("transformers") or "transformers", "serve", str(tiny_llm), "--host",
                                "127.0.0.1", "--port", str(port), "--device", "cpu"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("transformers serve did not start")
                time.sleep(0.5)  # polling a server that is starting up, not synchronising threads
        yield f"{url}/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_backend_speaks_to_a_real_server(server: str, served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from backends.llm import Message, Request, config_from_spec, open_llm

    monkeypatch.setenv("OPENAI_BASE_URL", server)
    llm = open_llm(config_from_spec(f"openai:{served}"))
    answer = llm.complete(Request((Message("user", "hello"),), max_tokens=8, truncate=True))
    assert 1 <= answer.tokens <= 8 and not answer.constrained


def test_studio_new_against_a_server_that_ignores_the_schema(server: str, served: Path, tmp_path: Path) -> None:
    env = {**os.environ, "OPENAI_BASE_URL": server, "OPENAI_API_KEY": "sk-never-shown", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "runtime.cli", "new", "a gull", "-o", str(tmp_path / "film"),
                          "--llm", f"openai:{served}", "--length", "6"], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=900)
    assert run.returncode == 1
    assert "error[E505]: 'cast': the model's answer was not the JSON asked for after 3 tries" in run.stderr
    assert "Traceback" not in run.stderr and "sk-never-shown" not in run.stderr
    assert not (tmp_path / "film").exists()
