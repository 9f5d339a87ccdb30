"""`make bench`, cold start: the CPU time each function's handler takes to import, from artifacts built by the
template's own Makefile targets (for this machine's platform) and run as Lambda runs them: Python 3.13, the layer's
python/ and the function's code on sys.path, the function's environment, no bytecode writes. Measured as shipped
and with every __pycache__ removed, against the stack floor and the Powertools hello-world. Where valgrind is
installed, also the instructions each import executes (cachegrind's count, less the interpreter's own start): exact
and repeatable on a shared machine, where CPU time moves with the neighbours: the ratio to the floor is judged on
that count (counted on every core at once), and the CPU times are reported, never judged.
Alone: `make bench ONLY=cold-start`.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from verdicts import verdict
from volume import Sized, Volume, heading

from devtools import store
from devtools.template import PROJECT_ROOT, Template

BENCH_DIR = Path(__file__).resolve().parent
IMPORT_RUNS = Sized(quick=3, full=7)  # CPU-time runs of each import, interleaved: their median is reported
HOST_PLATFORM = f"manylinux2014_{platform.machine()}"  # the wheels this machine can import
BASELINES = {"stack floor": "stack_floor", "powertools hello-world": "hello_world"}
BASELINE_ENVIRONMENT = "ApiKeysFunction"  # every function has the Globals' environment; the baselines get the same
RATIO_HANDLER = "api_keys.handler"  # its CPU time as shipped / hello-world's is reported (1.5 was the aim)
TIME_IMPORT = (
    "import importlib, sys, time; sys.path[:0] = sys.argv[1:3]; started = time.process_time(); "
    "importlib.import_module(sys.argv[3]); print(time.process_time() - started)"
)
COUNT_IMPORT = (
    "import importlib, sys; sys.path[:0] = sys.argv[1:3]; sys.argv[3] and importlib.import_module(sys.argv[3])"
)
FLOOR_TARGET = 1.1  # each handler as shipped / the stack floor


@dataclass(frozen=True)
class Subject:
    """A module to import as Lambda would: its code directory (LAMBDA_TASK_ROOT), the layer's python/ directory
    (/opt/python) and the environment."""

    module: str
    task_root: Path
    layer: Path
    environment: dict[str, str]


def python313() -> str:
    """The Makefiles' PYTHON313: the interpreter that compiled the artifacts' bytecode."""
    return make(PROJECT_ROOT / "functions", "--eval", "python313: ; @echo $(PYTHON313)", "python313").strip()


def make(directory: Path, *arguments: str) -> str:
    """Runs make quietly in the directory; its output, or its errors as the exception."""
    child = subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(directory), *arguments],
        check=False,
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise RuntimeError(f"make {' '.join(arguments)} failed:\n{child.stdout}{child.stderr}")
    return child.stdout


def build(template: Template, build_dir: Path) -> tuple[Path, dict[str, Path]]:
    """The layer's python/ directory and every function's artifact, built as `sam build` builds them, but with the
    layer's wheels for this machine's platform (the template's are arm64)."""
    ((layer_id, layer),) = template.of_type("AWS::Serverless::LayerVersion").items()  # every function's one layer
    artifacts = build_dir / layer_id
    artifacts.mkdir(parents=True)
    make(
        PROJECT_ROOT / layer["Properties"]["ContentUri"],
        f"build-{layer_id}",
        f"ARTIFACTS_DIR={artifacts}",
        f"PLATFORM={HOST_PLATFORM}",
        f"PYTHON={sys.executable}",  # pip: this environment's pinned one
    )
    functions = {}
    for function_id, function in template.of_type("AWS::Serverless::Function").items():
        functions[function_id] = build_dir / function_id
        functions[function_id].mkdir()
        make(
            PROJECT_ROOT / function["Properties"]["CodeUri"],
            f"build-{function_id}",
            f"ARTIFACTS_DIR={functions[function_id]}",
        )
    return artifacts / "python", functions


def without_bytecode(artifact: Path, copy: Path) -> Path:
    """A copy of the artifact with every __pycache__ left out."""
    return Path(shutil.copytree(artifact, copy, ignore=shutil.ignore_patterns("__pycache__")))


def lambda_subject(template: Template, function_id: str, module: str, task_root: Path, layer: Path) -> Subject:
    """The module in the environment Lambda gives the function's process (as far as imports look at it): its
    template environment, the runtime's variables (LAMBDA_TASK_ROOT keeps the X-Ray SDK from building a sampler
    client at import), dummy credentials, and no bytecode writes (the code directories are read-only)."""
    return Subject(
        module,
        task_root,
        layer,
        {
            **template.function_environment(function_id, store.local_names(template)),
            "LAMBDA_TASK_ROOT": str(task_root),
            "AWS_LAMBDA_FUNCTION_NAME": function_id,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    )


def import_cpu_seconds(python: str, subject: Subject) -> float:
    """The CPU time a fresh interpreter spends importing the subject's module."""
    child = subprocess.run(
        [python, "-c", TIME_IMPORT, str(subject.task_root), str(subject.layer), subject.module],
        cwd=subject.task_root,
        env=subject.environment,
        check=False,
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise RuntimeError(f"importing {subject.module} failed:\n{child.stderr}")
    return float(child.stdout.split()[-1])


def instructions(python: str, subject: Subject, module: str) -> int:
    """The instructions a fresh interpreter executes to start and import `module` ("" for none), as cachegrind
    counts them."""
    child = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            python,
            "-c",
            COUNT_IMPORT,
            str(subject.task_root),
            str(subject.layer),
            module,
        ],
        cwd=subject.task_root,
        env=subject.environment,
        check=False,
        capture_output=True,
        text=True,
    )
    counted = re.search(r"I\s+refs:\s+([\d,]+)", child.stderr)
    if child.returncode != 0 or counted is None:
        raise RuntimeError(f"counting {module or 'the start'} failed:\n{child.stderr}")
    return int(counted.group(1).replace(",", ""))


def import_instructions(python: str, subjects: dict[str, Subject]) -> dict[str, int]:
    """Each subject's import in instructions (one run: the count does not vary), less the interpreter's start in
    the same place; counted on every core at once (the count does not move with the load)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        imports = {
            name: pool.submit(instructions, python, subject, subject.module) for name, subject in subjects.items()
        }
        starts = {name: pool.submit(instructions, python, subject, "") for name, subject in subjects.items()}
        return {name: imports[name].result() - starts[name].result() for name in subjects}


def median_ms(python: str, subjects: dict[str, Subject], runs: int) -> dict[str, float]:
    """Each subject's median import CPU time in ms, over `runs` interleaved runs."""
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(runs):
        for name, subject in subjects.items():
            samples[name].append(import_cpu_seconds(python, subject))
    return {name: statistics.median(seconds) * 1000 for name, seconds in samples.items()}


def run(volume: Volume) -> None:
    """Builds the artifacts in a temporary directory, measures them, prints the table."""
    template, python, runs = Template(), python313(), IMPORT_RUNS.at(volume)
    handlers = {
        function["Properties"]["Handler"].rsplit(".", 1)[0]: function_id
        for function_id, function in template.of_type("AWS::Serverless::Function").items()
    }
    with tempfile.TemporaryDirectory(prefix="keytally-cold-start-") as temp:
        layer, functions = build(template, Path(temp) / "build")
        bare_layer = without_bytecode(layer, Path(temp) / "without_bytecode" / "layer")
        subjects = {}
        for module, function_id in handlers.items():
            shipped = functions[function_id]
            bare = without_bytecode(shipped, Path(temp) / "without_bytecode" / function_id)
            subjects[f"{module} as shipped"] = lambda_subject(template, function_id, module, shipped, layer)
            subjects[f"{module} without bytecode"] = lambda_subject(template, function_id, module, bare, bare_layer)
        for name, module in BASELINES.items():
            subjects[name] = lambda_subject(template, BASELINE_ENVIRONMENT, module, BENCH_DIR, layer)
        ms = median_ms(python, subjects, runs)
        counted = [name for name in subjects if not name.endswith("without bytecode")]
        ir = import_instructions(python, {name: subjects[name] for name in counted}) if shutil.which("valgrind") else {}

    floor, hello_world = ms["stack floor"], ms["powertools hello-world"]
    print(
        heading(
            1,
            "Cold-start import CPU time, Python 3.13 as on Lambda (fresh process each, median of interleaved runs),"
            " and instructions",
            volume,
            {"CPU-time runs of each import": IMPORT_RUNS},
        )
    )
    print(f"   the layer and functions as their Makefiles build them ({HOST_PLATFORM} wheels), in their environments")
    print(
        f"   {'':<34}{'no bytecode':>12}{'as shipped':>12}{'reduction':>11}{'shipped / floor':>17}{'instructions':>14}"
    )
    misses = []
    for module in handlers:
        shipped, bare = ms[f"{module} as shipped"], ms[f"{module} without bytecode"]
        line = f"   {module:<34}{bare:9.1f} ms{shipped:9.1f} ms{(shipped - bare) / bare:11.0%}{shipped / floor:17.2f}"
        if ir:
            ratio = ir[f"{module} as shipped"] / ir["stack floor"]
            judged = verdict(
                ratio <= FLOOR_TARGET, f"{module} / the stack floor in instructions <= {FLOOR_TARGET}", f"{ratio:.3f}"
            )
            line += f"{ratio:14.3f}  {judged}"
            misses += [module] if ratio > FLOOR_TARGET else []
        print(line)
    print(f"   {'stack floor':<34}{'':>12}{floor:9.1f} ms   hello-world + enable_validation, Logger/Metrics, boto3")
    print(f"   {'powertools hello-world':<34}{'':>12}{hello_world:9.1f} ms")
    if ir:
        print(
            f"   each handler / the floor in instructions (floor {ir['stack floor'] / 1e6:,.0f}M): most"
            f" {max(ir[f'{module} as shipped'] for module in handlers) / ir['stack floor']:.3f}, over"
            f" {FLOOR_TARGET}: {', '.join(misses) or 'none'}    target <= {FLOOR_TARGET}"
            f"  {'MISS' if misses else 'PASS'} ({len(misses)} of {len(handlers)} over)"
        )
    else:
        print(
            "   (valgrind missing: apt-get install valgrind counts instructions, which the machine's load cannot move;"
            " nothing judged)"
        )
    ratio = ms[f"{RATIO_HANDLER} as shipped"] / hello_world
    print(
        f"   {RATIO_HANDLER + ' / hello-world':<34}{'':>12}{ratio:9.2f}      CPU time: reported, not judged (the"
        " neighbours' load moves it)"
    )
