"""The two body dialects the wFirma fake reads and writes, as one element tree.

XML is the documented default (root ``api``); JSON numbers every repeated branch, even a
single one: ``{"invoices": {"0": {"invoice": {...}}}}`` [W-DOC "Format wymiany danych"].
A production client (W-GUIDE) sends arrays under an ``api`` root instead, which the live
service accepts; both are read. A plural branch whose record is not numbered
(``{"invoices": {"invoice": {...}}}``) was rejected or ignored by the live service
(W-DEKOZA changelog), so the fake refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree as SafeET

from ...provider import dump_json

__all__ = ["PLURALS", "BadInput", "element_to_json", "json_to_element", "parse_body", "render"]

PLURALS: Mapping[str, str] = {
    "invoices": "invoice",
    "invoicecontents": "invoicecontent",
    "series": "series",
    "vat_codes": "vat_code",
    "goods": "good",
    "payments": "payment",
    "contractors": "contractor",
    "errors": "error",
    "user_companies": "user_company",
    "conditions": "condition",
    "fields": "field",
}
"""Plural branch -> its record (the branches JSON numbers)."""


class BadInput(Exception):
    """The body cannot be read (answered ``INPUT ERROR``)."""


def parse_body(content: bytes, input_format: str) -> Element:
    """The request body as an ``api`` element (empty when there is no body).

    Raises:
        BadInput: malformed XML or JSON, an XML body with a DTD or entities, or an
            unnumbered JSON record.
    """
    if not content.strip():
        return Element("api")
    if input_format == "json":
        import json

        try:
            body = json.loads(content, parse_float=Decimal)
        except ValueError as error:
            raise BadInput(f"JSON: {error}") from None
        if not isinstance(body, dict):
            raise BadInput("JSON body is not an object")
        if set(body) == {"api"} and isinstance(body["api"], dict):
            body = body["api"]
        return json_to_element("api", body)
    try:
        root = SafeET.fromstring(content, forbid_dtd=True)
    except (defusedxml.DefusedXmlException, SyntaxError, ValueError) as error:
        raise BadInput(f"XML: {error}") from None
    if root.tag != "api":
        raise BadInput("the root element is not <api>")
    return root


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def json_to_element(tag: str, value: Any) -> Element:
    """A JSON value as an element (numbered keys and arrays become repeated children)."""
    element = Element(tag)
    _fill(element, value)
    return element


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        singular = PLURALS.get(element.tag)
        if singular is not None and singular != element.tag and singular in value:
            raise BadInput(f"{element.tag}: records must be numbered ({{'0': {{'{singular}': ...}}}})")
        for key, item in value.items():
            if str(key).isdigit():
                _records(element, item)
            elif isinstance(item, list):
                branch = SubElement(element, str(key))
                for entry in item:
                    _records(branch, entry)
            else:
                child = SubElement(element, str(key))
                _fill(child, item)
    elif isinstance(value, list):
        for entry in value:
            _records(element, entry)
    else:
        element.text = _scalar(value)


def _records(parent: Element, entry: Any) -> None:
    if isinstance(entry, dict):
        for key, item in entry.items():
            child = SubElement(parent, str(key))
            _fill(child, item)
    else:
        child = SubElement(parent, PLURALS.get(parent.tag, "item"))
        child.text = _scalar(entry)


def element_to_json(element: Element) -> Any:
    """An element as the documented numbered JSON."""
    children = list(element)
    if not children:
        return element.text or ""
    singular = PLURALS.get(element.tag)
    result: dict[str, Any] = {}
    index = 0
    for child in children:
        if singular is not None and child.tag == singular:
            result[str(index)] = {child.tag: element_to_json(child)}
            index += 1
        else:
            result[child.tag] = element_to_json(child)
    return result


def render(root: Element, output_format: str) -> tuple[bytes, str]:
    """``(content, content type)`` of an ``api`` element in the asked format."""
    if output_format == "json":
        return dump_json(element_to_json(root)), "application/json; charset=utf-8"
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write(root, out)
    return "".join(out).encode(), "application/xml; charset=utf-8"


def _write(element: Element, out: list[str]) -> None:
    # ElementTree leaves a carriage return bare, which every parser reads back as a line
    # feed; wFirma's answers echo text exactly, so it is written as a character reference.
    out.append(f"<{element.tag}>")
    if element.text:
        out.append(escape(element.text, {"\r": "&#13;"}))
    for child in element:
        _write(child, out)
    out.append(f"</{element.tag}>")
