"""The error texts of the Oblio fake, kept apart from its logic.

Texts quoted by the Oblio sheet (``shared/providers/oblio.md`` §2, §16) are verbatim;
every other one is Romanian in Oblio's style and marked ``# text not documented``: the
public documentation gives the envelope (``{"status", "statusMessage"}``) but not the
wording of each validation message.
"""

from __future__ import annotations

# Authentication (oblio.md §2, §16: both token texts occur).
ERR_TOKEN_EXPIRED = "The access token provided has expired"
ERR_TOKEN_INVALID = "The access token provided is invalid"
ERR_TOKEN_MISSING = "The request requires an access token"  # text not documented
ERR_CLIENT_CREDENTIALS = "The client credentials are invalid"  # text not documented
ERR_GRANT_TYPE = 'Grant type "{grant}" not supported'  # text not documented
ERR_TOKEN_CONTENT_TYPE = "Content-Type lipsa sau invalid pentru cererea de token"  # text not documented
ERR_COMPANY_ACCESS = "Nu aveti acces la firma cu CIF {cif}"  # text not documented
ERR_CIF_MISSING = "Parametrul cif este obligatoriu"  # text not documented

# Rate limit (oblio.md §13: the answer is UNCERTAIN; the older doc text says the token is blocked).
ERR_RATE_LIMIT = (  # text not documented
    "Ati depasit numarul maxim de cereri. Accesul cu acest token este blocat pentru 10 minute."
)

# Transport and envelope.
ERR_NOT_JSON = "Continutul trimis nu este un JSON valid"  # text not documented
ERR_JSON_REQUIRED = "Documentul trebuie trimis ca JSON (Content-Type: application/json)"  # text not documented
ERR_NOT_FOUND_PATH = "Resursa {path} nu exista"  # text not documented
ERR_METHOD = "Metoda {method} nu este permisa"  # text not documented
ERR_SERVER = "Eroare interna. Va rugam reincercati."  # text not documented
ERR_FAULT_200 = "Documentul nu a putut fi salvat"  # text not documented

# Document validation (field names from oblio.md §5).
ERR_FIELD_REQUIRED = "Campul {field} este obligatoriu"  # text not documented
ERR_FIELD_TYPE = "Campul {field} are o valoare invalida"  # text not documented
ERR_DATE = "Campul {field} trebuie sa fie o data de forma AAAA-LL-ZZ"  # text not documented
ERR_CLIENT_NAME = "Numele clientului este obligatoriu"  # text not documented
ERR_SERIES = "Seria {series} nu exista"  # text not documented
ERR_PRODUCTS = "Documentul nu contine produse"  # text not documented
ERR_PRODUCT_NAME = "Numele produsului de pe pozitia {index} este obligatoriu"  # text not documented
ERR_PRODUCT_PRICE = "Pretul produsului {name} este obligatoriu"  # text not documented
ERR_VAT = "Cota TVA {vat} a produsului {name} nu exista"  # text not documented
ERR_DISCOUNT = "Discountul {name} trebuie sa fie pozitiv"  # text not documented
ERR_DISCOUNT_TYPE = "Tipul discountului {name} trebuie sa fie procentual sau valoric"  # text not documented
ERR_DISCOUNT_FIRST = "Discountul {name} nu are un produs deasupra"  # text not documented
ERR_LANGUAGE = "Limba {language} nu exista"  # text not documented
ERR_PRECISION = "Precizia trebuie sa fie intre 2 si 4"  # text not documented
ERR_CURRENCY = "Moneda {currency} nu exista"  # text not documented
ERR_NUMBER_TAKEN = "Numarul {number} exista deja in seria {series}"  # text not documented
ERR_NUMBER_REQUIRED = "Numarul documentului este obligatoriu cand disableAutoSeries este 1"  # text not documented
ERR_NEGATIVE_QUANTITY = "Cantitatea produsului {name} nu poate fi negativa"  # text not documented

# Stock (oblio.md §12).
ERR_STOCK_OFF = "Gestiunea nu este activa pentru aceasta firma"  # text not documented
ERR_MANAGEMENT = "Gestiunea {management} nu exista"  # text not documented
ERR_STOCK_PRODUCT = "Produsul {name} ({code}) nu exista in gestiunea {management}"  # text not documented
ERR_STOCK_LOW = "Stoc insuficient pentru produsul {name} in gestiunea {management}"  # text not documented

# Storno (oblio.md §9).
ERR_REFERENCE_TYPE = "Tipul documentului de referinta trebuie sa fie Factura, Proforma sau Aviz"  # text not documented
ERR_REFERENCE_MISSING = "Documentul de referinta {doc} nu exista"  # text not documented
ERR_ALREADY_STORNO = "Factura {doc} a fost deja stornata"  # text not documented
ERR_STORNO_OF_STORNO = "Factura {doc} este o factura storno"  # text not documented
ERR_STORNO_POSITIVE = "Valoarea unei stornari partiale trebuie sa fie negativa"  # text not documented
ERR_STORNO_EXCEEDS = "Valoarea stornata depaseste valoarea facturii {doc}"  # text not documented
ERR_CANCELED = "Documentul {doc} este anulat"  # text not documented

# Reads, collects, delete (oblio.md §3, §11).
ERR_DOCUMENT_MISSING = "Documentul nu a fost gasit"  # text not documented
ERR_SPV_NOT_CONFIGURED = "Nu ai configurat SPV. Configureaza accesul in Setari > Date firma"  # text not documented
ERR_SPV_ALREADY_SENT = "e-Factura a fost deja trimisa in SPV."  # text not documented
ERR_COLLECT_TYPE = "Tipul incasarii {type} nu exista"  # text not documented
ERR_COLLECT_SERIES = "Seria chitantei este obligatorie pentru incasarea de tip Chitanta"  # text not documented
ERR_COLLECT_NUMBER = "Numarul documentului de incasare este obligatoriu"  # text not documented
ERR_COLLECT_VALUE = "Valoarea incasarii trebuie sa fie pozitiva"  # text not documented
ERR_NOT_LAST = "Doar ultimul document din serie poate fi sters"  # text not documented (rule: oblio.md §16)
ERR_LIMIT_PER_PAGE = "limitPerPage nu poate depasi 100"  # text not documented
ERR_ORDER_BY = "orderBy poate fi id, issueDate sau number"  # text not documented
ERR_DOC_TYPE = "Tipul documentului {type} nu este suportat"  # text not documented
ERR_LINK = "Fisierul nu a fost gasit"  # text not documented

# Success messages (oblio.md §2 and "Carried over": cancel, restore, delete).
MSG_SUCCESS = "Success"
MSG_CANCELED = "Documentul a fost anulat."
MSG_RESTORED = "Documentul a fost restaurat."
MSG_DELETED = "Documentul a fost sters."
