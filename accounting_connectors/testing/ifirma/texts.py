"""The iFirma fake's ``Informacja`` texts: data only, one place for every message.

The meanings of the codes are I-DOC's Kod table (``shared/providers/ifirma.md`` §2.2);
the wording of the texts is not documented, so these follow iFirma's style. Texts with
``{placeholders}`` are filled in with :meth:`str.format`.
"""

from __future__ import annotations

from collections.abc import Mapping

KOD: Mapping[int, str] = {
    100: "Wystąpił problem techniczny.",
    101: "Nieprawidłowe kodowanie znaków, oczekiwano UTF-8.",
    102: "Brak lub nieprawidłowy typ zawartości żądania.",
    200: "Nieprawidłowa struktura obiektu domenowego.",
    400: "Nieprawidłowy nagłówek autoryzacji.",
    401: "Nieprawidłowy login użytkownika.",
    402: "Brak wygenerowanego klucza autoryzacji.",
    403: "Nieprawidłowy skrót (hash) żądania.",
    499: "Nie zaakceptowano regulaminu ifirma.pl. Zaloguj się do serwisu.",
    500: "Brak uprawnień do zasobu.",
}
"""The default ``Informacja`` of each documented ``Kod``."""

NO_KEY = "Brak wygenerowanego klucza autoryzacji '{key_name}'."
NO_RESOURCE = "Nie znaleziono zasobu {method} /iapi/{path}."
LIMIT_MINUTE = "Przekroczono limit zapytań API: {calls} na minutę."
LIMIT_DAY = "Przekroczono limit zapytań API: {calls} na dobę."

# Answers of success.
ISSUED = "Faktura została wystawiona."
CORRECTION_ISSUED = "Faktura korygująca została wystawiona."
PAYMENT_REGISTERED = "Wpłata została zarejestrowana."
MONTH_CHANGED = "Miesiąc księgowy został zmieniony."
CONTRACTOR_ADDED = "Kontrahent został dodany."
CONTRACTOR_CHANGED = "Kontrahent został zmieniony."

# Structure (Kod 200).
UNKNOWN_FIELDS = "Nieprawidłowa struktura obiektu: nieznane pola {fields}."
BAD_BUYER = "Nieprawidłowa struktura obiektu Kontrahent."
BAD_LINE = "Nieprawidłowa struktura pozycji {index}."
BAD_CORRECTION = "Nieprawidłowa struktura obiektu korekty."
BAD_PAYMENT = "Nieprawidłowa struktura obiektu wpłaty."

# Validation (Kod 201).
REQUIRED = "Pole {field} jest wymagane."
DATE = "Pole {field} musi być datą w formacie RRRR-MM-DD."
CHOICE = "Nieprawidłowa wartość pola {field}: {value}."
NOT_TEXT = "{prefix}{field}: oczekiwano tekstu."
TOO_LONG = "{prefix}{field}: maksymalnie {limit} znaków."
BOOLEAN = "Pole {field} musi być wartością logiczną."
LIC_OD = "Pole LiczOd musi mieć wartość NET lub BRT."
NUMER = "Pole Numer musi być liczbą całkowitą dodatnią."
CURRENCY = "Nieprawidłowa waluta {currency}."
LANGUAGE = "Nieprawidłowy język wydruku."
RATE = "Kurs waluty musi być liczbą dodatnią."
ISSUE_BEFORE_SALE = "Data wystawienia nie może być wcześniejsza niż data sprzedaży."
ISSUE_TOO_LATE = "Data wystawienia nie może być późniejsza niż 15. dzień miesiąca po sprzedaży."
DUE_BEFORE_SALE = "Termin płatności nie może być wcześniejszy niż data sprzedaży."
ISSUE_BEFORE_PREVIOUS = "Data wystawienia nie może być wcześniejsza niż data poprzedniej faktury w serii."
OUTSIDE_MONTH = (
    "Data wystawienia {issue} jest poza bieżącym miesiącem księgowym {month:02d}/{year}. Zmień miesiąc księgowy."
)
PAID_RANGE = "Pole {field} musi być liczbą od 0 do 99999999.99."
PAID_OVER_GROSS = "Kwota w polu {field} nie może przekraczać wartości brutto faktury ({gross})."
NO_CONTRACTOR = "Nie znaleziono kontrahenta."
CONTRACTOR_EXISTS = "Kontrahent o identyfikatorze {identifier} już istnieje."
CONTRACTOR_NEEDED = "Należy podać kontrahenta: Kontrahent, NIPKontrahenta lub IdentyfikatorKontrahenta."
BUYER_REQUIRED = "Pole Kontrahent.{field} jest wymagane."
BUYER_BOOLEAN = "Pole Kontrahent.{field} musi być wartością logiczną."
WDT_NIP = "Dla wewnątrzwspólnotowej dostawy towarów wymagany jest NIP kontrahenta."
NO_LINES = "Faktura musi zawierać co najmniej jedną pozycję."
LINE_REQUIRED = "{where} pole {field} jest wymagane."
LINE_QUANTITY = "{where} ilość musi być większa od zera."
LINE_PRICE = "{where} nieprawidłowa cena jednostkowa."
LINE_DISCOUNT = "{where} rabat musi być liczbą od 0 do mniej niż 100."
LINE_RATE = "{where} nieprawidłowa stawka VAT."
LINE_EXEMPT_RATE = "{where} pozycja zwolniona nie może mieć stawki VAT."
LINE_RATE_TYPE = "{where} nieprawidłowy typ stawki VAT."
NO_SERIES = "Seria numeracji o nazwie '{name}' nie istnieje."
MONTH_DIRECTION = "Pole MiesiacKsiegowy musi mieć wartość NAST lub POPRZ."
MONTH_CARRY = "Pole PrzeniesDaneZPoprzedniegoRoku musi być wartością logiczną."
CORRECTION_LINES = "Korekta musi zawierać {lines} pozycji (stan po korekcie)."
CORRECTION_BEFORE = "Data korekty nie może być wcześniejsza niż data faktury korygowanej."
PAYMENT_TYPE = "Nieprawidłowy typ faktury {invoice_type}."
PAYMENT_AMOUNT = "Pole Kwota jest wymagane i musi być liczbą dodatnią."
PAYMENT_DATE = "Pole Data jest wymagane dla faktury w walucie obcej."

# Not found (HTTP 404 in the envelope).
NO_INVOICE = "Nie znaleziono faktury o identyfikatorze {identifier}."
NO_DOMESTIC_INVOICE = "Nie znaleziono faktury krajowej {ref} do korekty."
NO_INVOICE_NUMBER = "Nie znaleziono faktury o numerze {number}."
LIST_FROM_NEEDED = "Parametr dataOd jest wymagany."
LIST_PAGE = "Niepoprawne parametry stronicowania."
