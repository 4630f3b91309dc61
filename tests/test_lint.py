"""The code passes `make lint` (ruff check + format check with the pinned ruff), so style drift fails
the test command instead of piling up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff(command: list[str]):
    result = subprocess.run([str(RUFF), *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]


def test_the_pipeline_never_imports_the_emulator():
    """dags/, plugins/ and aeris_lib/ run in production: none of them may depend on the emulator."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("dags", "plugins", "aeris_lib")
        for path in (ROOT / folder).rglob("*.py")
        if "harmony_emulator" in path.read_text()
    ]
    assert offenders == []


def test_the_emulator_never_imports_the_pipeline():
    """The emulator models NASA from the public record; code shared with the pipeline would make a
    test pass because both sides are wrong the same way."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "harmony_emulator").rglob("*.py")
        if _imports(path) & {"aeris_lib", "dags", "plugins", "aeris"}
    ]
    assert offenders == []


def _imports(path: Path) -> set[str]:
    """Top-level package names a module imports."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_triggers_hold_no_http_code():
    """Network work lives in the hooks and aeris_lib's transports; a trigger only decides and waits."""
    http_libraries = {"aiohttp", "requests", "httpx", "urllib3", "http", "urllib"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & http_libraries)
        for path in (ROOT / "plugins" / "aeris" / "triggers").glob("*.py")
        if _imports(path) & http_libraries
    }
    assert offenders == {}


def test_task_modules_stay_small():
    """Each module under plugins/aeris/tasks/ does one thing: at most 250 lines."""
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in (ROOT / "plugins" / "aeris" / "tasks").glob("*.py")
    }
    assert {name: lines for name, lines in sizes.items() if lines > 250} == {}


def test_plugins_live_in_one_namespace():
    """Airflow puts plugins/ on sys.path: every package there is a top-level name (and part of stored
    trigger classpaths). Only `aeris`, the module that registers the plugin, and Airflow's cluster
    policy module (a name Airflow fixes) may sit there."""
    top_level = {
        path.name
        for path in (ROOT / "plugins").iterdir()
        if not path.name.startswith((".", "__")) and (path.is_dir() or path.suffix == ".py")
    }
    assert top_level == {"aeris", "aeris_plugin.py", "airflow_local_settings.py"}


def test_aeris_lib_imports_no_airflow():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "aeris_lib").rglob("*.py")
        if "airflow" in _imports(path)
    ]
    assert offenders == []


def test_readme_is_short_and_links_its_docs():
    """The README says what the project is, how to run, operate and configure it, and the read
    contract; design notes, measurements and security live in docs/, each linked from it."""
    import re

    readme = (ROOT / "README.md").read_text()
    assert len(readme.split()) <= 2500
    linked = set(re.findall(r"\(docs/([\w.-]+\.md)\)", readme))
    assert linked == {path.name for path in (ROOT / "docs").glob("*.md")}


def test_makefile_targets_are_real_and_described():
    """Every .PHONY name is a target, and every target says what it does (`make help` lists them)."""
    import re

    makefile = (ROOT / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY: (.*)$", makefile, re.M).group(1).split())
    targets = dict(re.findall(r"^([a-z][\w-]*):[^\n#=]*(?:## (.*))?$", makefile, re.M))
    assert phony == set(targets)
    assert {name for name, description in targets.items() if not description} == set()


def test_ui_and_listeners_never_import_the_tasks():
    """The AERIS view and the listener run in the api-server and the scheduler: they read configuration
    and hooks, never a DAG's task code (which would load the task stack there)."""
    offenders = {
        str(path.relative_to(ROOT))
        for folder in ("ui", "listeners")
        for path in (ROOT / "plugins" / "aeris" / folder).glob("*.py")
        if any(name == "aeris.tasks" or name.startswith("aeris.tasks.") for name in _modules(path))
    }
    assert offenders == set()


def _modules(path: Path) -> set[str]:
    """Full dotted names of the modules `path` imports from."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


# Modules that may read the process environment: the configuration itself; stack_env, which composes
# `.env` and the shell into the environment everything else reads; render_airflow_cfg, which hands the
# whole environment to the template's ${VAR} expansion. The emulator stands in for NASA, with its own.
ENVIRONMENT_READERS = {"aeris_lib/config.py", "scripts/stack_env.py", "scripts/render_airflow_cfg.py"}


def test_only_the_configuration_reads_the_environment():
    """Every setting is read and checked once, in aeris_lib.config: an `os.environ`/`os.getenv` anywhere
    else in the product or its scripts would be a second, unchecked reading."""
    import ast

    offenders = []
    for folder in ("aeris_lib", "plugins", "dags", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            name = str(path.relative_to(ROOT))
            if name in ENVIRONMENT_READERS:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
                    offenders.append(f"{name}:{node.lineno}")
                elif isinstance(node, ast.ImportFrom) and node.module == "os":
                    offenders += [
                        f"{name}:{node.lineno}" for a in node.names if a.name.startswith(("env", "get"))
                    ]
    assert offenders == []


def test_sql_lives_in_include_sql():
    """aeris_lib/db/sql.py's promise: every statement the product runs is a file under include/sql. A
    string or f-string handed to `execute` in aeris_lib or plugins is SQL written somewhere else."""
    import ast

    offenders = []
    for folder in ("aeris_lib", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute | ast.Name)
                    and getattr(node.func, "attr", getattr(node.func, "id", ""))
                    in ("execute", "executemany", "copy_expert", "copy", "copy_binary")
                    and any(
                        isinstance(arg, ast.JoinedStr)
                        or (isinstance(arg, ast.Constant) and isinstance(arg.value, str))
                        for arg in node.args
                    )
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_every_module_has_a_test_at_the_mirrored_path():
    """aeris_lib/x/y.py -> tests/lib/x/test_y.py; plugins/aeris/x/y.py -> tests/plugins/x/test_y.py."""
    missing = []
    for package, tests in (("aeris_lib", "tests/lib"), ("plugins/aeris", "tests/plugins")):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "__init__.py":
                continue
            relative = path.relative_to(ROOT / package)
            mirrored = ROOT / tests / relative.parent / f"test_{relative.name}"
            if not mirrored.is_file():
                missing.append(f"{path.relative_to(ROOT)} -> {mirrored.relative_to(ROOT)}")
    assert missing == []


def test_one_postgresql_driver():
    """psycopg 3, what PostgresHook hands the tasks, everywhere: the product, the scripts, the tests.
    psycopg2-binary stays installed only because apache-airflow-providers-postgres declares it."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("aeris_lib", "plugins", "dags", "scripts", "tests", "harmony_emulator")
        for path in (ROOT / folder).rglob("*.py")
        if "psycopg2" in _imports(path)
    ]
    assert offenders == []
    for name in ("docker-compose.yaml", "scripts/stack_env.py"):
        assert "postgresql+psycopg2" not in (ROOT / name).read_text(), name
