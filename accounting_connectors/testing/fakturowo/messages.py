"""The texts the Fakturowo.pl fake answers with, each on the line after ``0``.

The sheet records the format of an error (``0`` on the first line, a Polish description on
the second, FO-DOC, §2) but no actual texts: the official pages' tables were not available.
These are the fake's own, in Polish, kept here so tests and docs can name them. Nothing in
the connector depends on them.
"""

from __future__ import annotations

BAD_KEY = "Nieprawidłowy identyfikator API (api_id)."
"""The ``api_id`` is missing, unknown or revoked."""

NO_TASK = "Nie określono zadania API (api_zadanie)."
"""Neither ``api_zadanie`` nor ``api_status`` was sent."""

UNKNOWN_TASK = "Nieznane zadanie API: {task}."
"""An ``api_zadanie`` the fake does not serve (only 1 and 3 are known, §3)."""

BAD_ENCODING = "Nieprawidłowe dane zapytania (kodowanie znaków)."
"""The body is not UTF-8 form data."""

CONCURRENT = "Poprzednie zapytanie jest jeszcze przetwarzane. Wywołuj API synchronicznie."
"""A call that arrived while the account's previous call was in flight (FO-DOC: call synchronously)."""

NO_LINES = "Dokument musi zawierać co najmniej jeden produkt."
"""No line (no ``produkt_nazwa`` in any slot)."""

MISSING = "Brak wymaganego parametru: {field}."
"""A required field is missing or empty."""

BAD_VALUE = "Nieprawidłowa wartość parametru {field}: {value}."
"""A field whose value has the wrong form or is not in its code list."""

BOTH_PRICES = "Podaj cenę netto albo wartość brutto produktu, nie obie ({field})."
"""A line with both ``produkt_cena_netto`` and ``produkt_wartosc_brutto``."""

NO_PRICE = "Brak ceny produktu: produkt_cena_netto albo produkt_wartosc_brutto ({field})."
"""A line with neither price field."""

NO_EXEMPTION_BASIS = "Dla stawki zw podaj podstawę zwolnienia z VAT (dokument_podstawa_zw)."
"""A ``zw`` line on an invoice without the exemption basis (§5.1, §6)."""

NOT_FOUND = "Nie znaleziono dokumentu."
"""``pobierz`` of a document that is not the account's."""

TRY_LATER = "Wystąpił błąd serwera. Spróbuj ponownie później."
"""The error under HTTP 200 of ``Fault.ERROR_TEXT_200`` (nothing is stored)."""

SERVER_ERROR_PAGE = (
    "<html><head><title>500 Internal Server Error</title></head><body>Internal Server Error</body></html>"
)
"""The HTML page of an injected ``Fault.SERVER_ERROR`` (HTTP 500)."""

NOT_FOUND_PAGE = "<html><head><title>404 Not Found</title></head><body>Nie znaleziono strony.</body></html>"
"""The HTML page of a path the fake does not serve (HTTP 404)."""

DOCUMENT_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{number}</title></head>'
    "<body><h1>{kind} {number}</h1><p>Do zapłaty: {total} {currency}</p></body></html>"
)
"""What the document link serves when the fake is told to serve HTML (``link_serves="html"``)."""
