"""The ``studio`` command line (a stable contract: see DESIGN.md §7 and README.md).

Exit codes: 0 success (warnings allowed), 1 errors in the project or the build, 2 usage errors.
Nothing in here imports an ML library; backends are imported by the executor when a task runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, help="project file, or a directory holding exactly one")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--allow-path", type=Path, action="append", default=[], metavar="DIR",
                   help="also allow referenced files under DIR (project files may not reach outside their directory)")


def _add_llm(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm", metavar="SPEC", help="hf:<repo id | directory | file.gguf> or openai:<model> "
                   "(default: $STUDIO_LLM)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio", description="Build system for AI-made animated films.")
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
    sub.add_parser("schema", help="print the JSON Schema of project files")
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
    cache.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "schema":
            from .commands.render import schema_text

            sys.stdout.write(schema_text())
            return 0
        if args.command in ("check", "plan"):
            from .commands.check import check_or_plan

            return check_or_plan(args)
        if args.command in ("build", "watch"):
            from .build import BuildOptions, build

            if args.jobs < 0:
                sys.stderr.write("studio: --jobs must be at least 1\n")
                return 2
            opts = BuildOptions(args.path, args.out, args.cache, args.format, args.explain, args.jobs, args.wait,
                                args.allow_path)
            if args.command == "watch":
                from .watch import watch

                if not args.path.exists():
                    sys.stderr.write(f"studio: {args.path} does not exist\n")
                    return 2
                return watch(opts)
            return build(opts)
        if args.command in ("fmt", "convert", "import"):
            from .commands import rewrite as lang_cmd

            if args.command == "fmt":
                return lang_cmd.fmt_command(args.paths, args.check)
            if args.command == "convert":
                return lang_cmd.convert_command(args.source, args.target, args.force)
            return lang_cmd.import_command(args.script, args.out, args.force)
        if args.command == "new":
            from .commands.new import new_command

            return new_command(args)
        if args.command == "mcp":
            from .mcp import serve

            return serve(args.root, args.llm, args.allow_path)
        if args.command in ("edit", "undo", "redo"):
            from .commands.edit import edit_command, undo_command

            return edit_command(args) if args.command == "edit" else undo_command(args, args.command == "redo")
        if args.command == "cache":
            from .build import cache_root_for
            from .commands.cache import cache_command

            directory = args.path if args.path.is_dir() else args.path.parent
            return cache_command(args.action, cache_root_for(directory, args.cache), args.max_size, args.format)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
