"""MkDocs hooks: content generated from the package at build time.

* ``<!-- capability-matrix -->`` becomes
  ``accounting_connectors.capability_matrix().to_markdown()``, so the published matrix
  is always the one the installed connectors declare.
* ``<!-- providers-api -->`` becomes a section with the mkdocstrings directive of each
  built-in provider's connector, from the registry, so a new provider is documented
  without editing ``api.md``.
* ``<!-- capabilities:NAME -->`` becomes that provider's row of the matrix as a table, so
  a provider's page shows what it supports as the code declares it.
* ``<!-- testing-kit-api -->`` becomes the mkdocstrings directives for the testing kit's
  modules and each built-in provider's fake.

Each built-in provider's page, ``docs/providers/<name>.md``, is listed under "Providers"
in the navigation in the registry's order, so a new provider's page needs no edit of
``mkdocs.yml``; a provider without a page fails the strict build. Its title is the
page's first heading.

The package's docstrings use Google sections with some reStructuredText left in them
(``:class:`X```, a paragraph ending in ``::`` before an example). mkdocstrings renders
Markdown, so :func:`on_post_page` tidies those into what Sphinx would show.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

CAPABILITY_MATRIX = "<!-- capability-matrix -->"
TESTING_KIT_API = "<!-- testing-kit-api -->"
PROVIDERS_API = "<!-- providers-api -->"
PROVIDER_FIXTURES = "<!-- provider-fixtures -->"
PROVIDER_LIST = "<!-- provider-list -->"

_ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|data|obj):<code>(~?)([\w.]+)</code>")
_EMPTY_LITERAL_MARK = re.compile(r"<p>::</p>\n?")
_LITERAL_MARK = re.compile(r"(\S)::</p>")

_ROOT = Path(__file__).resolve().parent.parent


def _builtin() -> list[str]:
    from accounting_connectors.registry import builtin_providers

    return builtin_providers()


def _testing_kit_api() -> str:
    # The kit's own modules, then one fake per built-in provider, from the registry.
    kit = [
        module.stem
        for module in sorted((_ROOT / "accounting_connectors" / "testing").glob("*.py"))
        if not module.stem.startswith("_") and module.stem not in _builtin()
    ]
    return "\n".join(f"::: accounting_connectors.testing.{name}\n" for name in [*kit, *_builtin()])


def _providers_api() -> str:
    return "\n".join(
        f"::: accounting_connectors.connectors.{name}\n    options:\n      heading_level: 3\n" for name in _builtin()
    )


def _provider_fixtures() -> str:
    from accounting_connectors.registry import BUILTIN, fake_class

    rows = ["| provider | fixture | fake | demo settings |", "|---|---|---|---|"]
    for entry in BUILTIN:
        fake = fake_class(entry.name)
        settings = ", ".join(f"`{key}={value!r}`" for key, value in fake.demo_settings.items())
        rows.append(
            f"| [{entry.name}](providers/{entry.name}.md) | `{entry.name}_fake` | `{fake.__name__}` | {settings} |"
        )
    return "\n".join(rows) + "\n"


def _provider_list() -> str:
    from accounting_connectors.registry import BUILTIN, provider_class

    lines = []
    for entry in BUILTIN:
        provider = provider_class(entry.name)
        lines.append(f'- [{provider.title or entry.name}](providers/{entry.name}.md) (`"{entry.name}"`)')
    return "\n".join(lines) + "\n"


_PROVIDER_CAPABILITIES = re.compile(r"<!-- capabilities:([a-z0-9_]+) -->")


def _provider_capabilities(match: re.Match[str]) -> str:
    from accounting_connectors.registry import provider_class

    rows = ["| Capability | Support | Note |", "|---|---|---|"]
    for capability, entry in provider_class(match.group(1)).capabilities:
        note = entry.note.replace("|", "\\|")
        rows.append(f"| `{capability.value}` | {entry.support.value} | {note} |")
    return "\n".join(rows) + "\n"


def _title(page: Path) -> str:
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem


def on_config(config: Any, **kwargs: Any) -> Any:
    """List each built-in provider's page (``docs/providers/<name>.md``) under "Providers"."""
    nav = config.get("nav")
    if not nav:
        return config
    section: list[Any] | None = None
    for item in nav:
        if isinstance(item, dict) and isinstance(item.get("Providers"), list):
            section = item["Providers"]
    if section is None:
        return config
    listed = {value for entry in section if isinstance(entry, dict) for value in entry.values()}
    docs_dir = Path(config["docs_dir"])
    for name in _builtin():
        page = docs_dir / "providers" / f"{name}.md"
        path = page.relative_to(docs_dir).as_posix()
        if path not in listed:
            # A built-in provider without its page fails the strict build here.
            section.append({_title(page): path})
    return config


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the markers with content generated from the package."""
    if CAPABILITY_MATRIX in markdown:
        import accounting_connectors as ac

        markdown = markdown.replace(CAPABILITY_MATRIX, ac.capability_matrix().to_markdown())
    if PROVIDERS_API in markdown:
        markdown = markdown.replace(PROVIDERS_API, _providers_api())
    markdown = _PROVIDER_CAPABILITIES.sub(_provider_capabilities, markdown)
    if PROVIDER_FIXTURES in markdown:
        markdown = markdown.replace(PROVIDER_FIXTURES, _provider_fixtures())
    if PROVIDER_LIST in markdown:
        markdown = markdown.replace(PROVIDER_LIST, _provider_list())
    if TESTING_KIT_API in markdown:
        markdown = markdown.replace(TESTING_KIT_API, _testing_kit_api())
    return markdown


def _tidy_role(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_post_page(output: str, **kwargs: Any) -> str:
    """Render reStructuredText leftovers in docstrings as Sphinx would."""
    output = _ROLE.sub(_tidy_role, output)
    output = _EMPTY_LITERAL_MARK.sub("", output)
    return _LITERAL_MARK.sub(r"\1:</p>", output)
