"""The package's metadata, checked statically in pyproject.toml (no build in the test run).

``python -m build`` and ``twine check --strict dist/*`` are the full check before an
upload; this keeps what they depend on from drifting between uploads.
"""

from __future__ import annotations

import re
import tomllib
import urllib.parse
from pathlib import Path

import accounting_connectors

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_comes_from_one_place() -> None:
    project = PROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    path = PROJECT["tool"]["hatch"]["version"]["path"]
    assert path == "accounting_connectors/__init__.py"
    source = (ROOT / path).read_text(encoding="utf-8")
    assert re.findall(r'^__version__ = "([^"]+)"$', source, re.M) == [accounting_connectors.__version__]
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?", accounting_connectors.__version__)


def test_project_urls_name_the_documentation_changelog_and_issues() -> None:
    urls = PROJECT["project"]["urls"]
    assert {"Documentation", "Changelog", "Issues"} <= set(urls)
    for url in urls.values():
        parts = urllib.parse.urlsplit(url)
        assert parts.scheme == "https" and parts.netloc
        assert not parts.netloc.endswith(("pypi.org", "pythonhosted.org")), url


def test_classifiers_match_the_python_versions_and_the_license() -> None:
    project = PROJECT["project"]
    classifiers = project["classifiers"]
    assert len(classifiers) == len(set(classifiers))
    assert all(re.fullmatch(r"[A-Z][^:]*( :: [^:]+)+", classifier) for classifier in classifiers)
    minimum = int(re.fullmatch(r">=3\.(\d+)", project["requires-python"])[1])  # type: ignore[index]
    versions = sorted(int(c.rsplit(".", 1)[1]) for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c))
    assert versions[0] == minimum and versions == list(range(minimum, versions[-1] + 1))
    assert "Typing :: Typed" in classifiers and (ROOT / "accounting_connectors" / "py.typed").is_file()
    # A license expression (PEP 639) excludes license classifiers; the file is shipped.
    assert project["license"] == "MIT" and not any(c.startswith("License ::") for c in classifiers)
    assert all((ROOT / name).is_file() for name in project["license-files"])
    assert "LICENSE" in PROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]


def test_the_readme_and_the_runtime_dependencies() -> None:
    project = PROJECT["project"]
    assert (ROOT / project["readme"]).is_file() and project["readme"].endswith(".md")
    runtime = {re.split(r"[<>=\[; ]", requirement)[0] for requirement in project["dependencies"]}
    # Build and upload tools, test and docs tools are never runtime dependencies.
    assert not runtime & {"build", "twine", "hatchling", "pytest", "mypy", "ruff", "mkdocs", "tqdm"}
