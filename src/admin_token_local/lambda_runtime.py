"""Load and run the functions' real handlers the way the Lambda Python runtime does.

Layers' content is importable (Lambda puts it under /opt/python, on sys.path), each function's
module is imported from its CodeUri, and the environment is the deployed one (template.yaml)
pointed at the local backends before any handler module is imported.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from types import ModuleType
from typing import Any

from admin_token_local.template import (
    PSEUDO_PARAMETERS,
    Template,
    function_environment,
    function_handler,
    function_ids,
    function_setting,
    layer_dirs,
    load_template,
    resource_variables,
)

Handler = Callable[[dict[str, Any], Any], Any]

# SAM's defaults when neither the function nor Globals set them.
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128

# Credentials that can never reach a real account: the local backends accept anything.
LOCAL_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": PSEUDO_PARAMETERS["AWS::Region"],
    "AWS_REGION": PSEUDO_PARAMETERS["AWS::Region"],
}
# Variables that would send the SDK elsewhere than the local backends, or that do not match the
# dummy keys above; a Lambda function never sees these from the caller's shell.
_SHADOWING_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")


def use_local_aws_credentials(environ: MutableMapping[str, str] | None = None) -> None:
    """Point this process's SDK at dummy credentials and the local region, nothing else."""
    target = os.environ if environ is None else environ
    for name in _SHADOWING_VARIABLES:
        target.pop(name, None)
    target.update(LOCAL_AWS_ENVIRONMENT)


def add_layers_to_path(template: Template, logical_id: str) -> None:
    """Make the function's layers importable for good, as /opt/python is in Lambda.

    Lambda extracts layers in order over each other, so on a clash the last one wins: it goes
    first on sys.path here."""
    for layer in layer_dirs(template, logical_id):
        if str(layer) not in sys.path:
            sys.path.insert(0, str(layer))


class UnknownFunctionError(LookupError):
    def __init__(self, logical_id: str, known: list[str]) -> None:
        super().__init__(f"unknown function {logical_id!r} (the template has: {', '.join(known) or 'none'})")


class FakeLambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and Powertools read."""

    def __init__(self, function_name: str, memory_limit_in_mb: int, timeout_seconds: float) -> None:
        region, account = PSEUDO_PARAMETERS["AWS::Region"], PSEUDO_PARAMETERS["AWS::AccountId"]
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(code_dir: Path, module: str, function: str, unique_name: str) -> Handler:
    """Import module from code_dir under unique_name (every function's module may be `app`)."""
    path = code_dir / (module.replace(".", "/") + ".py")
    if not path.is_file():
        raise FileNotFoundError(f"handler module {path} does not exist")
    spec = importlib.util.spec_from_file_location(unique_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    loaded: ModuleType = importlib.util.module_from_spec(spec)
    # The function's directory is its task root: its sibling modules import by plain name, but
    # only while it loads, so two functions' same-named modules do not shadow each other later.
    sys.path.insert(0, str(code_dir))
    sys.modules[unique_name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        sys.modules.pop(unique_name, None)
        raise
    finally:
        sys.path.remove(str(code_dir))
    handler = getattr(loaded, function, None)
    if not callable(handler):
        raise AttributeError(f"{path} has no function {function!r}")
    return handler  # type: ignore[no-any-return]


class LocalFunctions:
    """The template's functions, invocable in this process against local endpoints.

    Invocations are serialised: one Lambda execution environment handles one event at a time, and
    handler modules (Powertools' AppConfig session token, boto3 clients) rely on that.
    """

    def __init__(
        self,
        template_path: Path,
        *,
        dynamodb_endpoint: str | None = None,
        appconfig_endpoint: str | None = None,
        environ: MutableMapping[str, str] | None = None,
    ) -> None:
        self.template = load_template(template_path)
        self._environ: MutableMapping[str, str] = os.environ if environ is None else environ
        self._base_environment = dict(LOCAL_AWS_ENVIRONMENT)
        if dynamodb_endpoint:
            self._base_environment["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
        if appconfig_endpoint:
            self._base_environment["AWS_ENDPOINT_URL_APPCONFIGDATA"] = appconfig_endpoint
        # Read the table-name variables from the caller's environment before we overwrite it.
        self._environments = {
            logical_id: self._function_variables(logical_id) for logical_id in function_ids(self.template)
        }
        self._handlers: dict[str, Handler] = {}
        # What `use_resources`' caller set up for the functions (the CLI's queues and secrets).
        self.revocation: Any = None
        # The key document the local GitHub meta stand-in publishes (the CLI's `LocalGitHubKeys`).
        self.github: Any = None
        self._lock = threading.RLock()

    def use_endpoints(self, *, dynamodb: str | None = None, appconfig: str | None = None) -> None:
        """Point every function at these backends (for backends started after activation)."""
        endpoints = {
            name: url
            for name, url in (("AWS_ENDPOINT_URL_DYNAMODB", dynamodb), ("AWS_ENDPOINT_URL_APPCONFIGDATA", appconfig))
            if url
        }
        with self._lock:
            self._base_environment.update(endpoints)
            for environment in self._environments.values():
                environment.update(endpoints)

    def use_resources(self, endpoint: str, physical: Mapping[str, str]) -> None:
        """Point every function at SQS and Secrets Manager on `endpoint`, and each variable that is a
        `!Ref` to one of `physical`'s resources at its local id (a queue's URL, say)."""
        endpoints = {"AWS_ENDPOINT_URL_SQS": endpoint, "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint}
        with self._lock:
            self._base_environment.update(endpoints)
            for logical_id, environment in self._environments.items():
                environment.update(endpoints)
                for name, resource in resource_variables(self.template, logical_id).items():
                    if resource in physical:
                        environment[name] = physical[resource]

    def override_variable(self, name: str, value: str) -> None:
        """Give every function that declares `name` this value instead (a local stand-in's URL, say)."""
        with self._lock:
            for environment in self._environments.values():
                if name in environment:
                    environment[name] = value

    @property
    def function_ids(self) -> list[str]:
        return list(self._environments)

    def environment(self, logical_id: str) -> dict[str, str]:
        """The variables set for this function (template values plus the local endpoints)."""
        return dict(self._environments[self._known(logical_id)])

    def _known(self, logical_id: str) -> str:
        if logical_id not in self._environments:
            raise UnknownFunctionError(logical_id, self.function_ids)
        return logical_id

    def _function_variables(self, logical_id: str) -> dict[str, str]:
        memory = int(function_setting(self.template, logical_id, "MemorySize", DEFAULT_MEMORY_MB))
        name = str(function_setting(self.template, logical_id, "FunctionName", logical_id))
        return {
            **self._base_environment,
            # What the Lambda runtime itself sets, before the template's variables.
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            **function_environment(self.template, logical_id, self._environ),
        }

    def _apply_environment(self, logical_id: str) -> None:
        # One process hosts every function, so clear what another function set but this one lacks.
        own = self._environments[logical_id]
        for other in self._environments.values():
            for name in other.keys() - own.keys():
                self._environ.pop(name, None)
        use_local_aws_credentials(self._environ)
        self._environ.update(own)

    def activate(self, logical_id: str) -> None:
        """Set the function's environment and layers, as its execution environment starts with.

        Code that shares the layer (the seed loader) is imported after this, so any module-level
        setting it reads (Powertools service name, log level) is the deployed one."""
        with self._lock:
            self._apply_environment(self._known(logical_id))
            add_layers_to_path(self.template, logical_id)

    def load(self, logical_id: str) -> Handler:
        """Import the function's handler (once), in its deployed environment."""
        with self._lock:
            self._known(logical_id)
            if logical_id not in self._handlers:
                self.activate(logical_id)
                code_dir, module, function = function_handler(self.template, logical_id)
                unique_name = f"{logical_id.lower()}_{module.replace('.', '_')}"
                self._handlers[logical_id] = load_handler(code_dir, module, function, unique_name)
            return self._handlers[logical_id]

    def load_all(self) -> None:
        for logical_id in self.function_ids:
            self.load(logical_id)

    def context(self, logical_id: str) -> FakeLambdaContext:
        environment = self._environments[self._known(logical_id)]
        timeout = float(function_setting(self.template, logical_id, "Timeout", DEFAULT_TIMEOUT_SECONDS))
        return FakeLambdaContext(
            environment["AWS_LAMBDA_FUNCTION_NAME"], int(environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]), timeout
        )

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Run the function's handler on event, as one Lambda invocation; return its result."""
        with self._lock:
            handler = self.load(logical_id)
            self._apply_environment(logical_id)
            return handler(event, self.context(logical_id))
