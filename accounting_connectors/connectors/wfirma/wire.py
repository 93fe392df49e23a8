"""wFirma's wire format: XML built with the standard library, answers read with ``defusedxml``.

Tags in comments are the sources of ``shared/providers/wfirma.md`` §0 (W-DOC the official
Postman collection, W-WEBIT ``dbojdo/wFirma``, W-GUIDE a production integration guide).

* Requests are ``<api><{module}><{record}>...`` [W-DOC "Format wymiany danych"]; every
  text is escaped exactly (``&``, ``<``, ``>`` and carriage returns as character
  references) and characters XML 1.0 cannot carry are refused before anything is sent.
* Answers are parsed with ``defusedxml`` with DTDs, entities and external references
  forbidden, so an XML bomb or an external-entity answer is a typed error at once.
* Every answer carries ``status > code``; errors come under HTTP 200 [W-DOC "Komunikaty
  błędów"]. Validation details are ``errors > error`` attached to the records at any depth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeAlias
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree as SafeET
import httpx

from ...errors import ValidationError
from ...provider import number_text

Node: TypeAlias = "tuple[str, str | Sequence[Node]]"
"""One element to write: ``(tag, text)`` or ``(tag, [children])``."""

# XML 1.0 allows tab, line feed, carriage return and everything from U+0020 except the
# surrogates and U+FFFE/U+FFFF (production [2] "Char").
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A carriage return would be normalised to a line feed by every XML parser: write it as a
# character reference so the text arrives exactly as given.
_ENTITIES = {"\r": "&#13;"}


def xml_text(value: str, field: str) -> str:
    """``value`` escaped for element content.

    Raises:
        ValidationError: ``value`` holds a character XML 1.0 cannot carry (a control character).
    """
    found = _NOT_XML.search(value)
    if found is not None:
        raise ValidationError(field, f"holds the character U+{ord(found.group()):04X}, which XML cannot carry")
    return escape(value, _ENTITIES)


def xml_document(root: Node) -> bytes:
    """The UTF-8 XML document of ``root`` with an XML declaration."""
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']

    def write(node: Node, path: str) -> None:
        tag, content = node
        where = f"{path}.{tag}" if path else tag
        if isinstance(content, str):
            out.append(f"<{tag}>{xml_text(content, where)}</{tag}>")
            return
        out.append(f"<{tag}>")
        for child in content:
            write(child, where)
        out.append(f"</{tag}>")

    write(root, "")
    return "".join(out).encode("utf-8")


def decimal_text(value: Decimal) -> str:
    """An exact decimal in fixed notation (``100.00``, never ``1E+2``)."""
    return number_text(value)


class UnreadableAnswer(ValueError):
    """The answer is not a safe, well-formed XML document (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_PARSED = "_accounting_connectors_wfirma_xml"


def parse_xml(content: bytes) -> Element:
    """``content`` parsed with DTDs, entities and external references refused.

    Raises:
        UnreadableAnswer: not XML, or XML with a DTD or entity declarations (a possible
            XML bomb or external-entity attack).
    """
    try:
        return SafeET.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as error:
        raise UnreadableAnswer(f"refused an XML answer with a DTD or entities ({type(error).__name__})") from None
    except (ParseError, ValueError) as error:
        raise UnreadableAnswer(f"the answer is not well-formed XML ({error})") from None


def answer(response: httpx.Response) -> Element:
    """The response's XML root, parsed once and kept on the response.

    Raises:
        UnreadableAnswer: see :func:`parse_xml`.
    """
    cached = getattr(response, _PARSED, None)
    if isinstance(cached, Element):
        return cached
    if isinstance(cached, UnreadableAnswer):
        raise cached
    try:
        root = parse_xml(response.content)
    except UnreadableAnswer as error:
        setattr(response, _PARSED, error)
        raise
    setattr(response, _PARSED, root)
    return root


def status_code(root: Element) -> str | None:
    """``api > status > code``, or ``None`` when the answer has no status."""
    code = root.findtext("status/code")
    return code.strip() if code is not None and code.strip() else None


def status_message(root: Element) -> str | None:
    """``api > status > message`` (newer generic errors carry one) [W-ISSUES #39, W-GUIDE]."""
    message = root.findtext("status/message")
    return message.strip() if message is not None and message.strip() else None


def field_errors(root: Element) -> dict[str, list[str]]:
    """Every ``errors > error`` in the tree, keyed ``record.path.field`` (REC of §2).

    Module branches are left out and repeated lines indexed: ``invoice.contractor.name``,
    ``invoice.invoicecontents[1].name``.
    """
    found: dict[str, list[str]] = {}

    def walk(element: Element, path: str) -> None:
        position = 0
        for child in element:
            if child.tag == "errors":
                for error in child.iter("error"):
                    field = (error.findtext("field") or "").strip()
                    message = (error.findtext("message") or "").strip() or (error.findtext("method/name") or "").strip()
                    found.setdefault(".".join(part for part in (path, field) if part), []).append(message)
            elif element is root and child.tag in _MODULES:
                walk(child, path)  # the module branch names no record
            elif element.tag in _LISTS:
                walk(child, f"{path}[{position}]")
                position += 1
            elif child.tag != "status":
                walk(child, f"{path}.{child.tag}" if path else child.tag)

    walk(root, "")
    return found


_MODULES = frozenset({"invoices", "payments", "series", "goods", "vat_codes", "contractors"})
_LISTS = frozenset({"invoicecontents"})


def records(root: Element, module: str, record: str) -> list[Element]:
    """The ``api > {module} > {record}`` elements of an answer."""
    branch = root.find(module)
    return [] if branch is None else branch.findall(record)


def text_of(element: Element | None, path: str) -> str | None:
    """The stripped text at ``path`` under ``element``; ``None`` when absent or empty."""
    if element is None:
        return None
    value = element.findtext(path)
    if value is None:
        return None
    value = value.strip()
    return value or None


def number_of(text: str | None) -> Decimal | None:
    """A decimal from wFirma's text (ids and amounts come as strings or numbers [W-GUIDE])."""
    if text is None:
        return None
    try:
        return Decimal(text.strip())
    except ArithmeticError:
        return None


def paging(root: Element, module: str) -> tuple[int, int, int]:
    """``(page, limit, total)`` of a ``find`` answer (strings or numbers) [W-DOC, W-GUIDE]."""
    parameters = root.find(f"{module}/parameters")

    def read(name: str, default: int) -> int:
        value = number_of(text_of(parameters, name))
        return int(value) if value is not None else default

    return read("page", 1), read("limit", 0), read("total", 0)
