"""`admin-token-api serve|invoke|seed`: run the Admin Token API's handlers on this machine.

The command line is described in docs/local-run.md. Every failure the user can cause (bad
arguments, unreadable or invalid files, a port in use, an unknown function) is one line on stderr
and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.metadata
import json
import os
import re
import shlex
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from admin_token_local.appconfig_standin import AppConfigStandIn
from admin_token_local.dynamodb_local import create_tables
from admin_token_local.gateway import LocalApiGateway
from admin_token_local.lambda_runtime import LocalFunctions, add_layers_to_path, use_local_aws_credentials
from admin_token_local.moto_server import EmbeddedMotoServer
from admin_token_local.template import (
    Template,
    feature_flags_document,
    function_environment,
    function_ids,
    load_template,
    table_names,
)
from github_alert import DEFAULT_URL, LOCAL_KEY_FILE

if TYPE_CHECKING:
    from admin_token_local.seed import Seed

PROG = "admin-token-api"
REPO_ROOT = Path(__file__).resolve().parents[2]
# The environment variables naming the AppConfig resources, as template.yaml sets them.
APPCONFIG_VARIABLES = ("APPCONFIG_APPLICATION", "APPCONFIG_ENVIRONMENT", "APPCONFIG_CONFIGURATION")
# `invoke` only: the value the local pre-shared token secret holds, so that an event's
# `Authorization` can match it. Without it the value is fresh, as `serve`'s always is.
REVOCATION_TOKEN_VARIABLE = "ADMIN_TOKEN_API_REVOCATION_TOKEN"
# The incident console's page, when the template routes it (ConsoleFunction): `serve` prints its URL.
CONSOLE_PATH = "/console"
# Where the functions fetch GitHub's secret scanning keys (template.yaml): the local stand-in's URL.
GITHUB_KEYS_URL_VARIABLE = "GITHUB_KEYS_URL"


class CliError(Exception):
    """A failure reported as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage; the contract asks for one clear line.
        self.exit(2, f"{self.prog}: error: {_without_values(message)} (see --help)\n")


def _without_values(message: str) -> str:
    """argparse's message without the values it quotes back: a token pasted by mistake is one.

    (Unrecognized arguments never reach here as typed: `main` names only their options.)"""
    message = re.sub(r"invalid choice: '.*?' \(choose from", "invalid choice (choose from", message)
    message = re.sub(r"ignored explicit argument '.*'$", "ignored explicit argument (not shown)", message)
    message = re.sub(r"ambiguous option: (-[^=\s]*)=\S*", r"ambiguous option: \1", message)
    return _without_tokens(re.sub(r"(invalid [\w ]*?value): '.*'$", r"\1", message))


def _failed(error: Exception, status: int) -> int:
    """The command's one error line on standard error, without any token it would quote; `status`."""
    print(f"{PROG}: error: {_without_tokens(str(error))}", file=sys.stderr)
    return status


def _without_tokens(message: str) -> str:
    """An error line without any token it would quote: a value typed as an argument (a path, a
    URL, a function name) may be one pasted by mistake. A token with a known prefix is cut to
    its prefix and `…`, and GITLAB_TOKEN's value is never shown."""
    from admin_token.token_types import PREFIXES  # the layer's registry, only once an error is shown

    prefixes = sorted(PREFIXES, key=len, reverse=True)
    pattern = "|".join(re.escape(prefix) for prefix in prefixes)
    message = re.sub(f"({pattern})[^\\s/:@'\"?#&,)]*", "\\1…", message)
    credential = os.environ.get("GITLAB_TOKEN", "").strip()
    return message.replace(credential, "…") if len(credential) >= 8 else message


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("invalid port: not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 0-65535")
    return port


def _version() -> str:
    try:
        return importlib.metadata.version("admin-token-api")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def default_template() -> Path:
    """template.yaml in the current directory, else the one of this repository."""
    here = Path.cwd() / "template.yaml"
    return here if here.is_file() else REPO_ROOT / "template.yaml"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Run the Admin Token API locally, without AWS or Docker.")
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    template_help = "SAM template to run (default: ./template.yaml, else the repository's)"
    parser.add_argument("--template", type=Path, default=None, help=template_help)
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        parser_class=_Parser,
        metavar="COMMAND",
        help="see `admin-token-api COMMAND --help`",
    )

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        # Also accepted after the command; SUPPRESS keeps a value given before it.
        sub.add_argument("--template", type=Path, default=argparse.SUPPRESS, help=template_help)
        return sub

    flags_help = "feature flags document (JSON, AppConfig feature-flags schema) instead of the template's"
    serve = command("serve", "HTTP API on HOST:PORT playing API Gateway in front of the real handlers")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=3000, help="port to listen on; 0 picks a free one (default: 3000)")
    serve.add_argument(
        "--seed",
        type=Path,
        metavar="FILE",
        help="seed file to load (default: the demo data, unless --dynamodb-endpoint is given)",
    )
    serve.add_argument("--feature-flags", type=Path, metavar="FILE", help=flags_help)
    serve.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        help="use the tables at this DynamoDB endpoint (created if missing; loaded only with --seed) "
        "instead of an embedded DynamoDB",
    )
    serve.add_argument(
        "--github-keys",
        type=Path,
        metavar="FILE",
        help="key document (GitHub's format) the local GitHub meta stand-in publishes; default: a P-256 key "
        f"generated at start, its private key written to {LOCAL_KEY_FILE} for `github-alert`",
    )
    serve.add_argument(
        "--events-log",
        type=Path,
        metavar="FILE",
        help="append each event the template's pipes deliver (one JSON line per revoke) to FILE "
        "(default: standard error)",
    )
    serve.set_defaults(run=_serve)

    invoke = command("invoke", "run one function once on an event, like `sam local invoke`")
    invoke.add_argument(
        "function",
        metavar="FUNCTION_LOGICAL_ID",
        help="LookupFunction, RevokeFunction, IntakeFunction, AuditEventsFunction or RevocationWorkerFunction",
    )
    invoke.add_argument(
        "--event",
        type=Path,
        metavar="FILE",
        required=True,
        help="the event (JSON): an API Gateway proxy event, or an SQS event for RevocationWorkerFunction",
    )
    invoke.add_argument("--seed", type=Path, metavar="FILE", help="seed file to load (default: the demo data)")
    invoke.add_argument("--feature-flags", type=Path, metavar="FILE", help=flags_help)
    invoke.add_argument(
        "--github-keys",
        type=Path,
        metavar="FILE",
        help="key document (GitHub's format) a signed GitHub alert event verifies against "
        "(default: a key generated for this run, so no alert verifies)",
    )
    invoke.set_defaults(run=_invoke)

    seed = command("seed", "load a seed file into the tables (a local DynamoDB, or AWS)")
    seed.add_argument("file", type=Path, metavar="FILE", help="seed file (JSON)")
    seed.add_argument(
        "--dynamodb-endpoint", metavar="URL", help="DynamoDB endpoint; missing tables are created (default: AWS)"
    )
    seed.set_defaults(run=_seed)

    report = commands.add_parser(
        "revoke-report",
        help="revoke what secret scanners found (gitleaks, GitLab secret detection, trufflehog reports)",
        description="Reads scanner reports, sends every token with a known GitLab prefix to the service's bulk "
        "revoke endpoint (each token once, in batches of at most 1,000) and prints what happened to each finding. "
        "The administrator's token is read from the GITLAB_TOKEN environment variable, never from an argument. "
        "Exit 0 when every finding ended revoked, reset, deleted, expired, already revoked, not found or skipped; "
        "1 when any was refused, unsupported, invalid or failed, or the service refused the request or could not "
        "be reached; 2 for a usage error or a report it cannot read or recognise.",
    )
    report.add_argument(
        "reports",
        nargs="+",
        type=Path,
        metavar="REPORT",
        help="a report to read: gitleaks JSON, GitLab's gl-secret-detection-report.json or trufflehog JSON lines "
        "(recognised by content, not by name)",
    )
    report.add_argument(
        "--url",
        required=True,
        help="the service's base URL, without /api/v4 (e.g. http://127.0.0.1:3000 for `serve`)",
    )
    report.add_argument(
        "--dry-run",
        action="store_true",
        help="ask what a revoke would do, change nothing (the outcomes then say what a real run would do)",
    )
    report.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="also write a JSON array to FILE, one object per finding (duplicates and skipped ones included): "
        "file, line, token_hint, outcome, reason, audit_event_id",
    )
    amount = report.add_mutually_exclusive_group()
    amount.add_argument(
        "--summary", action="store_true", help="print the summary line and the outcomes only, not every finding"
    )
    amount.add_argument(
        "--quiet", action="store_true", help="print nothing on standard output (errors still go to standard error)"
    )
    report.add_argument(
        "--yes",
        action="store_true",
        help="do not ask before a real run (it asks only when standard input is a terminal)",
    )
    report.set_defaults(run=_revoke_report)

    audit = commands.add_parser(
        "audit",
        help="read the audit trail (who revoked what, when) through the service's audit events API",
        description="Lists the audit events the filters select, newest first, following every page. The "
        "administrator's token is read from the GITLAB_TOKEN environment variable (read_api is enough). Exit 0 "
        "when the trail was read, 1 when the service refused or could not be reached, 2 for a usage error.",
    )
    audit.add_argument(
        "--url", required=True, help="the service's base URL, without /api/v4 (e.g. http://127.0.0.1:3000)"
    )
    audit.add_argument(
        "--since", metavar="WHEN", help="only events from then on: 30m, 12h, 7d ago, or an ISO 8601 time or date"
    )
    audit.add_argument("--type", metavar="TOKEN_TYPE", help="only this token type, e.g. runner_authentication_token")
    audit.add_argument("--author", type=int, metavar="ID", help="only events by this author id (-1: the worker)")
    audit.add_argument("--json", action="store_true", help="print the events as a JSON array, as the API sends them")
    audit.set_defaults(run=_audit)

    alert = commands.add_parser(
        "github-alert",
        help="sign a file of matches as GitHub's secret scanning does and POST it; print GitHub's feedback",
        description="Signs MATCHES (a JSON array of GitHub secret scanning matches: token, type, url, source) with "
        "a P-256 key, as GitHub signs partner alerts, POSTs it to BASE_URL/v1/github/secret_scanning and prints "
        "the feedback answered (token hashes and labels, never a token). Exit 0 when answered 200; 1 when answered "
        "otherwise or not answered; 2 for a usage error or a file it cannot use.",
    )
    alert.add_argument("matches", type=Path, metavar="MATCHES.json", help="the matches to send (GitHub's format)")
    alert.add_argument("--url", default=DEFAULT_URL, help=f"the API's base URL (default: {DEFAULT_URL}, `serve`'s)")
    alert.add_argument(
        "--key",
        type=Path,
        default=LOCAL_KEY_FILE,
        metavar="PEM_FILE",
        help=f"PEM private key (P-256) to sign with (default: the key `serve` generated, {LOCAL_KEY_FILE})",
    )
    alert.add_argument(
        "--key-id",
        default=None,
        metavar="ID",
        help="the key's identifier in the key document (default: the hex SHA-256 of its public key, as serve's)",
    )
    alert.set_defaults(run=_github_alert)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # as parse_args does, but naming options only: any other word may be a token pasted by mistake
            parser.error(f"unrecognized arguments: {' '.join(_option_name(word) for word in extra)}")
    except SystemExit as exit_:  # --help, or a usage error already reported in one line
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        status: int = args.run(args)
    except CliError as error:
        return _failed(error, 1)
    except KeyboardInterrupt:
        return 130
    return status


def _option_name(word: str) -> str:
    """An option's name as typed, any other word (a value: maybe a token) as `…`."""
    return word.partition("=")[0] if word.startswith("-") else "…"


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


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"cannot read {what} {path}: {_reason(error)}") from None
    except ValueError as error:
        raise CliError(f"{what} {path} is not valid JSON: {_lower_first(str(error))}") from None


def _lower_first(message: str) -> str:
    # Error lines read as argparse's do: lowercase after "error: " and after a colon.
    return message[:1].lower() + message[1:]


def _json_object(path: Path, what: str) -> dict[str, Any]:
    value = _json(path, what)
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


def _write_seed(seed: Seed | None, endpoint: str | None, template: Template, names: dict[str, str]) -> None:
    """Create the tables missing at a local endpoint, then load the seed, if any."""
    from admin_token_local.seed import SeedError, write_seed

    try:
        if endpoint is not None:
            create_tables(endpoint, template, names)
        if seed is not None:
            write_seed(seed, endpoint_url=endpoint, table_names=names)
    except SeedError as error:
        raise CliError(str(error)) from None
    except (BotoCoreError, ClientError) as error:
        doing = "seed" if seed is not None else "create the tables in"
        raise CliError(f"cannot {doing} DynamoDB at {endpoint or 'AWS'}: {_reason(error)}") from None


@dataclasses.dataclass(frozen=True)
class FeatureFlags:
    document: Any  # as read: _validate_flags says whether it is a flags document
    source: str  # what an error about the document names


def _flags(path: Path | None, template_path: Path, template: Template) -> FeatureFlags:
    if path is not None:
        return FeatureFlags(_json(path, "feature flags file"), f"feature flags file {path}")
    try:
        return FeatureFlags(feature_flags_document(template), f"the feature flags document of {template_path}")
    except ValueError as error:  # json's messages are capitalised
        raise CliError(_lower_first(str(error))) from None


def _validate_flags(flags: FeatureFlags) -> dict[str, Any]:
    """The functions' own rules for a flags document: one they would refuse (a 503 on every
    request) stops the command before it serves anything."""
    # Imported as a handler would import it: the layer on sys.path, the function environment set.
    from admin_token.config import InvalidConfiguration, validate_configuration

    try:
        return validate_configuration(flags.document)
    except InvalidConfiguration as error:
        raise CliError(f"{flags.source} is invalid: {error}") from None


# -- the backends shared by serve and invoke ------------------------------------------------------


@contextlib.contextmanager
def local_backends(
    template_path: Path,
    template: Template,
    flags: FeatureFlags,
    *,
    seed_path: Path | None,
    demo: bool,
    dynamodb_endpoint: str | None = None,
    github_keys: Path | None = None,
    write_github_key: bool = False,
) -> Iterator[tuple[LocalFunctions, Seed | None]]:
    """DynamoDB (embedded unless given) with the template's tables, the AppConfig stand-in, and
    the functions set up to use them; everything stops on exit.

    The tables receive `seed_path`, else the demo data when `demo`, else nothing (the data at a
    given endpoint is the user's). The flags and the seed are checked before any backend starts.
    """
    names = table_names(template)  # read before this process's environment is changed
    ids = function_ids(template)
    if not ids:
        raise CliError(f"{template_path} has no AWS::Serverless::Function")
    # The function environment first: the layer's modules (imported to validate the flags and to
    # build the seed's items) read their settings (service name, log level) when imported.
    functions = LocalFunctions(template_path)
    functions.activate(ids[0])
    document = _validate_flags(flags)
    seed = _seed_data(seed_path) if seed_path is not None or demo else None
    with contextlib.ExitStack() as stack:
        moto_endpoint = None
        if dynamodb_endpoint is None:
            moto = EmbeddedMotoServer()  # the tables, and below the queues and secrets
            dynamodb_endpoint = moto_endpoint = moto.start()
            stack.callback(moto.stop)
        environment = function_environment(template, ids[0])
        identifiers = [environment.get(name, name) for name in APPCONFIG_VARIABLES]
        appconfig = AppConfigStandIn(document, *identifiers)
        appconfig_endpoint = appconfig.start()
        stack.callback(appconfig.stop)
        functions.use_endpoints(dynamodb=dynamodb_endpoint, appconfig=appconfig_endpoint)
        functions.revocation = stack.enter_context(_queues_and_secrets(template, functions, moto_endpoint))
        functions.github = stack.enter_context(_github_meta(functions, github_keys, write_github_key))
        functions.activate(ids[0])
        _write_seed(seed, dynamodb_endpoint, template, names)
        yield functions, seed


@contextlib.contextmanager
def _queues_and_secrets(
    template: Template, functions: LocalFunctions, moto_endpoint: str | None
) -> Iterator[LocalRevocation]:
    """The template's queues and secrets in the embedded moto (one of their own when DynamoDB is the user's)."""
    from admin_token_local.secrets_local import create_secrets
    from admin_token_local.sqs_local import create_queues

    with contextlib.ExitStack() as stack:
        if moto_endpoint is None:
            moto = EmbeddedMotoServer()  # here it hosts only the queues and secrets
            moto_endpoint = moto.start()
            stack.callback(moto.stop)
        queues = create_queues(moto_endpoint, template)
        secret_values = create_secrets(moto_endpoint, template)
        functions.use_resources(moto_endpoint, queues)
        yield LocalRevocation(moto_endpoint, queues, secret_values)


@contextlib.contextmanager
def _github_meta(functions: LocalFunctions, path: Path | None, write_key: bool) -> Iterator[Any]:
    """GitHub's meta API stand-in publishing the key document, and the functions pointed at it."""
    from admin_token_local.github_meta import GitHubMetaStandIn, LocalGitHubKeys, generated_keys, keys_from_file

    keys: LocalGitHubKeys | None = None
    try:
        if path is not None:
            keys = keys_from_file(path)
        elif write_key:
            keys = generated_keys(Path.cwd())
    except OSError as error:
        raise CliError(f"cannot read GitHub keys file {path}: {_reason(error)}") from None
    except ValueError as error:
        raise CliError(str(error)) from None
    # Else (invoke) a key whose private half is kept nowhere, made if a function fetches it.
    standin = GitHubMetaStandIn(keys.document if keys is not None else lambda: generated_keys(None).document)
    functions.override_variable(GITHUB_KEYS_URL_VARIABLE, standin.start())
    try:
        yield keys
    finally:
        standin.stop()


@dataclasses.dataclass(frozen=True)
class LocalRevocation:
    endpoint: str
    queues: dict[str, str]  # logical id -> URL
    secret_values: dict[str, str]  # logical id -> the value generated at this start


@contextlib.contextmanager
def _poll_queues(template: Template, functions: LocalFunctions) -> Iterator[None]:
    """One poller per SQS event in the template, playing Lambda's event source mapping."""
    from admin_token_local.sqs_local import queue_sources
    from admin_token_local.sqs_poller import polling

    revocation: LocalRevocation = functions.revocation
    with contextlib.ExitStack() as stack:
        for source in queue_sources(template):

            def invoke(event: dict[str, Any], function_id: str = source.function_id) -> Any:
                return functions.invoke(function_id, event)

            url = revocation.queues[source.queue_id]
            stack.enter_context(polling(revocation.endpoint, url, invoke, batch_size=source.batch_size))
        yield


def _load_handlers(functions: LocalFunctions, only: str | None = None) -> None:
    """Import the functions' handlers (`only` that one), as Lambda's init would."""
    for logical_id in [only] if only is not None else functions.function_ids:
        try:
            functions.load(logical_id)
        except Exception as error:
            raise CliError(f"cannot load {logical_id}: {type(error).__name__}: {_reason(error)}") from None


# -- commands -------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    stop = threading.Event()
    stdout = sys.stdout
    # Standard output carries serve's own lines only; the functions' logs and metrics go to
    # stderr, as for `invoke`. Redirected before the layer is first imported: Powertools'
    # Logger keeps the stream it was created with.
    with _stop_on_signals(stop), contextlib.redirect_stdout(sys.stderr):
        template_path, template = _template(args)
        flags = _flags(args.feature_flags, template_path, template)
        # Demo data only into a DynamoDB of our own: the tables at an endpoint are the user's.
        demo = args.seed is None and args.dynamodb_endpoint is None
        backends = local_backends(
            template_path,
            template,
            flags,
            seed_path=args.seed,
            demo=demo,
            dynamodb_endpoint=args.dynamodb_endpoint,
            github_keys=args.github_keys,
            write_github_key=args.github_keys is None,
        )
        with backends as (functions, seed), contextlib.ExitStack() as workers:
            workers.enter_context(_announce_revokes(args.events_log, template, functions))
            workers.enter_context(_poll_queues(template, functions))
            _load_handlers(functions)
            try:
                gateway = LocalApiGateway(functions, args.host, args.port)
            except OSError as error:
                raise CliError(f"cannot listen on {args.host}:{args.port}: {_reason(error)}") from None
            gateway.start()
            try:
                print(f"listening on {gateway.url}", file=stdout, flush=True)
                if demo and seed is not None:
                    _banner(gateway, seed, stdout)  # the demo's tokens are public; a user's seed's are not
                # Fresh at every start, for GitLab's secret_detection_token_revocation_token.
                for value in functions.revocation.secret_values.values():
                    print(f"token revocation API pre-shared token: {value}", file=stdout, flush=True)
                if any(route.path == CONSOLE_PATH for route in gateway.routes):
                    print(f"incident console: {gateway.url}{CONSOLE_PATH}", file=stdout, flush=True)
                if functions.github.key_path is not None:
                    print(f"GitHub secret scanning signing key: {functions.github.key_path}", file=stdout, flush=True)
                # Event.wait with a timeout lets the signal handlers run promptly on the main thread.
                while not stop.wait(0.5):
                    pass
            finally:
                gateway.stop()
            if threading.current_thread() is threading.main_thread():
                # Stopped by a signal: once no request or queued finding is in flight and every
                # event is written, end here. The embedded servers hold nothing to keep, and
                # their shutdown and the interpreter's teardown of moto's modules take seconds
                # on a busy machine (serve stops within 2 s).
                workers.close()
                for stream in (stdout, sys.stderr):
                    stream.flush()
                os._exit(0)
    return 0


@contextlib.contextmanager
def _announce_revokes(events_log: Path | None, template: Template, functions: LocalFunctions) -> Iterator[None]:
    """The stream reader playing the template's pipes, from now (after the seed) until serve stops."""
    from admin_token_local.stream_reader import announce_stream_events

    endpoint = functions.environment(functions.function_ids[0]).get("AWS_ENDPOINT_URL_DYNAMODB")
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(announce_stream_events(template, endpoint, events_log))
        except OSError as error:
            raise CliError(f"cannot write events log {events_log}: {_reason(error)}") from None
        yield


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


def _banner(gateway: LocalApiGateway, seed: Seed, stdout: TextIO) -> None:
    from admin_token_local.seed import demo_admin_token, demo_runner_token

    admin, runner = demo_admin_token(seed), demo_runner_token(seed)
    if admin is None:
        print("(the seed has no usable administrator token, so no ready-made curl)", file=stdout, flush=True)
        return
    print(f"demo administrator token: {admin}", file=stdout, flush=True)
    if runner is None:
        return
    base = gateway.url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
    body = shlex.quote(json.dumps({"token": runner}, separators=(",", ":")))
    # -w prints the status: a revoke answers 204 and no body. A lookup's JSON has no final
    # newline, so its status goes on a line of its own.
    for method, what, status in (("POST", "look up", r"\n%{http_code}\n"), ("DELETE", "revoke", r"%{http_code}\n")):
        route = next((r for r in gateway.routes if r.method == method and "{" not in r.path), None)
        if route is not None:
            print(f"# {what} the demo runner token:", file=stdout, flush=True)
            print(
                f"curl -X {method} {shlex.quote(base + route.path)} -H {shlex.quote('PRIVATE-TOKEN: ' + admin)}"
                f" -H 'Content-Type: application/json' -d {body} -w {shlex.quote(status)}",
                file=stdout,
                flush=True,
            )


def _invoke(args: argparse.Namespace) -> int:
    template_path, template = _template(args)
    known = function_ids(template)
    if args.function not in known:
        raise CliError(f"unknown function {args.function!r} (the template has: {', '.join(known) or 'none'})")
    event = _json_object(args.event, "event file")
    flags = _flags(args.feature_flags, template_path, template)
    pre_shared = os.environ.get(REVOCATION_TOKEN_VARIABLE, "").strip() or None
    if pre_shared is not None and not (pre_shared.isascii() and pre_shared.isprintable()):
        raise CliError(f"{REVOCATION_TOKEN_VARIABLE} holds characters no token has")
    stdout = sys.stdout
    # Like `sam local invoke`: everything the function and its layer write (logs, metrics) goes
    # to stderr, standard output carries only the response. Redirected before the layer is first
    # imported (by the seed loader), since Powertools' Logger keeps the stream it was created with.
    backends = local_backends(
        template_path, template, flags, seed_path=args.seed, demo=args.seed is None, github_keys=args.github_keys
    )
    with contextlib.redirect_stdout(sys.stderr), backends as (functions, _):
        if pre_shared is not None:
            _use_pre_shared_token(functions.revocation, pre_shared)
        _load_handlers(functions, only=args.function)
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


def _use_pre_shared_token(revocation: LocalRevocation, value: str) -> None:
    from admin_token_local.secrets_local import put_secret_value

    for logical_id in revocation.secret_values:
        put_secret_value(revocation.endpoint, logical_id, value)


def _revoke_report(args: argparse.Namespace) -> int:
    # Imported here: the other commands do not need rich, nor the layer's registry.
    from rich.console import Console

    from admin_token_client.report_revoker import RevokeError, UsageError, base_url, looks_like_a_token, revoke_report
    from admin_token_client.scanner_reports import ReportError, read_report

    try:
        credential = _gitlab_token(UsageError)
        url = base_url(args.url)
        if any(str(path) == credential or looks_like_a_token(str(path)) for path in args.reports):
            raise UsageError("a REPORT argument looks like a token (not shown), not a file")
        reports = [read_report(path) for path in args.reports]
        return revoke_report(
            reports,
            url=url,
            credential=credential,
            dry_run=args.dry_run,
            output=args.output,
            console=_stdout_console(Console),
            errors=Console(stderr=True),
            show="none" if args.quiet else "summary" if args.summary else "all",
            # Asked on a terminal only: a script (stdin not a terminal) runs unasked, as with --yes.
            confirm=None if args.dry_run or args.yes or not sys.stdin.isatty() else _confirm(url),
        )
    except (UsageError, ReportError) as error:
        return _failed(error, 2)
    except RevokeError as error:
        return _failed(error, 1)


def _confirm(url: str) -> Callable[[int], bool]:
    from admin_token_client.report_revoker import shown_url

    def ask(count: int) -> bool:
        tokens = f"{count} distinct token{'s' if count != 1 else ''}"
        sys.stderr.write(f"Revoke {tokens} at {shown_url(url)}? This cannot be undone. [y/N] ")
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")

    return ask


def _audit(args: argparse.Namespace) -> int:
    from rich.console import Console

    from admin_token_client.audit_reader import AuditClient, print_events, query, since
    from admin_token_client.report_revoker import RevokeError, UsageError, base_url

    try:
        credential = _gitlab_token(UsageError)
        url = base_url(args.url)
        parameters = query(
            created_after=since(args.since) if args.since is not None else None,
            token_type=args.type,
            author_id=args.author,
        )
        events = list(AuditClient(url, credential).events(parameters))
    except UsageError as error:
        return _failed(error, 2)
    except RevokeError as error:
        return _failed(error, 1)
    print_events(events, _stdout_console(Console), args.json)
    return 0


def _gitlab_token(usage_error: type[Exception]) -> str:
    credential = os.environ.get("GITLAB_TOKEN", "").strip()
    if not credential:
        raise usage_error("set GITLAB_TOKEN to an administrator's personal access token")
    if not credential.isascii() or not credential.isprintable():
        raise usage_error("GITLAB_TOKEN holds characters no token has")
    return credential


def _stdout_console(console_class: Any) -> Any:
    """Standard output's console: piped or redirected, wide enough that no table row is cut
    across lines (rich assumes 80 columns there), so scripts can read one row per line."""
    console = console_class()
    return console if console.is_terminal else console_class(width=240)


def _github_alert(args: argparse.Namespace) -> int:
    from github_alert.client import InputError, SendError, key_identifier, load_private_key, read_matches, send_alert

    try:
        key = load_private_key(args.key)
        body = read_matches(args.matches)
        answer = send_alert(args.url, body, key, args.key_id or key_identifier(key))
    except InputError as error:
        return _failed(error, 2)
    except SendError as error:
        return _failed(error, 1)
    document = answer.json()
    if answer.status != 200:
        shown = json.dumps(document) if document is not None else f"{len(answer.body)} bytes, not JSON"
        print(f"{PROG}: error: answered {answer.status}: {shown}", file=sys.stderr)
        return 1
    print(json.dumps(document, indent=2), flush=True)
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
