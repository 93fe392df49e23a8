"""wFirma's own words, copied from ``shared/providers/wfirma.md`` and the Postman collection.

The fake keeps its own copy of every constant (never the connector's).
"""

from __future__ import annotations

# status > code values [W-DOC "Komunikaty błędów"; sheet §2].
OK = "OK"
ERROR = "ERROR"
KSEF_NOT_AUTHORISED = "Brak autoryzacji w KSeF 2.0. Zautoryzuj się w zakładce PRZYCHODY » KSEF I INTEGRACJE"
"""``invoices/add`` refused when the API key's user shares no KSeF authorisation (W-WFSYNC, EINVOICING §3.3)."""
ACCESS_DENIED = "ACCESS DENIED"
ACTION_NOT_FOUND = "ACTION NOT FOUND"
AUTH = "AUTH"
AUTH_FAILED_LIMIT = "AUTH FAILED LIMIT WAIT 5 MINUTES"
COMPANY_ID_REQUIRED = "COMPANY ID REQUIRED"
DENIED_SCOPE_REQUESTED = "DENIED SCOPE REQUESTED"
FATAL = "FATAL"
INPUT_ERROR = "INPUT ERROR"
NOT_FOUND = "NOT FOUND"
OUT_OF_SERVICE = "OUT OF SERVICE"
SNAPSHOT_LOCK = "SNAPSHOT LOCK"
TOTAL_REQUESTS_LIMIT_EXCEEDED = "TOTAL REQUESTS LIMIT EXCEEDED"
TOTAL_EXECUTION_TIME_LIMIT_EXCEEDED = "TOTAL EXECUTION TIME LIMIT EXCEEDED"

STATUS_CODES = (
    OK, ERROR, ACCESS_DENIED, ACTION_NOT_FOUND, AUTH, AUTH_FAILED_LIMIT, COMPANY_ID_REQUIRED,
    DENIED_SCOPE_REQUESTED, FATAL, INPUT_ERROR, NOT_FOUND, OUT_OF_SERVICE, SNAPSHOT_LOCK,
    TOTAL_REQUESTS_LIMIT_EXCEEDED, TOTAL_EXECUTION_TIME_LIMIT_EXCEEDED,
)  # fmt: skip
"""Every documented ``status > code``."""

# Validation messages [W-DOC "Walidacyjne komunikaty błędów"].
EMPTY_FIELD = "Pole nie może być puste"
EMPTY_CONTENT_NAME = "Treść nie moze być pusta"  # sic, as in the doc example
BAD_DATE = "Data musi być w formacie RRRR-MM-DD"
BAD_NUMBER = "Wartość musi być liczbą"
BAD_VALUE = "Niepoprawna wartość"
NO_SUCH_OBJECT = "Nie znaleziono obiektu. Wybrany zasób nie istnieje lub został usunięty."  # W-WEBIT
AUTO_SEND_WITHOUT_TYPE = "Nie można zlecić automatycznej wysyłki emaila z dokumentem danego typu."  # W-ISSUES #39
BOOKS_NO_EDIT = "Nie można modyfikować dokumentów, gdy rodzajem ewidencji są księgi rachunkowe"  # W-GUIDE
LINKED_LINE_FIXED = "Nie można zmienić tego pola na pozycji korygowanej"
NO_CONTENTS = "Dokument musi zawierać co najmniej jedną pozycję"

# Document types [sheet §8].
INVOICE_TYPES = (
    "normal", "margin", "proforma", "offer", "receipt_normal", "receipt_fiscal_normal", "income_normal",
    "bill", "proforma_bill", "offer_bill", "receipt_bill", "receipt_fiscal_bill", "income_bill", "correction",
)  # fmt: skip
RECEIPT_TYPES = ("receipt_normal", "receipt_fiscal_normal", "receipt_bill", "receipt_fiscal_bill")

# paymentmethod [sheet §6.2].
PAYMENT_METHODS = ("cash", "transfer", "compensation", "cod", "payment_card")

# Polish VAT codes and their rates [sheet §6.1]; special codes are 0 %.
POLISH_VAT = {
    "23": "23", "8": "8", "5": "5", "0": "0", "WDT": "0", "EXP": "0", "NP": "0", "NPUE": "0", "ZW": "0",
    "VAT_BUYER": "0", "22": "22", "7": "7", "3": "3",
}  # fmt: skip
