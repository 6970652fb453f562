"""The ``studio`` command line (a stable contract: see DESIGN.md §7 and README.md).

Exit codes: 0 success (warnings allowed), 1 errors in the project or the build, 2 usage errors.
Nothing in here imports an ML library; backends are imported by the executor when a task runs.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .build import BuildOptions

__all__ = ["main"]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, help="project file, or a directory holding exactly one")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--allow-path", type=Path, action="append", default=[], metavar="DIR",
                   help="also allow referenced files under DIR (project files may not reach outside their directory)")


def _add_remote(p: argparse.ArgumentParser, text: str) -> None:
    p.add_argument("--remote-cache", metavar="URL", help=text)


def _usage(code: str, message: str) -> int:
    sys.stderr.write(f"studio: error[{code}]: {message}\n")
    return 2


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it: Ray takes a second)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _cluster_options(args: argparse.Namespace) -> int | None:
    """Check --executor, --ray-address and --remote-cache before anything starts (exit 2 if wrong)."""
    from .store.remote import remote_url_from_env

    if args.executor == "local" and args.ray_address:
        return _usage("E602", "--ray-address joins a Ray cluster: use it with --executor ray (or alone)")
    if args.ray_address:
        args.executor = "ray"
    args.executor = args.executor or "local"
    if args.executor == "ray" and not _installed("ray"):
        return _usage("E601", "--executor ray needs Ray, which is not installed: pip install 'studio[ray]'")
    args.remote_cache = remote_url_from_env(args.remote_cache)
    return _check_remote(args.remote_cache)


def _check_remote(url: str | None) -> int | None:
    from .store.remote import parse_remote_url

    if url is None:
        return None
    try:
        kind, _ = parse_remote_url(url)
    except ValueError as exc:
        return _usage("E603", str(exc))
    if kind == "s3" and not _installed("s3fs"):
        return _usage("E604", "an s3:// remote cache needs s3fs, which is not installed: pip install 'studio[s3]'")
    return None


def _add_llm(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm", metavar="SPEC", help="hf:<repo id | directory | file.gguf> or openai:<model> "
                   "(default: $STUDIO_LLM)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio", description="Build system for AI-made animated films.")
    parser.add_argument("--version", action=_Version, nargs=0, help="print studio's version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_common(sub.add_parser("check", help="report every problem in a project file"))
    plan = sub.add_parser("plan", help="show the render tasks, their cache status and the schedule")
    _add_common(plan)
    plan.add_argument("--cache", type=Path, metavar="DIR", help="store to look tasks up in (default: .studio/ beside "
                      "the project, or $STUDIO_CACHE)")
    for name, text in (("build", "render the film incrementally"),
                       ("watch", "build, then build again whenever a project file or a file it uses changes")):
        build = sub.add_parser(name, help=text)
        _add_common(build)
        build.add_argument("--out", type=Path, metavar="DIR", help="where deliverables go (default: build/ beside it)")
        build.add_argument("--cache", type=Path, metavar="DIR", help="store directory (default: .studio/ beside it, "
                           "or $STUDIO_CACHE)")
        build.add_argument("--explain", action="store_true", help="say why each task runs")
        build.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                           help="CPU tasks run at once (default: the number of CPUs)")
        build.add_argument("--no-wait", dest="wait", action="store_false",
                           help="fail at once if another build of this project is running")
        build.add_argument("--executor", choices=("local", "ray"), default=None,
                           help="where tasks run: threads here (local, the default) or Ray (a local instance, or "
                           "the cluster at --ray-address; the ray extra)")
        build.add_argument("--ray-address", metavar="ADDR", help="join this Ray cluster (implies --executor ray)")
        _add_remote(build, "a second cache level behind .studio/: s3://BUCKET/PREFIX or a shared directory "
                    "(default: $STUDIO_REMOTE_CACHE)")
        if name == "watch":
            build.add_argument("--serve", type=int, metavar="PORT",
                               help="serve a live preview page on PORT (0: a free port); prints its URL")
            build.add_argument("--host", metavar="HOST", help="with --serve: listen on HOST instead of 127.0.0.1 "
                               "(the page then needs the random token printed with its URL)")
    sub.add_parser("schema", help="print the JSON Schema of project files")
    sub.add_parser("lsp", help="run the language server on stdin/stdout (for editors)")
    fmt = sub.add_parser("fmt", help="format project files in place (YAML or the .studio screenplay DSL)")
    fmt.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="project file, or a directory holding one")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would be reformatted")
    convert = sub.add_parser("convert", help="convert a project between .studio.yaml and .studio")
    convert.add_argument("source", type=Path, metavar="IN")
    convert.add_argument("target", type=Path, metavar="OUT", help="format from the extension")
    convert.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    imp = sub.add_parser("import", help="import a Fountain screenplay as a project")
    imp.add_argument("script", type=Path, metavar="SCRIPT", help="a .fountain file")
    imp.add_argument("-o", "--out", type=Path, metavar="OUT",
                     help="project file to write, .studio.yaml or .studio (default: SCRIPT's name + .studio.yaml)")
    imp.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    imp.add_argument("--coverage", choices=("auto", "none"), default="auto",
                     help="auto: cut dialogue into shots a director would (docs/fountain.md); "
                          "none: one shot per action paragraph, speeches join it")
    export = sub.add_parser("export", help="write the built timeline for an editor (OpenTimelineIO adapters)")
    export.add_argument("path", type=Path, metavar="PATH",
                        help="a timeline.otio, or a project (file or directory) whose build holds one")
    export.add_argument("--format", choices=("otio", "fcpxml", "edl"), default=None,
                        help="what to write (default: from OUT's extension)")
    export.add_argument("out", type=Path, metavar="OUT")
    export.add_argument("--build", type=Path, metavar="DIR", help="the build directory (default: build/ beside "
                        "the project)")
    export.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    new = sub.add_parser("new", help="draft a project from a prompt with a language model")
    new.add_argument("prompt", nargs="?", default="", metavar="PROMPT", help="what the film is about")
    new.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="directory of the new project")
    _add_llm(new)
    new.add_argument("--format", dest="syntax", choices=("yaml", "studio"), default="yaml",
                     help="write film.studio.yaml (default) or the screenplay DSL, film.studio")
    new.add_argument("--length", type=float, default=30.0, metavar="SECONDS", help="about how long (default: 30)")
    new.add_argument("--seed", type=int, metavar="N", help="sample with this seed (default: greedy decoding)")
    new.add_argument("--from", dest="source", type=Path, metavar="FILE",
                     help="a treatment or outline to follow (its scenes, headings and names are kept)")
    new.add_argument("--rounds", type=int, default=2, metavar="N", help="repair rounds at most (default: 2)")
    new.add_argument("--keep-invalid", action="store_true", help="write the draft even if it still has errors")
    edit = sub.add_parser("edit", help="change a project by an instruction to a language model")
    edit.add_argument("path", type=Path, help="project file, or a directory holding exactly one")
    edit.add_argument("instruction", metavar="INSTRUCTION", help="what to change, in words")
    _add_llm(edit)
    edit.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    edit.add_argument("--seed", type=int, metavar="N", help="sample with this seed (default: greedy decoding)")
    edit.add_argument("--rounds", type=int, default=2, metavar="N", help="repair rounds at most (default: 2)")
    for name, text in (("undo", "take back the last studio edit (or redo) of a project file"),
                       ("redo", "re-apply the edit that studio undo took back")):
        step = sub.add_parser(name, help=text)
        step.add_argument("path", type=Path, help="project file, or a directory holding exactly one")
    mcp = sub.add_parser("mcp", help="Model Context Protocol server on stdio (tools for agents)")
    mcp.add_argument("root", type=Path, nargs="?", default=Path("."),
                     help="directory served; tools cannot reach outside it (default: .)")
    _add_llm(mcp)
    mcp.add_argument("--allow-path", type=Path, action="append", default=[], metavar="DIR",
                     help="also allow referenced files under DIR (as for check and build)")
    cache = sub.add_parser("cache", help="inspect and clean the store")
    cache.add_argument("action", choices=("stats", "gc", "verify"))
    cache.add_argument("path", type=Path, nargs="?", default=Path("."), help="project file or directory (default: .)")
    cache.add_argument("--cache", type=Path, metavar="DIR", help="store directory")
    cache.add_argument("--max-size", metavar="SIZE", help="gc: keep older results while the store fits (e.g. 2G)")
    _add_remote(cache, "work on this remote cache (s3://BUCKET/PREFIX or a shared directory) instead of .studio/")
    cache.add_argument("--max-age", metavar="AGE", help="gc of a remote cache: drop results no build has used for "
                       "AGE (e.g. 30d, 12h)")
    cache.add_argument("--format", choices=("text", "json"), default="text")
    server = sub.add_parser("server", help="the background servers that run build, check and plan")
    server.add_argument("action", choices=("start", "status", "stop"),
                        help="start: start one for this installation now and wait until it is ready")
    server.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _watch_serving(opts: BuildOptions, host: str, port: int) -> int:
    """``studio watch --serve``: the preview page beside the watch, for as long as it runs."""
    import json

    from .preview import SHOT_KINDS, start_preview
    from .watch import watch

    if not 0 <= port <= 65535:
        sys.stderr.write("studio: --serve takes a port from 0 to 65535\n")
        return 2
    try:
        server = start_preview(opts, host, port)
    except OSError as exc:
        sys.stderr.write(f"studio: cannot serve the preview on {host}:{port}: {exc.strerror or exc}\n")
        return 1
    try:
        if opts.format == "json":
            sys.stderr.write(json.dumps({"event": "serving", "url": server.url}) + "\n")
            sys.stderr.flush()
        else:
            sys.stdout.write(server.url + "\n")
            sys.stdout.flush()
        opts.listener = server.state
        opts.first = SHOT_KINDS  # the page's shots before the film and the exports
        return watch(opts)
    finally:
        server.close()


def _no_cache(root: Path, directory: Path, named: bool) -> str:
    """Where ``studio cache`` looked, and what to do about it."""
    from studio_lang.loader import PROJECT_SUFFIXES, find_project

    where = f"studio: no cache at {root.resolve()}"
    if named:
        return f"{where} (the --cache directory)\n"
    found, _ = find_project(directory)
    if found is not None:
        return f"{where}: {found.name} has not been built yet (studio build {directory})\n"
    return (f"{where}: looked beside the project in {directory.resolve()}, which holds no project file (a name "
            f"ending in {', '.join(PROJECT_SUFFIXES)}); pass a project or its directory, or --cache DIR\n")


class _Version(argparse.Action):
    """``--version``, looked up only when asked for (importlib.metadata costs start-up time)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        sys.stdout.write(f"studio {_version()}\n")
        parser.exit()


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("studio")
    except metadata.PackageNotFoundError:  # a checkout on PYTHONPATH, not installed
        import tomllib

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, ValueError, KeyError):
            return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "schema":
            from .commands.render import schema_text

            sys.stdout.write(schema_text())
            return 0
        if args.command == "lsp":
            from .lsp import serve

            return serve()
        if args.command in ("check", "plan"):
            from .commands.check import check_or_plan

            return check_or_plan(args)
        if args.command in ("build", "watch"):
            from .build import BuildOptions, build

            if args.jobs < 0:
                sys.stderr.write("studio: --jobs must be at least 1\n")
                return 2
            bad = _cluster_options(args)
            if bad is not None:
                return bad
            opts = BuildOptions(args.path, args.out, args.cache, args.format, args.explain, args.jobs, args.wait,
                                args.allow_path, executor=args.executor, ray_address=args.ray_address,
                                remote_cache=args.remote_cache)
            if args.command == "watch":
                from .watch import watch

                if not args.path.exists():
                    sys.stderr.write(f"studio: {args.path} does not exist\n")
                    return 2
                if args.serve is None:
                    if args.host is not None:
                        sys.stderr.write("studio: --host needs --serve PORT\n")
                        return 2
                    return watch(opts)
                return _watch_serving(opts, args.host or "127.0.0.1", args.serve)
            return build(opts)
        if args.command in ("fmt", "convert", "import"):
            from .commands import rewrite as lang_cmd

            if args.command == "fmt":
                return lang_cmd.fmt_command(args.paths, args.check)
            if args.command == "convert":
                return lang_cmd.convert_command(args.source, args.target, args.force)
            return lang_cmd.import_command(args.script, args.out, args.force, args.coverage)
        if args.command == "export":
            from .commands.export import export_command

            return export_command(args.path, args.format, args.out, args.force, args.build)
        if args.command == "new":
            from .commands.new import new_command

            return new_command(args)
        if args.command == "mcp":
            from .mcp import serve as serve_mcp

            return serve_mcp(args.root, args.llm, args.allow_path)
        if args.command in ("edit", "undo", "redo"):
            from .commands.edit import edit_command, undo_command

            return edit_command(args) if args.command == "edit" else undo_command(args, args.command == "redo")
        if args.command == "server":
            from .commands.server import server_command

            return server_command(args.action, args.format)
        if args.command == "cache":
            from .build import cache_root_for
            from .commands.cache import cache_command

            if args.remote_cache is not None:
                from .commands.remote_cache import remote_cache_command

                bad = _check_remote(args.remote_cache)
                return bad if bad is not None else remote_cache_command(
                    args.action, args.remote_cache, args.max_size, args.max_age, args.format)
            if args.max_age is not None:
                sys.stderr.write("studio: --max-age applies to a remote cache: add --remote-cache URL\n")
                return 2
            directory = args.path if args.path.is_dir() else args.path.parent
            root = cache_root_for(directory, args.cache)
            if not root.is_dir():
                sys.stderr.write(_no_cache(root, directory, args.cache is not None))
                return 1
            return cache_command(args.action, root, args.max_size, args.format)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return 2


def entry() -> None:
    """The ``studio`` command: :func:`main`, then an exit that skips tearing the interpreter down.

    Freeing every object and module of a build (numpy, Pillow, the PDF library's fonts, the plan) took 0.15
    to 0.2 s after the last task had finished, a tenth of a one-shot edit. Like mypy's
    ``hard_exit``, the process ends with ``os._exit`` once its output is flushed and the ``atexit``
    handlers have run (a local Ray instance is shut down there); only when no other thread is left,
    so nothing unfinished is cut short. Every file studio writes is closed (and renamed into place)
    before ``main`` returns. Tests and programs that call ``main`` keep a normal interpreter."""
    from .server.address import COMMANDS

    argv = sys.argv[1:]
    if argv and argv[0] in COMMANDS:
        from .server.client import forward

        code = forward(argv)
        if code is not None:
            sys.exit(code)
    code = main(argv)
    if argv[:1] == ["build"]:
        from .server.client import start_server

        start_server()  # for the next command (see runtime/server/README.md)
    if threading.active_count() == 1:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # a closed pipe, an interrupt: leave the exit to Python
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
