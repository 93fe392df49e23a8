"""The Oblio fake's public document link: ``GET utils/show_file`` serving a PDF without the token (§10)."""

from __future__ import annotations

from ..pdf import make_pdf
from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .state import OblioState


class LinkRoutes(OblioState):
    """The document's public ``link``: a one-page PDF, no API token needed."""

    # The public link.

    @route("GET", "utils/show_file")
    def show_file(self, request: FakeRequest) -> Reply:
        """The document's public link: a PDF, no API token needed (§10)."""
        params = request.params
        document = next(
            (d for d in self._documents if str(d.id) == params.get("id") and d.link_token == params.get("it")), None
        )
        if document is None or str(self._companies[document.cif].ic) != params.get("ic"):
            return Reply(404, f"<html><body>{texts.ERR_LINK}</body></html>".encode(), {"Content-Type": "text/html"})
        company = self._companies[document.cif]
        title = "Factura storno" if document.storno_of is not None else document.doc_type
        text = (
            f"{title} {document.series} {document.number}\n{company.name} CIF {company.cif}\n"
            f"Client: {document.client.get('name')}\nData: {document.issue_date}\n"
            f"Total: {document.total} {document.currency}"
        )
        filename = f"{document.doc_type}_{document.series}_{document.number}.pdf"
        return Reply.pdf(make_pdf(text), filename, {"Content-Disposition": f'inline; filename="{filename}"'})
