"""The job definitions in ``deploy/``, checked offline: the Kubernetes Indexed Job against the
Kubernetes API's own schema (``kubernetes-validate``), the Slurm script by Slurm's own ``sbatch``
and shell checkers, and both by running their command line with a stub ``python`` that records
which shard it was asked to grade; the course's Zero to JupyterHub values against the Helm chart's
own values schema, and the hub's hook that gives each person their role.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
JOB = REPOSITORY / "deploy" / "kubernetes" / "autograde-job.yaml"
HUB_VALUES = REPOSITORY / "deploy" / "jupyterhub" / "values.yaml"
# The jupyterhub Helm chart's values.schema.json and default values.yaml, of the release the values
# are written for (4.4.0: values.schema.yaml of the tag, its descriptions dropped as the chart's
# tools/generate-json-schema.py does for the packaged chart).
CHART = REPOSITORY / "deploy" / "jupyterhub" / "chart-4.4.0"
SBATCH = REPOSITORY / "deploy" / "slurm" / "autograde.sbatch"
# The command both definitions run, after `python` (it will become `-m classgrade autograde`).
AUTOGRADE = ["-m", "classgrade", "autograde"]
KUBERNETES_VERSIONS = ("1.29", "1.37")  # the oldest with backoffLimitPerIndex in beta, and the newest schema


def _stub_python(folder: Path) -> Path:
    """A ``python`` that writes its arguments, one a line, to ``$ARGS_FILE``."""
    folder.mkdir(parents=True, exist_ok=True)
    stub = folder / "python"
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_FILE"\n')
    stub.chmod(0o755)
    return folder


def _run_with_stub(command: list[str], tmp_path: Path, env: dict[str, str], cwd: Path) -> list[str]:
    args_file = tmp_path / "args.txt"
    path = f"{_stub_python(tmp_path / 'bin')}{os.pathsep}/usr/bin:/bin"
    subprocess.run(command, env={"PATH": path, "ARGS_FILE": str(args_file), **env}, cwd=cwd, check=True)
    return args_file.read_text().splitlines()


# --- Kubernetes ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def job() -> dict:
    return yaml.safe_load(JOB.read_text())


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_job_is_valid_against_the_kubernetes_api_schema(job, version):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    kubernetes_validate.validate(job, version, strict=True)  # strict: an unknown field is an error


def test_an_invalid_job_is_caught(job):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    broken = yaml.safe_load(JOB.read_text())
    broken["spec"]["completionMode"] = "Indexd"
    broken["spec"]["template"]["spec"]["containers"][0]["workDir"] = "/course"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def _container_env(job: dict) -> dict[str, str]:
    container = job["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item["value"] for item in container["env"] if "value" in item}


def test_the_job_is_indexed_with_one_shard_per_completion(job):
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert int(_container_env(job)["SHARDS"]) == spec["completions"]
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {
        "name": "GRADEBOOK_URL",
        "valueFrom": {"secretKeyRef": {"name": "autograde-gradebook", "key": "url"}},
    } in env


@pytest.mark.parametrize("index, shard", [(0, "1/4"), (3, "4/4")])
def test_the_completion_index_maps_to_a_1_based_shard(job, index, shard, tmp_path):
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = dict(_container_env(job), JOB_COMPLETION_INDEX=str(index))  # what the Job controller sets
    args = _run_with_stub([*container["command"], *container["args"]], tmp_path, env, tmp_path)
    assert args == [*AUTOGRADE, env["ASSIGNMENT"], "--shard", shard, "--jobs", env["JOBS"], "--quiet"]


# --- Slurm -----------------------------------------------------------------------------------------


def _directives(script: str) -> list[str]:
    """The ``#SBATCH`` options, which sbatch reads up to the first command of the script."""
    options = []
    for line in script.splitlines()[1:]:
        if line.startswith("#SBATCH"):
            options.append(line.split(None, 1)[1].split(" #")[0].strip())
        elif line.strip() and not line.startswith("#"):
            break
    return options


def _sbatch(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Slurm's sbatch with a configuration naming an unreachable controller: it parses, then fails to submit."""
    conf = tmp_path / "slurm.conf"
    conf.write_text("ClusterName=offline\nSlurmctldHost=localhost\nSlurmctldPort=9\nMessageTimeout=1\n")
    return subprocess.run(
        ["sbatch", *args],
        env={"PATH": "/usr/bin:/bin", "SLURM_CONF": str(conf)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )


needs_sbatch = pytest.mark.skipif(
    shutil.which("sbatch") is None, reason="sbatch (Debian's slurm-client) is not installed"
)


def test_every_sbatch_directive_comes_before_the_first_command():
    script = SBATCH.read_text()
    assert len(_directives(script)) == script.count("\n#SBATCH ")


@needs_sbatch
def test_every_sbatch_option_is_one_sbatch_documents(tmp_path):
    documented = set(re.findall(r"(--[a-z][a-z-]*)", _sbatch("--help", tmp_path=tmp_path).stdout))
    used = {option.split("=")[0] for option in _directives(SBATCH.read_text())}
    assert used and used <= documented, used - documented


@needs_sbatch
def test_sbatch_accepts_the_script(tmp_path):
    """sbatch parses every option and its value before it contacts the controller."""
    accepted = _sbatch("--test-only", str(SBATCH), "kl", tmp_path=tmp_path)
    assert "Unable to contact slurm controller" in accepted.stderr, accepted.stderr
    broken = tmp_path / "broken.sbatch"
    broken.write_text(SBATCH.read_text().replace("--time=01:00:00", "--time=an hour"))
    rejected = _sbatch("--test-only", str(broken), "kl", tmp_path=tmp_path)
    assert "Invalid --time specification" in rejected.stderr, rejected.stderr


def test_the_script_is_valid_shell():
    subprocess.run(["bash", "-n", str(SBATCH)], check=True)
    if shutil.which("shellcheck"):
        subprocess.run(["shellcheck", str(SBATCH)], check=True)


@pytest.mark.parametrize("first, task, count, shard", [(1, 1, 4, "1/4"), (1, 4, 4, "4/4"), (0, 2, 3, "3/3")])
def test_the_array_task_maps_to_a_1_based_shard(first, task, count, shard, tmp_path):
    env = {
        "SLURM_ARRAY_TASK_MIN": str(first),
        "SLURM_ARRAY_TASK_ID": str(task),
        "SLURM_ARRAY_TASK_COUNT": str(count),
        "SLURM_CPUS_PER_TASK": "4",
        "SLURM_SUBMIT_DIR": str(tmp_path),
    }
    args = _run_with_stub(["bash", str(SBATCH), "kl", "--timeout-notebook", "300"], tmp_path, env, tmp_path)
    assert args == [*AUTOGRADE, "kl", "--shard", shard, "--jobs", "4", "--quiet", "--timeout-notebook", "300"]


# --- JupyterHub on Kubernetes (Zero to JupyterHub) -------------------------------------------------


def _coalesce(defaults: dict, values: dict) -> dict:
    """Helm's merge of a chart's defaults with a values file: maps merge, anything else replaces, null removes."""
    merged = dict(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _coalesce(merged[key], value)
        else:
            merged[key] = value
    return merged


def _schema_errors(values: dict) -> list[str]:
    import json

    import jsonschema

    schema = json.loads((CHART / "values.schema.json").read_text())
    merged = _coalesce(yaml.safe_load((CHART / "values.yaml").read_text()), values)
    return [
        f"{'.'.join(map(str, error.path))}: {error.message}"
        for error in jsonschema.Draft7Validator(schema).iter_errors(merged)
    ]


@pytest.fixture(scope="module")
def hub_values() -> dict:
    return yaml.safe_load(HUB_VALUES.read_text())


def test_the_hub_values_are_valid_against_the_chart_schema(hub_values):
    assert _schema_errors(hub_values) == []


def test_a_misspelt_hub_value_is_caught(hub_values):
    broken = yaml.safe_load(HUB_VALUES.read_text())
    broken["singleuser"]["storage"]["capacty"] = broken["singleuser"]["storage"].pop("capacity")
    assert any("capacty" in error for error in _schema_errors(broken))


class _Group:
    def __init__(self, name):
        self.name = name


class _Spawner:
    """What the hook reads and writes of KubeSpawner."""

    def __init__(self, groups):
        self.user = type("User", (), {"groups": [_Group(name) for name in groups]})()
        self.environment, self.volumes, self.volume_mounts = {"KEEP": "1"}, [], []


def _hook(hub_values, monkeypatch):
    from traitlets.config import Config

    monkeypatch.setenv("GRADEBOOK_URL", "postgresql://grader@db/vae_course")
    c = Config()
    exec(hub_values["hub"]["extraConfig"]["course-roles"], {"c": c})
    return c.KubeSpawner.pre_spawn_hook


def test_the_instructor_gets_the_course_folder_the_grading_job_grades(hub_values, job, monkeypatch):
    spawner = _Spawner(["instructors"])
    _hook(hub_values, monkeypatch)(spawner)
    assert spawner.environment == {
        "KEEP": "1",
        "JUPYTER_CONFIG_PATH": "/etc/jupyter/course/instructor",
        "GRADEBOOK_URL": "postgresql://grader@db/vae_course",
    }
    [volume] = spawner.volumes
    assert volume["persistentVolumeClaim"] == job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]
    files = hub_values["singleuser"]["extraFiles"]
    assert (
        f'c.CourseDirectory.root = "{spawner.volume_mounts[0]["mountPath"]}"'
        in files["instructor-nbgrader"]["stringData"]
    )
    # the same gradebook as the grading Job's pods, and the same user (jovyan) on the shared volumes
    hub_secret = hub_values["hub"]["extraEnv"]["GRADEBOOK_URL"]["valueFrom"]["secretKeyRef"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "GRADEBOOK_URL", "valueFrom": {"secretKeyRef": hub_secret}} in container["env"]
    assert job["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 1000


def test_students_get_no_formgrader_and_no_course_folder(hub_values, monkeypatch):
    from classroom.prepare import INSTRUCTOR_LAB_PLUGINS, INSTRUCTOR_SERVER_EXTENSIONS

    spawner = _Spawner(["students"])
    _hook(hub_values, monkeypatch)(spawner)
    assert spawner.environment == {"KEEP": "1", "JUPYTER_CONFIG_PATH": "/etc/jupyter/course/student"}
    assert spawner.volumes == [] and spawner.volume_mounts == []
    files = hub_values["singleuser"]["extraFiles"]
    assert set(files["student-lab"]["data"]["disabledExtensions"]) == set(INSTRUCTOR_LAB_PLUGINS)
    for extension in INSTRUCTOR_SERVER_EXTENSIONS:  # the same roles as the local hub's (scripts/classroom)
        assert f'"{extension}": False' in files["student-server"]["stringData"]
    assert 'c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]' in files["student-nbgrader"]["stringData"]
