r"""Fakturowo.pl's wire format: form fields out, plain-text lines back (sheet §1, §2, §3).

Requests are ``application/x-www-form-urlencoded`` UTF-8 (``api_kodowanie`` is left out,
§5.1). Answers are lines separated by ``\n``: the first is the status (``1`` success,
``0`` failure with the message on the next line), the rest depend on ``api_zadanie``.
Everything here is pure and exact, so it is property-tested on its own.

Parsing is strict, by line index: a body of any other shape raises :class:`MalformedAnswer`
(the connector then treats an issue call's outcome as unknown).
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Iterable
from decimal import Decimal

import attrs
import httpx

from ...money import CENT
from ...provider import number_text

__all__ = [
    "IssueAnswer",
    "ListAnswer",
    "ListRow",
    "MalformedAnswer",
    "Refusal",
    "amount_text",
    "answer_lines",
    "date_text",
    "encode_form",
    "line_field",
    "parse_issue",
    "parse_list",
    "parse_refusal",
    "quantity_text",
    "text_param",
]

LIST_COLUMNS = (
    "api_numer",
    "dokument_rodzaj",
    "dokument_numer",
    "data_wystawienia",
    "data_sprzedazy",
    "waluta",
    "netto",
    "vat",
    "brutto",
    "sprzedawca_nazwa",
    "sprzedawca_adres",
    "sprzedawca_nip",
    "nabywca_nazwa",
    "nabywca_adres",
    "nabywca_nip",
    "status",
    "zaplata",
    "termin",
)
"""The ``;``-separated columns of one row of the list task (FO-LIST, §3)."""

_DIGITS = re.compile(r"[0-9]+\Z")
_NEWLINES = re.compile(r"\r\n|\r|\n")


class MalformedAnswer(ValueError):
    """A body that is not one of Fakturowo's line answers."""


@attrs.frozen
class Refusal:
    """A ``0`` answer: Fakturowo refused the call; ``message`` is its own text (Polish)."""

    message: str


@attrs.frozen
class IssueAnswer:
    """The success answer of ``api_zadanie=1`` with ``dokument_dostep=1`` (§3, §4).

    Attributes:
        api_numer: line index 1, Fakturowo's unique id of the document (not its printed number).
        line_2: line index 2, whose meaning is UNCERTAIN (§17.2); kept, never interpreted.
        link: line index 3, the document link (FO-PHP ``HTML_DOCUMENT_URL_LINE``).
    """

    api_numer: str
    line_2: str
    link: str


@attrs.frozen
class ListRow:
    """One document of the list task; ``columns`` holds the first 18 fields as sent."""

    columns: tuple[str, ...]

    @property
    def api_numer(self) -> str:
        """Fakturowo's id of the document."""
        return self.columns[0]

    @property
    def number(self) -> str:
        """The printed number (``dokument_numer``)."""
        return self.columns[2]


@attrs.frozen
class ListAnswer:
    """The success answer of ``api_zadanie=3``: the page count and one page of documents."""

    pages: int
    rows: tuple[ListRow, ...]


def answer_lines(content: bytes) -> list[str]:
    r"""The lines of a body, strictly: UTF-8, one final newline at most.

    A leading byte-order mark is dropped and each line's ``\r`` stripped.

    Raises:
        MalformedAnswer: the body is not UTF-8 text or is empty.
    """
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedAnswer("the body is not UTF-8 text") from error
    text = text.removeprefix("\ufeff")
    if not text:
        raise MalformedAnswer("the body is empty")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def _status(lines: list[str]) -> Refusal | None:
    first = lines[0]
    if first == "0":
        return Refusal("\n".join(lines[1:]).strip())
    if first != "1":
        raise MalformedAnswer(f"the first line is {_preview(first)}, not the status 0 or 1")
    return None


def parse_refusal(content: bytes) -> Refusal | None:
    """The refusal in ``content`` when it is a ``0`` answer, else ``None`` (never raises)."""
    try:
        lines = answer_lines(content)
        return _status(lines)
    except MalformedAnswer:
        return None


def parse_issue(content: bytes) -> IssueAnswer | Refusal:
    """The answer of an issue call: exactly four lines ``1``, id, (unknown), link.

    Raises:
        MalformedAnswer: any other shape.
    """
    lines = answer_lines(content)
    refusal = _status(lines)
    if refusal is not None:
        return refusal
    if len(lines) != 4:
        raise MalformedAnswer(f"a success answer has {len(lines)} lines, not 4 (status, id, ?, link)")
    _, api_numer, line_2, link = lines
    if not _DIGITS.match(api_numer):
        raise MalformedAnswer(f"line 2 (api_numer) is {_preview(api_numer)}, not a number")
    if not is_link(link):
        raise MalformedAnswer(f"line 4 (the document link) is {_preview(link)}, not an absolute URL")
    return IssueAnswer(api_numer=api_numer, line_2=line_2, link=link)


def parse_list(content: bytes) -> ListAnswer | Refusal:
    """The answer of a list call: ``1``, the page count, one ``;``-separated row per document.

    A row must have at least the 18 documented columns (more when a name holds a ``;``;
    only the first three, read from the left, are relied on) and a numeric id.

    Raises:
        MalformedAnswer: any other shape.
    """
    lines = answer_lines(content)
    refusal = _status(lines)
    if refusal is not None:
        return refusal
    if len(lines) < 2 or not _DIGITS.match(lines[1]):
        raise MalformedAnswer("a list answer's second line is not the number of pages")
    rows = []
    for index, line in enumerate(lines[2:], start=3):
        columns = line.split(";")
        if len(columns) < len(LIST_COLUMNS) or not _DIGITS.match(columns[0]):
            raise MalformedAnswer(f"line {index} is not a document row of {len(LIST_COLUMNS)} columns")
        rows.append(ListRow(tuple(columns[: len(LIST_COLUMNS)])))
    return ListAnswer(pages=int(lines[1]), rows=tuple(rows))


def is_link(text: str) -> bool:
    """Whether ``text`` is an absolute http(s) URL with a host and no whitespace."""
    if not text or any(character.isspace() for character in text):
        return False
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        return False
    return url.scheme in ("https", "http") and bool(url.host)


def _preview(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


# Request side.


def encode_form(fields: Iterable[tuple[str, str]]) -> bytes:
    """The form body of ``fields`` in order, UTF-8 percent-encoded."""
    return urllib.parse.urlencode(list(fields), encoding="utf-8").encode("ascii")


def line_field(name: str, index: int) -> str:
    """The numbered name of a line field: ``produkt_nazwa`` and 1 give ``produkt_nazwa_1`` (§5.3)."""
    return f"{name}_{index}"


def date_text(day: dt.date) -> str:
    """A date as Fakturowo writes it: ``DD-MM-YYYY`` (§1)."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def amount_text(amount: Decimal) -> str:
    """An amount with exactly two decimals and a dot (§1).

    Raises:
        ValueError: the amount is not a whole number of grosze (it would be rounded).
    """
    rounded = amount.quantize(CENT)
    if rounded != amount:
        raise ValueError(f"{amount} has more than two decimals")
    return f"{rounded:f}"


def quantity_text(quantity: Decimal) -> str:
    """A quantity in fixed notation with a dot and no trailing zeros (``2``, ``1.5``)."""
    text = number_text(quantity.normalize())
    return text


def text_param(text: str) -> str:
    """A text parameter: each line break becomes ``[n]``, Fakturowo's new-line mark (§1)."""
    return _NEWLINES.sub("[n]", text)
