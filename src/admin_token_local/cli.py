"""`admin-token-api serve|invoke|seed`: run the Admin Token API's handlers on this machine.

The command-line contract is /work/shared/spec/local-run.md. Every failure the user can cause
(bad arguments, unreadable files, a port in use, an unknown function) is one line on stderr and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from admin_token_local.appconfig_standin import AppConfigStandIn
from admin_token_local.dynamodb_local import EmbeddedDynamoDB, create_tables
from admin_token_local.gateway import LocalApiGateway
from admin_token_local.lambda_runtime import LocalFunctions, add_layers_to_path, use_local_aws_credentials
from admin_token_local.template import (
    Template,
    feature_flags_document,
    function_environment,
    function_ids,
    load_template,
    table_names,
)

if TYPE_CHECKING:
    from admin_token_local.seed import Seed

PROG = "admin-token-api"
REPO_ROOT = Path(__file__).resolve().parents[2]
# The environment variables naming the AppConfig resources, as template.yaml sets them.
APPCONFIG_VARIABLES = ("APPCONFIG_APPLICATION", "APPCONFIG_ENVIRONMENT", "APPCONFIG_CONFIGURATION")


class CliError(Exception):
    """A failure reported as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage; the contract asks for one clear line.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 0-65535")
    return port


def default_template() -> Path:
    """template.yaml in the current directory, else the one of this repository."""
    here = Path.cwd() / "template.yaml"
    return here if here.is_file() else REPO_ROOT / "template.yaml"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Run the Admin Token API locally, without AWS or Docker.")
    template_help = "SAM template to run (default: ./template.yaml, else the repository's)"
    parser.add_argument("--template", type=Path, default=None, help=template_help)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        # Also accepted after the command; SUPPRESS keeps a value given before it.
        sub.add_argument("--template", type=Path, default=argparse.SUPPRESS, help=template_help)
        return sub

    serve = command("serve", "HTTP API on HOST:PORT playing API Gateway in front of the real handlers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=3000)
    serve.add_argument("--seed", type=Path, metavar="FILE", help="seed file (default: the demo data)")
    serve.add_argument("--feature-flags", type=Path, metavar="FILE", help="AppConfig document (JSON)")
    serve.add_argument("--dynamodb-endpoint", metavar="URL", help="use this DynamoDB instead of an embedded one")
    serve.set_defaults(run=_serve)

    invoke = command("invoke", "run one function once on an event, like `sam local invoke`")
    invoke.add_argument("function", metavar="FUNCTION_LOGICAL_ID")
    invoke.add_argument("--event", type=Path, metavar="FILE", required=True)
    invoke.add_argument("--seed", type=Path, metavar="FILE", help="seed file (default: the demo data)")
    invoke.add_argument("--feature-flags", type=Path, metavar="FILE", help="AppConfig document (JSON)")
    invoke.set_defaults(run=_invoke)

    seed = command("seed", "load a seed file into the tables (a local DynamoDB, or AWS)")
    seed.add_argument("file", type=Path, metavar="FILE")
    seed.add_argument("--dynamodb-endpoint", metavar="URL", help="DynamoDB endpoint (default: AWS)")
    seed.set_defaults(run=_seed)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error already reported in one line
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        status: int = args.run(args)
    except CliError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status


# -- inputs ---------------------------------------------------------------------------------------


def _template(args: argparse.Namespace) -> tuple[Path, Template]:
    path: Path = args.template or default_template()
    try:
        return path, load_template(path)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise CliError(f"cannot read template {path}: {_reason(error)}") from None


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return " ".join(str(error).split()) or type(error).__name__


def _json_object(path: Path, what: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"cannot read {what} {path}: {_reason(error)}") from None
    except ValueError as error:
        raise CliError(f"{what} {path} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise CliError(f"{what} {path} must hold a JSON object")
    return value


def _seed_data(path: Path | None) -> Seed:
    # The seed module builds items with the layer's code: import it only once the layer is on
    # sys.path (and, for serve/invoke, the function environment set), as a handler would.
    from admin_token_local.seed import DEMO_SEED_PATH, SeedError, load_seed_file

    path = path or DEMO_SEED_PATH
    try:
        return load_seed_file(path)
    except SeedError as error:
        raise CliError(str(error)) from None
    except OSError as error:  # in case the loader lets one through
        raise CliError(f"cannot read seed file {path}: {_reason(error)}") from None


def _write_seed(seed: Seed, endpoint: str | None, template: Template, names: dict[str, str]) -> None:
    from admin_token_local.seed import SeedError, write_seed

    try:
        if endpoint is not None:
            create_tables(endpoint, template, names)
        write_seed(seed, endpoint_url=endpoint, table_names=names)
    except SeedError as error:
        raise CliError(str(error)) from None
    except (BotoCoreError, ClientError) as error:
        raise CliError(f"cannot seed DynamoDB at {endpoint or 'AWS'}: {_reason(error)}") from None


def _flags(path: Path | None, template: Template) -> dict[str, Any]:
    if path is not None:
        return _json_object(path, "feature flags file")
    try:
        return feature_flags_document(template)
    except ValueError as error:
        raise CliError(str(error)) from None


# -- the backends shared by serve and invoke ------------------------------------------------------


@contextlib.contextmanager
def local_backends(
    template_path: Path,
    template: Template,
    seed_path: Path | None,
    document: dict[str, Any],
    dynamodb_endpoint: str | None = None,
) -> Iterator[tuple[LocalFunctions, Seed]]:
    """DynamoDB (embedded unless given) with the seeded tables, the AppConfig stand-in, and the
    functions set up to use them; everything stops on exit."""
    names = table_names(template)  # read before this process's environment is changed
    ids = function_ids(template)
    if not ids:
        raise CliError(f"{template_path} has no AWS::Serverless::Function")
    with contextlib.ExitStack() as stack:
        if dynamodb_endpoint is None:
            dynamodb = EmbeddedDynamoDB()
            dynamodb_endpoint = dynamodb.start()
            stack.callback(dynamodb.stop)
        environment = function_environment(template, ids[0])
        identifiers = [environment.get(name, name) for name in APPCONFIG_VARIABLES]
        appconfig = AppConfigStandIn(document, *identifiers)
        appconfig_endpoint = appconfig.start()
        stack.callback(appconfig.stop)
        functions = LocalFunctions(
            template_path, dynamodb_endpoint=dynamodb_endpoint, appconfig_endpoint=appconfig_endpoint
        )
        functions.activate(ids[0])
        seed = _seed_data(seed_path)
        _write_seed(seed, dynamodb_endpoint, template, names)
        yield functions, seed


def _load_handlers(functions: LocalFunctions) -> None:
    for logical_id in functions.function_ids:
        try:
            functions.load(logical_id)
        except Exception as error:
            raise CliError(f"cannot load {logical_id}: {type(error).__name__}: {_reason(error)}") from None


# -- commands -------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    stop = threading.Event()
    with _stop_on_signals(stop):
        template_path, template = _template(args)
        document = _flags(args.feature_flags, template)
        backends = local_backends(template_path, template, args.seed, document, args.dynamodb_endpoint)
        with backends as (functions, seed):
            _load_handlers(functions)
            try:
                gateway = LocalApiGateway(functions, args.host, args.port)
            except OSError as error:
                raise CliError(f"cannot listen on {args.host}:{args.port}: {_reason(error)}") from None
            gateway.start()
            try:
                print(f"listening on {gateway.url}", flush=True)
                _banner(gateway, seed)
                # Event.wait with a timeout lets the signal handlers run promptly on the main thread.
                while not stop.wait(0.5):
                    pass
            finally:
                gateway.stop()
    return 0


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (from startup on, so an early one still stops cleanly)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _banner(gateway: LocalApiGateway, seed: Seed) -> None:
    from admin_token_local.seed import demo_admin_token, demo_runner_token

    admin, runner = demo_admin_token(seed), demo_runner_token(seed)
    if admin is None:
        print("(the seed has no usable administrator token, so no ready-made curl)", flush=True)
        return
    print(f"demo administrator token: {admin}", flush=True)
    if runner is None:
        return
    base = gateway.url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
    body = shlex.quote(json.dumps({"token": runner}, separators=(",", ":")))
    for method, what in (("POST", "look up"), ("DELETE", "revoke")):
        route = next((r for r in gateway.routes if r.method == method and "{" not in r.path), None)
        if route is not None:
            print(f"# {what} the demo runner token:", flush=True)
            print(
                f"curl -X {method} {shlex.quote(base + route.path)} -H {shlex.quote('PRIVATE-TOKEN: ' + admin)}"
                f" -H 'Content-Type: application/json' -d {body}",
                flush=True,
            )


def _invoke(args: argparse.Namespace) -> int:
    template_path, template = _template(args)
    known = function_ids(template)
    if args.function not in known:
        raise CliError(f"unknown function {args.function!r} (the template has: {', '.join(known) or 'none'})")
    event = _json_object(args.event, "event file")
    document = _flags(args.feature_flags, template)
    stdout = sys.stdout
    # Like `sam local invoke`: everything the function and its layer write (logs, metrics) goes
    # to stderr, standard output carries only the response. Redirected before the layer is first
    # imported (by the seed loader), since Powertools' Logger keeps the stream it was created with.
    backends = local_backends(template_path, template, args.seed, document)
    with contextlib.redirect_stdout(sys.stderr), backends as (functions, _):
        _load_handlers(functions)
        try:
            result = functions.invoke(args.function, event)
        except Exception as error:
            traceback.print_exc()
            failure = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            print(json.dumps(failure), file=stdout, flush=True)
            return 1
    try:
        print(json.dumps(result), file=stdout, flush=True)
    except (TypeError, ValueError) as error:
        raise CliError(f"{args.function} returned a response that is not JSON: {error}") from None
    return 0


def _seed(args: argparse.Namespace) -> int:
    _, template = _template(args)
    for logical_id in function_ids(template):
        add_layers_to_path(template, logical_id)
    seed = _seed_data(args.file)
    names = table_names(template)
    endpoint: str | None = args.dynamodb_endpoint
    if endpoint is not None:
        # A local DynamoDB: the same dummy credentials as `serve`, which DynamoDB Local uses to
        # pick its database, so both see the same tables.
        use_local_aws_credentials()
    _write_seed(seed, endpoint, template, names)
    print(f"seeded {args.file} into {', '.join(sorted(names.values()))}", flush=True)
    return 0
