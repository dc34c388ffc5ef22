"""What gets published, checked offline: the GitHub Actions workflows, the Binder environment of the
branch ``notebooks``, and the repository URL, which only ``_config.yml`` sets.

The workflows cannot run here; check-jsonschema validates them against the vendored GitHub workflow
schema (``--builtin-schema vendor.github-workflows``, no network), and the tests below check that
they run the README's commands and publish what the launch buttons open.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY_URL = CONFIG["repository"]["url"]
# Every file that may name the repository: the guides, the configuration, the chapters, CI.
URL_FILES = [ROOT / "README.md", ROOT / "_config.yml", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "book").glob("*.md")), *sorted((ROOT / "binder").iterdir()), *WORKFLOWS]  # fmt: skip
GITHUB_REPO_URL = re.compile(r"https?://(?:www\.)?github\.com/[\w.-]+/[\w.-]+", re.IGNORECASE)
PLACEHOLDER = re.compile(r"<your[^>]*>|OWNER/REPO|your-(?:org|course|user)|example\.(?:com|org)", re.IGNORECASE)


def _build_script_module():
    from importlib.machinery import SourceFileLoader
    from importlib.util import module_from_spec, spec_from_loader

    loader = SourceFileLoader("build_book", str(ROOT / "scripts" / "build-book"))
    module = module_from_spec(spec_from_loader("build_book", loader))
    loader.exec_module(module)
    return module


def lint_workflow(path: Path) -> subprocess.CompletedProcess:
    """check-jsonschema against the vendored GitHub workflow schema (offline)."""
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def load_workflow(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_there_are_workflows():
    assert {path.name for path in WORKFLOWS} >= {"book.yml", "tests.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_is_valid(path):
    result = lint_workflow(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\njobs:\n  build:\n    step:\n      - run: echo no runs-on, no steps\n")
    assert lint_workflow(broken).returncode != 0


def test_book_workflow_builds_with_the_readme_commands_and_publishes_both_trees():
    workflow = load_workflow(ROOT / ".github" / "workflows" / "book.yml")
    build_book = _build_script_module()
    runs = "\n".join(step.get("run", "") for step in steps(workflow))
    uses = {step["uses"].split("@")[0]: step for step in steps(workflow) if "uses" in step}
    assert "bash scripts/install" in runs and ".venv/bin/python scripts/build-book" in runs
    assert runs.index("bash scripts/install") < runs.index("scripts/build-book")
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"  # the assembled site:
    assert build_book.EDITIONS == ("en", "id")  # _build/html/en/, _build/html/id/ and an index.html leading to en/
    assert "--language" not in runs, "the workflow must publish every edition"
    assert "actions/deploy-pages" in uses
    assert uses["actions/upload-artifact"]["with"]["path"] == f"_build/{build_book.NOTEBOOKS_DIR}"
    assert re.search(rf"git push --force \S+ {build_book.NOTEBOOKS_BRANCH}$", runs, re.MULTILINE), "no push to the notebooks branch"
    assert workflow["on"]["push"]["branches"] == [CONFIG["repository"]["branch"]]


def test_tests_workflow_runs_the_suite_on_pull_requests():
    workflow = load_workflow(ROOT / ".github" / "workflows" / "tests.yml")
    runs = "\n".join(step.get("run", "") for step in steps(workflow))
    assert "pull_request" in workflow["on"]
    assert "bash scripts/install" in runs and re.search(r"\.venv/bin/python -m pytest$", runs, re.MULTILINE)


def test_every_github_link_is_the_configured_repository():
    assert GITHUB_REPO_URL.fullmatch(REPOSITORY_URL), f"repository.url is not a GitHub repository: {REPOSITORY_URL}"
    others = {}
    for path in URL_FILES:
        for url in GITHUB_REPO_URL.findall(path.read_text()):
            if url.lower().removesuffix(".git") != REPOSITORY_URL.lower():
                others.setdefault(path.relative_to(ROOT).as_posix(), []).append(url)
    assert not others, f"links to a repository other than {REPOSITORY_URL} (set only in _config.yml): {others}"


def test_guides_carry_no_placeholder_links():
    found = {
        path.relative_to(ROOT).as_posix(): PLACEHOLDER.findall(path.read_text())
        for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    }
    assert not {name: hits for name, hits in found.items() if hits}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line.split("#")[0].strip())
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def test_binder_installs_the_cpu_build_of_the_course_pins():
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    assert re.search(r"^--extra-index-url https://download\.pytorch\.org/whl/cpu$", requirements, re.MULTILINE)
    binder, course = _pins(ROOT / "binder" / "requirements.txt"), _pins(ROOT / "requirements.txt")
    for package in ("torch", "torchvision"):
        assert binder[package] == course[package] + "+cpu", f"Binder's {package} is not the CPU build of the course's"
    different = {name: (pin, course.get(name)) for name, pin in binder.items() if not pin.endswith("+cpu") and pin != course.get(name)}
    assert not different, f"Binder pins that differ from requirements.txt: {different}"
    assert "myst-nb" in binder, "the chapters call myst_nb.glue"


def test_binder_installs_the_course_from_its_checkout():
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs postBuild only if it is executable"
    assert re.search(r"pip install .*--no-deps \.$", post_build.read_text(), re.MULTILINE)
    assert "binder" in _build_script_module().NOTEBOOK_TREE_EXTRAS
