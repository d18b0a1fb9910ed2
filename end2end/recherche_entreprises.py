"""A stand-in for the public company search (recherche-entreprises.api.gouv.fr) for
the end-to-end tests, which cannot reach the Internet: `GET /search?q=…` answers in
the public API's shape (Python standard library only).

It knows the CHU de Nantes (a public hospital, outside Guichet's offline index) and
a company of the same town, and nothing else: every other search finds nothing.
Usage: python3 recherche_entreprises.py PORT
"""

import json
import sys
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PORT = int(sys.argv[1])

CHU = {
    "siren": "264400136",
    "nom_complet": "CENTRE HOSPITALIER UNIVERSITAIRE DE NANTES",
    "nature_juridique": "7364",
    "etat_administratif": "A",
    "siege": {"siret": "26440013600018", "etat_administratif": "A"},
}
COMPANY = {
    "siren": "552100554",
    "nom_complet": "PHARMACIE DU CHU DE NANTES",
    "nature_juridique": "5710",
    "etat_administratif": "A",
    "siege": {"siret": "55210055400013", "etat_administratif": "A"},
}


def plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if c.isalnum() or c == " ")


def answer(query: str) -> list:
    q = plain(query)
    digits = q.replace(" ", "")
    if digits in (CHU["siren"], CHU["siege"]["siret"]):
        return [CHU]
    words = q.split()
    if "nantes" in words and ("chu" in words or "hospitalier" in words):
        # A company first, as the public search may rank them.
        return [COMPANY, CHU]
    return []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        url = urlparse(self.path)
        if url.path != "/search":
            self.send_error(404)
            return
        query = parse_qs(url.query).get("q", [""])[0]
        results = answer(query)
        body = json.dumps(
            {"results": results, "total_results": len(results), "page": 1, "per_page": 20}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
