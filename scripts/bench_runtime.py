"""What the benchmark runs the functions on: the runtime's interpreter, the layer as `make build`
makes it, copied read-only as Lambda mounts /opt and /var/task, and the environment Lambda sets.

When python3.13 or the SAM-built layer is missing, it falls back to this interpreter and the
layer's sources (compiled here, as the layer Makefile does) and says so: those figures are not
what Lambda runs.
"""

from __future__ import annotations

import glob
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_VERSION = (3, 13)
RUNTIME_VENV = ROOT / ".venv" / "runtime-3.13"  # inside .venv: ignored by git, removed by `make clean`
BUILT = ROOT / ".aws-sam" / "build"
BUILT_LAYER = BUILT / "AdminTokenLayer" / "python"
SOURCE_LAYER = ROOT / "layers" / "admin_token"
# Sampled, as nearly every request of a low-traffic API is (X-Ray's reservoir: one a second).
TRACE_ID = "Root=1-6a1b2c3d-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1"
LAYER_PYC_CHOICES = ("shipped", "none", "checked-hash")


@dataclass(frozen=True)
class Runtime:
    python: str
    version: str
    boto3: str
    built_layer: bool
    notes: list[str]

    @property
    def is_lambdas(self) -> bool:
        return self.version.startswith("3.13") and self.built_layer


def _version_of(python: str, *, with_boto3: bool) -> tuple[str, str] | None:
    code = "import sys; print(sys.version.split()[0])"
    if with_boto3:
        code += "; import boto3; print(boto3.__version__)"
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        return None
    lines = result.stdout.split()
    return lines[0], lines[1] if with_boto3 else ""


def _runtime_interpreters() -> list[str]:
    found = [str(RUNTIME_VENV / "bin" / "python")]
    if shutil.which("python3.13"):
        found.append(str(shutil.which("python3.13")))
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    found += sorted(glob.glob(f"{pyenv_root}/versions/3.13*/bin/python3.13"), reverse=True)
    return [python for python in found if Path(python).is_file()]


def find_runtime(explicit: str | None, *, allow_install: bool) -> tuple[str, str, str] | None:
    """(interpreter, its version, its boto3's) of a python3.13 that has boto3, as the runtime does.

    A python3.13 without boto3 gets a venv of its own (.venv/runtime-3.13) with boto3 installed.
    """
    candidates = [explicit] if explicit else _runtime_interpreters()
    for python in candidates:
        versions = _version_of(python, with_boto3=True)
        if versions and (explicit or versions[0].startswith("3.13")):
            return python, *versions
    if explicit or not allow_install:
        return None
    for python in candidates:
        plain = _version_of(python, with_boto3=False)
        if plain and plain[0].startswith("3.13"):
            print(
                f"bench: creating {RUNTIME_VENV.relative_to(ROOT)}: python {plain[0]} with boto3, as Lambda's runtime"
            )
            subprocess.run([python, "-m", "venv", str(RUNTIME_VENV)], check=True)  # noqa: S603
            pip = [str(RUNTIME_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "boto3"]
            subprocess.run(pip, check=True)  # noqa: S603
            versions = _version_of(str(RUNTIME_VENV / "bin" / "python"), with_boto3=True)
            if versions:
                return str(RUNTIME_VENV / "bin" / "python"), *versions
    return None


def stale_build() -> list[str]:
    """Layer and function sources changed since `make build` copied them."""
    stale = []
    pairs = [(SOURCE_LAYER / "admin_token", BUILT_LAYER / "admin_token")]
    pairs += [(ROOT / "functions" / name, BUILT / function_id) for function_id, name in FUNCTION_DIRS.items()]
    for source_dir, built_dir in pairs:
        for source in source_dir.rglob("*.py"):
            built = built_dir / source.relative_to(source_dir)
            if not built.is_file() or built.read_bytes() != source.read_bytes():
                stale.append(str(source.relative_to(ROOT)))
    return stale


def _function_dirs() -> dict[str, str]:
    """Logical id -> directory under functions/, for every function in template.yaml."""
    from admin_token_local.template import function_handler, function_ids, load_template

    template = load_template(ROOT / "template.yaml")
    return {function_id: function_handler(template, function_id)[0].name for function_id in function_ids(template)}


FUNCTION_DIRS = _function_dirs()


def _read_only(path: Path) -> None:
    for directory, _, files in os.walk(path):
        for name in files:
            file = Path(directory) / name
            file.chmod(file.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    for directory, _, _ in sorted(os.walk(path), reverse=True):
        mode = Path(directory).stat().st_mode
        Path(directory).chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def make_writable(path: Path) -> None:
    """So the temporary copies can be deleted."""
    for directory, _, files in os.walk(path):
        Path(directory).chmod(Path(directory).stat().st_mode | stat.S_IWUSR)
        for name in files:
            file = Path(directory) / name
            file.chmod(file.stat().st_mode | stat.S_IWUSR)


def _strip_bytecode(path: Path) -> None:
    for cache in list(path.rglob("__pycache__")):
        shutil.rmtree(cache)


def lay_out(
    scratch: Path, python: str, *, built: bool, layer_pyc: str, working_tree: bool = False
) -> tuple[Path, dict[str, Path]]:
    """/opt/python and each function's /var/task, copied into `scratch` and made read-only.

    The SAM build when there is one; otherwise the sources, compiled for `python` exactly as the
    layer Makefile compiles for 3.13. `layer_pyc` measures the alternatives: `none` strips the
    layer's bytecode, `checked-hash` recompiles it so every import hashes its source.
    """
    layer = scratch / "opt" / "python"
    if built:
        shutil.copytree(BUILT_LAYER, layer)
        if working_tree:
            shutil.rmtree(layer / "admin_token")
            shutil.copytree(SOURCE_LAYER / "admin_token", layer / "admin_token")
            _strip_bytecode(layer / "admin_token")
            _compile(python, layer / "admin_token", "unchecked-hash")
    else:
        shutil.copytree(SOURCE_LAYER / "admin_token", layer / "admin_token")
        _strip_bytecode(layer)
        _compile(python, layer, "unchecked-hash")
    if layer_pyc != "shipped":
        _strip_bytecode(layer)
    if layer_pyc == "checked-hash":
        _compile(python, layer, "checked-hash")
    tasks = {}
    for function_id, name in FUNCTION_DIRS.items():
        task = scratch / "var" / "task" / function_id
        shutil.copytree(BUILT / function_id if built and not working_tree else ROOT / "functions" / name, task)
        _strip_bytecode(task)  # Lambda's /var/task holds what the zip held: sources
        tasks[function_id] = task
    _read_only(scratch / "opt")
    _read_only(scratch / "var")
    return layer, tasks


def _compile(python: str, path: Path, mode: str) -> None:
    command = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", mode, str(path)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def lambda_environment(
    template: Any, function_id: str, *, task: Path, layer: Path, home: Path, python_version: str
) -> dict[str, str]:
    """The variables Lambda's python runtime sets, then the function's own from template.yaml."""
    from admin_token_local.template import function_environment, function_handler, function_setting

    _, module, function = function_handler(template, function_id)
    memory = int(function_setting(template, function_id, "MemorySize", 128))
    major_minor = ".".join(python_version.split(".")[:2])
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),  # nothing of this machine's ~/.aws
        "LAMBDA_TASK_ROOT": str(task),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": f"{module}.{function}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{major_minor}",
        "AWS_LAMBDA_FUNCTION_NAME": function_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_id}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "ASIABENCHBENCHBENCH0",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        # Lambda's order: the task root, then the layer; the runtime's boto3 comes after both.
        "PYTHONPATH": f"{task}:{layer}",
        # /opt and /var/task are read-only: nothing compiled at run time may be kept (root ignores chmod).
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if function_setting(template, function_id, "Tracing", "PassThrough") == "Active":
        environment |= {
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",  # UDP, nobody listening: segments are sent, not kept
            "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
            "_AWS_XRAY_DAEMON_PORT": "2000",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "_X_AMZN_TRACE_ID": TRACE_ID,
        }
    return environment | function_environment(template, function_id, {})


def runtime_description(runtime: Runtime) -> str:
    layer = "SAM-built layer (.aws-sam/build), read-only" if runtime.built_layer else "source layer, compiled here"
    return f"python {runtime.version} ({runtime.python}), boto3 {runtime.boto3}, {layer}"


def this_python() -> tuple[str, str, str]:
    import boto3

    return sys.executable, sys.version.split()[0], boto3.__version__
