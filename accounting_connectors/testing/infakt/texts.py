"""The inFakt fake's texts: envelopes, errors and validation messages, in Polish.

Texts quoted by the inFakt sheet (IF-README, IF-KSEF, IF-OL) are marked with their tag;
the others are the fake's own Polish (inFakt does not document them).
"""

from __future__ import annotations

NOT_FOUND = "Zasób którego szukasz nie został znaleziony."  # IF-KSEF
UNAUTHORISED = "Brak autoryzacji. Podaj prawidłowy klucz API."
RATE_LIMITED = "Przekroczono limit zapytań."
SERVER_ERROR = "Wystąpił błąd serwera."
BAD_JSON = "Nieprawidłowy format danych."
CORRECTIVE_500 = "Internal Server Error"  # IF-OL: the bare corrective_invoices.json answers 500

TASK_ACCEPTED = "Zlecenie przyjęte"  # IF-README
TASK_PROCESSING = "Zlecenie w trakcie przetwarzania"
TASK_CREATED = "Faktura stworzona"  # IF-OL
TASK_FAILED = "Nie udało się stworzyć faktury"  # IF-OL
TASK_UNPROCESSED = "nie udało się przetworzyć"  # fail_next_task's default

REASON_NAMES = {"mistake": "Pomyłka", "other": "Inne: np. zwrot, rabat"}  # "other": IF-OL, live

REQUIRED = "nie może być puste"  # "can't be blank"
CLIENT_ID_REQUIRED = "client_id required"  # IF-OL's live message
BAD_DATE = "nieprawidłowy format daty (RRRR-MM-DD)"
BAD_DATE_SHORT = "nieprawidłowy format daty"
BAD_PAID_DATE = "nieprawidłowa data zapłaty"
PAID_BEFORE_ISSUE = "data zapłaty nie może być wcześniejsza niż data wystawienia"
BEFORE_ISSUE = "nie może być wcześniejsza niż data wystawienia"
BAD_NEXT_DATE = "nieprawidłowa data"
UNKNOWN_KIND = "nieznany rodzaj faktury"
UNKNOWN = "nieznany"
UNKNOWN_LOCALE = "nieznany locale"
DOCUMENT_TYPE_REQUIRED = "document_type jest wymagany"
UNKNOWN_CURRENCY = "nieznana waluta"
UNKNOWN_PAYMENT_METHOD = "nieznana metoda płatności"
NO_BANK_ACCOUNT = "brak zdefiniowanego rachunku bankowego"  # IF-OL: transfer 422s without one
NO_SUCH_CLIENT = "klient nie istnieje"
BAD_COUNTRY = "nieprawidłowy kod kraju"
NOT_TEXT = "musi być tekstem"
NUMBER_TAKEN = "jest już zajęty"
NOT_AN_OBJECT = "musi być obiektem"
UNKNOWN_VAT_RATE = "nieznana stawka VAT"
NOT_NON_NEGATIVE = "musi być liczbą nieujemną"
NOT_GROSZE = "kwota musi być liczbą całkowitą w groszach"
NEGATIVE = "nie może być ujemna"
BAD_DISCOUNT = "musi być liczbą całkowitą 0-100"
NO_CORRECTED_INVOICE = "faktura korygowana nie istnieje"
NOT_THE_CORRECTED = "nie zgadza się z fakturą korygowaną"
BEFORE_CORRECTED = "nie może być wcześniejsza niż data faktury korygowanej"
UNKNOWN_REASON = "nieznany powód korekty"


def unpaired_group(group: str) -> str:
    """A correction group without one row before and one after."""
    return f"grupa {group} musi mieć pozycję przed i po korekcie"
