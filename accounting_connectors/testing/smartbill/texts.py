"""SmartBill's texts, as data: its Romanian error and success messages and its answer shapes.

Documented texts are quoted verbatim from the Swagger's "Mesaje de eroare 400" tables;
the others are marked ``# text not documented`` where they are defined.
"""

from __future__ import annotations

from typing import Any

ERR_AUTH = "Autentificare esuata! Verificati utilizatorul si tokenul."  # text not documented
ERR_COMPANY_NOT_OWNED = "Firma la care incercati sa va conectati nu este disponibila pentru acest utilizator."
ERR_RATE_LIMIT = (  # text not documented
    "Ati depasit numarul maxim de {limit} apeluri in {window} secunde. Accesul a fost blocat pentru {block} minute."
)
ERR_MEDIA_TYPE = "Formatul continutului nu este acceptat de server."  # response-code table
ERR_BAD_JSON = "Continutul cererii nu este un JSON valid."  # text not documented
ERR_NOT_FOUND_PATH = "Resursa {path} nu exista."  # text not documented
ERR_METHOD = "Metoda {method} nu este permisa pentru resursa {path}."  # text not documented
ERR_NOT_ACCEPTABLE = (  # text not documented
    "Pentru vizualizarea pdf trebuie trimis headerul Accept: application/octet-stream."
)
ERR_SERVER = "A aparut o eroare interna. Va rugam incercati mai tarziu."  # text not documented
ERR_FAULT_200 = "A aparut o eroare la procesarea documentului."  # text not documented

ERR_CIF_BODY = "CIF-ul firmei ('companyVatCode') trebuie specificat"
ERR_CIF_QUERY = "Ciful firmei trebuie specificat!"
ERR_CIF_QUERY_SHORT = "Cif trebuie specificat."
ERR_DATE_FORMAT = "Data documentului trebuie sa fie de forma yyyy-MM-dd."
ERR_DATE_MISSING = "issueDate trebuie specificat"
ERR_CLIENT_MISSING = "client trebuie specificat"
ERR_CLIENT_INVALID = "Client invalid!"
ERR_SERIES_NOT_FOUND = "Seria nu a fost gasita! Folositi o serie creata in contul de cloud."
ERR_CURRENCY = "Moneda nu a fost gasita pe server!"
ERR_LANGUAGE = "Limba nu a fost gasita pe server!"
ERR_NO_PRODUCTS = "Factura nu contine produse!"
ERR_TOO_MANY_LINES = "Numarul maxim acceptat de 400 intrari pe document a fost depasit."
ERR_ONLY_DISCOUNT = (
    "Nu poti sa emiti un document care contine doar un discount. Trebuie sa ai si produse / servicii adaugate."
)
ERR_PRODUCT_FIELD = "{field} trebuie specificat pentru fiecare produs"
ERR_DISCOUNT_FIELD = "{field} trebuie specificat pentru fiecare produs de tip discount"
ERR_DISCOUNT_ITEMS = (  # text not documented
    "numberOfItems trebuie specificat pentru fiecare produs de tip discount si nu poate "
    "depasi numarul de produse anterioare."
)
ERR_DISCOUNT_NEGATIVE = (  # text not documented
    "discountValue trebuie sa fie o valoare negativa pentru fiecare produs de tip discount"
)
ERR_DISCOUNT_PERCENT_MIXED = (  # text not documented
    "Discountul procentual nu poate fi aplicat pe produse cu cote tva diferite."
)
ERR_DISCOUNT_TAX_MIXED = (
    "La aplicarea unui discount pentru produse cu cote tva diferite, trebuie sa specifici si cota tva a discountului."
)
ERR_PRODUCT_CODE = "Produsul {name} nu are codul specificat."
ERR_TAX_MISSING = "Trebuie sa setezi o cota tva pentru produsul {name}."
ERR_TAX_NOT_FOUND = "Cota tva a produsului {name} nu a fost gasita pe server!"
ERR_PRODUCT_CURRENCY = "Nu puteti emite documente in {invoice} cu moneda de referinta a produselor in {product} !"
ERR_FOREIGN_PRICES = "Aveti produse care au pretul in alta moneda decat cea a facturii."
ERR_PAYMENT_TAX = "O firma neplatitoare de tva nu poate folosi tva la incasare!"
ERR_STOCK_DISABLED = "Modulul stoc nu este activ!"
ERR_WAREHOUSE_MISSING = "Gestiunea predatoare nu este setata pentru produsul {name}."
ERR_WAREHOUSE_NOT_FOUND = "Gestiunea predatoare {warehouse} a produsului {name} nu a fost gasita."
ERR_ESTIMATE_NOT_FOUND = "Factura proforma {doc} nu a fost gasita!"
ERR_EMBEDDED_PAYMENT_TYPE = "type trebuie specificat pentru incasare"
ERR_EMBEDDED_PAYMENT_VALUE = "value trebuie specificat pentru incasare"
ERR_PAYMENT_TYPE_UNKNOWN = "Tipul incasarii nu a fost gasit!"
ERR_PAYMENT_SERIES = "Seria incasarii nu a fost gasita pe server."

ERR_REVERSE_CIF = "Firma la care incercati sa va conectati nu mai este disponibila in Cloud."
ERR_REVERSE_SERIES = "Seria facturii trebuie specificata in parametrul 'seriesName'!"
ERR_REVERSE_NUMBER = "Numarul facturii trebuie specificat in parametrul 'number'!"
ERR_INVOICE_NOT_FOUND = "Factura cu seria si numarul {doc} nu a fost gasita!"
ERR_ALREADY_REVERSED = "Factura este deja stornata."
ERR_IS_STORNO = "Factura {doc} este de tip storno. Nu se poate storna."
ERR_STORNO_DATE = "Data emiterii facturii storno nu poate fi anterioara datei emiterii facturii stornate."

ERR_PAYMENT_TYPE_MISSING = "Tipul incasarii trebuie specificat."
ERR_PAYMENT_VALUE = "Valoarea incasarii trebuie specificata."
ERR_PAYMENT_INVOICE_DETAILS = (
    "Pentru emiterea unei incasari cu datele de pe factura trebuie specificate seria si numarul facturii."
)
ERR_PAYMENT_ONE_INVOICE = "Trebuie specificata doar o factura!"
ERR_PAYMENT_INVOICE_NOT_FOUND = "Factura nu a fost gasita!"
ERR_PAYMENT_CANCELLED = (
    "Factura {doc} este anulata, nu o puteti incasa. Restaurati intai factura sau emiteti "
    "incasarea independent de factura."
)
ERR_PAYMENT_NOT_RECEIPT_SERIES = "Seria nu poate fi folosita la chitante."
ERR_PAYMENT_BON = "Nu s-a gasit casa de marcat pentru userul {user}."
ERR_PAYMENT_TOO_MANY = "Numarul maxim acceptat de 70 intrari pe document a fost depasit."
ERR_PAYMENT_CLIENT = "Clientul facturii {doc} nu corespunde cu clientul incasarii!"
ERR_PAYMENT_CURRENCY = "Moneda facturii {doc} nu corespunde cu moneda incasarii!"
ERR_PAYMENT_LANGUAGE = "Limba facturii {doc} nu corespunde cu limba incasarii!"

ERR_QUERY_SERIES = "Seriesname trebuie specificat."
ERR_QUERY_NUMBER = "Number trebuie specificat."
ERR_PDF_SERIES = "Seria facturii trebuie specificata!"
ERR_PDF_NUMBER = "Numarul facturii trebuie specificat!"
ERR_NOT_LAST = "Documentul cu seria si numarul {doc} nu este ultimul din serie!"
ERR_ALREADY_CANCELLED = "Factura {doc} este deja anulata."  # text not documented
ERR_NOT_CANCELLED = "Factura {doc} nu este anulata."  # text not documented
ERR_CANCEL_WITH_STORNO = (
    "Pentru factura {doc} exista deja stornari care incarca stocul. Trebuie sa anulati "
    "intai facturile storno ({storno})."
)
ERR_RECEIPT_NOT_FOUND = "Chitanta nu a fost gasita."
ERR_SERIES_TYPE = (
    "Tipul documentului nu poate fi {type}! Parametrul type poate lua valorile: 'f' pentru "
    "factura, 'p' pentru proforma si 'c' pentru chitanta."
)

MSG_CANCELLED = "Factura cu seria si numarul {doc} a fost anulata cu succes."
MSG_RESTORED = "Factura cu seria si numarul {doc} a fost restaurata cu succes."
MSG_DELETED = "Factura cu seria si numarul {doc} a fost stearsa cu succes."
MSG_RECEIPT_DELETED = "Chitanta cu seria si numarul {doc} a fost stearsa cu succes."


def error_body(text: str) -> dict[str, Any]:
    """SmartBill's error shape (the Swagger's ``Fault``)."""
    return {"errorText": text, "message": "", "number": ""}


def links_error_body(text: str) -> dict[str, Any]:
    """Error shape of ``invoice/reverse`` (and, presumably, ``invoice/v2``)."""
    return {**error_body(text), "series": "", "url": "", "documentUrl": "", "documentId": -1, "documentViewUrl": ""}


def status_error_body(text: str) -> dict[str, Any]:
    """Error shape of ``invoice/paymentstatus`` (amounts null, as in the Swagger)."""
    nothing = {"invoiceTotalAmount": None, "paidAmount": None, "unpaidAmount": None}
    return {**error_body(text), "series": "", "paid": False, **nothing}


def document_body(number: str, series: str) -> dict[str, Any]:
    """The answer to a create: the document's number and series (``url``: a payment link, if any)."""
    return {"errorText": "", "message": "", "number": number, "series": series, "url": ""}


def message_body(text: str) -> dict[str, Any]:
    """A success answer that carries only a message (cancel, restore, delete)."""
    return {"errorText": "", "message": text, "number": "", "series": "", "url": ""}


ERROR_SHAPES = {
    "invoice/v2": links_error_body,
    "invoice/reverse": links_error_body,
    "invoice/paymentstatus": status_error_body,
}
"""Endpoints whose errors carry more fields than :func:`error_body`, by relative path.

The links shape, with ``documentId`` -1, is the Swagger's for ``invoice/reverse``; it is
assumed for ``invoice/v2`` as well (UNCERTAIN).
"""
