"""Builds with a remote cache: two "machines" (checkouts with stores of their own) share results through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import LUCA, ROOT
from tests.runtime.helpers import outputs_bytes, tiny_copy
from tests.runtime.remote_helpers import S3Server, build_env, studio_env

SECRET = "studio-test-secret"


@pytest.fixture(params=["shared-dir", "s3"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A remote cache URL and the environment a process needs to reach it."""
    if request.param == "shared-dir":
        shared = tmp_path / "team-cache"
        shared.mkdir()
        return str(shared), {}
    server: S3Server = request.getfixturevalue("s3")
    return f"s3://{server.new_bucket()}/films/cache", server.env


def _machine(tmp_path: Path, name: str, example: Path = LUCA) -> Path:
    """A checkout of its own, with its own .studio/ beside the project."""
    return tiny_copy(example, tmp_path / name / "luca")


def test_second_machine_builds_nothing_and_gets_the_same_film(tmp_path: Path,
                                                             remote: tuple[str, dict[str, str]]) -> None:
    url, env = remote
    first = _machine(tmp_path, "a")
    code, summary, err = build_env(first, "--remote-cache", url, env=env)
    assert code == 0, err
    assert summary["executed"] and not summary["cached"]
    second = _machine(tmp_path, "b")
    code, summary, err = build_env(second, env={**env, "STUDIO_REMOTE_CACHE": url})  # the variable works too
    assert code == 0, err
    assert summary["executed"] == [] and summary["model_loads"] == 0
    assert len(summary["cached"]) == len(json.loads((first / "build" / "report.json").read_text())["tasks"])
    assert outputs_bytes(second / "build") == outputs_bytes(first / "build")
    report = json.loads((second / "build" / "report.json").read_text())
    assert report["remote_cache"] == {"url": url, "read": len(summary["cached"]), "written": 0}
    # now the second machine has it all locally: a no-op build asks the remote nothing
    code, summary, err = build_env(second, "--remote-cache", "s3://no-such-bucket-anywhere/x", env=env)
    assert code == 0 and summary["executed"] == [] and "warning" not in err, err
    for path in [*second.rglob("*"), *first.rglob("*")]:  # credentials never reach the project or the cache
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in err


def test_an_edit_on_one_machine_is_a_hit_on_the_other(tmp_path: Path) -> None:
    url, env = str(tmp_path / "team-cache"), {}
    (tmp_path / "team-cache").mkdir()
    first, second = _machine(tmp_path, "a"), _machine(tmp_path, "b")
    assert build_env(first, "--remote-cache", url, env=env)[0] == 0
    assert build_env(second, "--remote-cache", url, env=env)[0] == 0
    for project in (first, second):
        path = project / "film.studio.yaml"
        path.write_text(path.read_text().replace("Silenzio, Bruno!", "Silenzio, Bruno! Silenzio!"))
    code, summary, err = build_env(first, "--remote-cache", url, env=env)
    assert code == 0 and len(summary["executed"]) >= 3, err
    code, summary, err = build_env(second, "--remote-cache", url, env=env)
    assert code == 0 and summary["executed"] == [], err
    assert outputs_bytes(second / "build") == outputs_bytes(first / "build")


def test_missing_or_damaged_remote_objects_are_misses(tmp_path: Path) -> None:
    shared = tmp_path / "team-cache"
    shared.mkdir()
    first = _machine(tmp_path, "a")
    assert build_env(first, "--remote-cache", str(shared))[0] == 0
    objects = sorted(p for p in (shared / "objects").rglob("*") if p.is_file())
    damaged, gone = objects[0], objects[1]
    damaged.chmod(0o644)
    damaged.write_bytes(b"x" * damaged.stat().st_size)  # same size, other bytes
    gone.unlink()
    second = _machine(tmp_path, "b")
    code, summary, err = build_env(second, "--remote-cache", str(shared))
    assert code == 0, err
    owners = {r["key"] for r in map(json.loads, map(Path.read_bytes, (shared / "actions").rglob("*.json")))
              if {o["digest"] for o in r["outputs"].values()} & {damaged.name, gone.name}}
    assert 1 <= len(summary["executed"]) <= len(owners)  # the tasks that made them, nothing else
    assert outputs_bytes(second / "build") == outputs_bytes(first / "build")
    assert studio_env("cache", "verify", "--remote-cache", str(shared)).returncode == 0  # repaired by the upload


def test_an_unreachable_remote_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    project = _machine(tmp_path, "a")
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1"}
    code, summary, err = build_env(project, "--remote-cache", "s3://bucket/cache", env=env)
    assert code == 0 and summary["executed"] and not summary["failed"], err
    warnings = [json.loads(line) for line in err.splitlines() if '"warning"' in line]
    assert [w["code"] for w in warnings] == ["W605"]
    assert "s3://bucket/cache" in warnings[0]["message"] and SECRET not in err
    done = studio_env("build", str(_machine(tmp_path, "b")), "--remote-cache", str(tmp_path / "not-mounted"))
    assert done.returncode == 0
    assert "warning[W605]: remote cache" in done.stderr and "no such directory" in done.stderr


@pytest.mark.parametrize(("url", "code", "words"), [
    ("ftp://host/cache", "E603", "unsupported scheme 'ftp://'"),
    ("s3://", "E603", "names no bucket"),
    ("s3://KEY:SECRET@bucket/cache", "E603", "carries credentials"),
])
def test_bad_remote_urls_are_usage_errors(tmp_path: Path, url: str, code: str, words: str) -> None:
    project = _machine(tmp_path, "a")
    done = studio_env("build", str(project), "--remote-cache", url)
    assert done.returncode == 2 and f"error[{code}]" in done.stderr and words in done.stderr, done.stderr
    assert "SECRET" not in done.stderr


def test_without_s3fs_an_s3_cache_says_how_to_install_it(tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoS3fs:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 's3fs' or name.startswith('s3fs.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _NoS3fs())\n")
    project = _machine(tmp_path, "a")
    expected = ("studio: error[E604]: an s3:// remote cache needs s3fs, which is not installed: "
                "pip install 'studio[s3]'\n")
    for args in (["build", str(project)], ["cache", "stats", str(project)]):
        done = studio_env(*args, "--remote-cache", "s3://bucket/cache", env={"PYTHONPATH": f"{hide}{os.pathsep}{ROOT}"})
        assert (done.returncode, done.stderr) == (2, expected), done.stderr
    assert not (project / "build").exists()


@pytest.mark.parametrize("kind", ["s3", pytest.param("shared-dir", marks=pytest.mark.slow)])
def test_concurrent_builds_of_overlapping_projects_corrupt_nothing(tmp_path: Path, request: pytest.FixtureRequest,
                                                                  kind: str) -> None:
    """Two machines build two projects that share most tasks at once; a third then builds each from the
    remote alone and gets each one's bytes."""
    if kind == "s3":
        s3: S3Server = request.getfixturevalue("s3")
        url, remote_env = f"s3://{s3.new_bucket()}/cache", s3.env
    else:
        (tmp_path / "team-cache").mkdir()
        url, remote_env = str(tmp_path / "team-cache"), {}
    a, b = _machine(tmp_path, "a"), _machine(tmp_path, "b")
    edited = b / "film.studio.yaml"
    edited.write_text(edited.read_text().replace("Silenzio, Bruno!", "Andiamo!"))
    env = {k: v for k, v in {**os.environ, **remote_env}.items() if k not in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE")}
    procs = [subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(p), "--remote-cache", url,
                               "--format", "json"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in (a, b)]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    for project in (a, b):
        third = tiny_copy(project, tmp_path / "c" / project.parent.name)
        code, summary, err = build_env(third, "--remote-cache", url, env=remote_env)
        assert code == 0 and summary["executed"] == [], err
        assert outputs_bytes(third / "build") == outputs_bytes(project / "build")
    done = studio_env("cache", "verify", "--remote-cache", url, "--format", "json", env=remote_env)
    assert done.returncode == 0 and json.loads(done.stdout)["corrupt"] == [], done.stdout


PROBE = """
import sys, io, contextlib
from runtime.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(code, ",".join(sorted(m for m in ("ray", "s3fs", "fsspec", "botocore", "torch") if m in sys.modules)))
"""


def test_a_no_op_build_imports_neither_ray_nor_s3fs(tmp_path: Path, s3: S3Server) -> None:
    url = f"s3://{s3.new_bucket()}/cache"
    project = _machine(tmp_path, "a")
    assert build_env(project, "--remote-cache", url, env=s3.env)[0] == 0
    env = {**{k: v for k, v in os.environ.items() if k != "STUDIO_CACHE"}, **s3.env}
    out = subprocess.run([sys.executable, "-c", PROBE, "build", str(project), "--executor", "ray", "--remote-cache",
                          url], capture_output=True, text=True, cwd=ROOT, env=env, check=True).stdout.split()
    assert out == ["0"], out


def _kill_while_uploading(project: Path, url: str, env: dict[str, str], records_seen: object) -> int:
    """Start a build with ``--remote-cache url`` and SIGKILL it once ``records_seen()`` says the remote
    holds enough records (mid-upload: objects of later tasks may be there, their records not yet)."""
    full = {k: v for k, v in {**os.environ, **env}.items() if k not in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE")}
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--remote-cache", url,
                             "--format", "json"], cwd=ROOT, env=full, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    assert callable(records_seen)
    while proc.poll() is None and not records_seen():
        time.sleep(0.005)
    proc.kill()
    return proc.wait(timeout=60)


def _shared_records(shared: Path, at_least: int) -> object:
    return lambda: sum(1 for _ in (shared / "actions").glob("*/*.json")) >= at_least


@pytest.mark.parametrize("at_least", [1])
def test_a_build_killed_while_uploading_leaves_nothing_untrusted(tmp_path: Path, at_least: int) -> None:
    """SIGKILL mid-upload: the machine that was killed and another one both build the clean film;
    every record the remote holds names intact objects."""
    clean = _machine(tmp_path, "clean")
    assert build_env(clean)[0] == 0
    shared = tmp_path / "team-cache"
    shared.mkdir()
    killed = _machine(tmp_path, "a")
    code = _kill_while_uploading(killed, str(shared), {}, _shared_records(shared, at_least))
    assert code == -9, "the build ended before it could be killed"
    for project in (killed, _machine(tmp_path, "b")):
        code, summary, err = build_env(project, "--remote-cache", str(shared))
        assert code == 0 and not summary["failed"], err
        assert outputs_bytes(project / "build") == outputs_bytes(clean / "build")
    done = studio_env("cache", "verify", "--remote-cache", str(shared), "--format", "json")
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["corrupt"] == [] and report["dangling_records"] == [], done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("at_least", [2, 5, 9])
def test_builds_killed_at_several_instants_on_s3(tmp_path: Path, s3: S3Server, at_least: int) -> None:
    clean = _machine(tmp_path, "clean")
    assert build_env(clean)[0] == 0
    bucket = s3.new_bucket()
    url = f"s3://{bucket}/cache"
    client = s3.client()

    def seen() -> bool:
        listed = client.list_objects_v2(Bucket=bucket, Prefix="cache/actions/")
        return int(listed.get("KeyCount", 0)) >= at_least

    killed = _machine(tmp_path, "a")
    assert _kill_while_uploading(killed, url, s3.env, seen) == -9, "the build ended before it could be killed"
    for project in (killed, _machine(tmp_path, "b")):
        code, summary, err = build_env(project, "--remote-cache", url, env=s3.env)
        assert code == 0 and not summary["failed"], err
        assert outputs_bytes(project / "build") == outputs_bytes(clean / "build")
    done = studio_env("cache", "verify", "--remote-cache", url, "--format", "json", env=s3.env)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["corrupt"] == [] and report["dangling_records"] == [], done.stdout
