"""A demo e-filing receiver (電子申告の受付, like e-Tax): a relying party of its own.

It accepts an XML return signed with the signing certificate (XMLDSig or XAdES, as
``mynacard client sign-xml`` makes it), has it verified by the office's registered-verifier API
(``POST /api/rp/verify``, with its own client ID and secret, so every check is in the office's
audit log under its name), and records who filed what in its own SQLite file. A filer keeps one
filer ID (利用者識別番号) across renewals, reissues and moves: a certificate it has not seen is
followed from the certificates it knows with ``POST /api/rp/linkage``. A bad filing is refused
with the verifier's reason (altered, revoked, wrong certificate kind, malformed, unknown CA ...)
in Japanese and English. It talks to the office only over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

MAX_FILING_BYTES = 8 * 1024 * 1024
XML_FORMATS = {"xmldsig", "xades"}

SCHEMA = """
create table if not exists filers (
    filer_id text primary key,
    birth_date text,
    latest_cert text not null,          -- base64 DER of the newest certificate seen
    created_at text not null
);
create table if not exists certificates (
    serial text primary key,            -- hex, as the verifier gives it
    filer_id text not null references filers(filer_id)
);
create table if not exists filings (
    receipt text primary key,
    filer_id text not null references filers(filer_id),
    serial text not null,
    name text, address text,
    root text, sha256 text not null, size integer not null,
    signed_at text, timestamp text, received_at text not null,
    document blob not null
);
create table if not exists rejections (
    id integer primary key autoincrement,
    status text not null, message text not null, message_ja text not null,
    sha256 text not null, size integer not null, received_at text not null
);
"""


class OfficeError(Exception):
    """The office's API could not be used (unreachable, or it refused the receiver's credentials)."""


@dataclass(frozen=True)
class Outcome:
    """The answer to one filing: accepted (with a receipt) or rejected (with the reason)."""

    accepted: bool
    status: str
    message: str
    message_ja: str
    receipt: str | None = None
    filer_id: str | None = None
    new_filer: bool | None = None
    signer: dict[str, Any] | None = None
    serial: str | None = None

    def json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class OfficeApi:
    """The registered-verifier API of the office at ``base`` (e.g. ``http://127.0.0.1:8000``)."""

    def __init__(self, base: str, client_id: str, secret: str) -> None:
        self.base = base.rstrip("/")
        token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), headers=self.headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                out: dict[str, Any] = json.loads(resp.read())
                return out
        except urllib.error.HTTPError as exc:
            raise OfficeError(f"{path}: HTTP {exc.code} {exc.read()[:200]!r}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise OfficeError(f"{path}: {exc}") from None

    def verify(self, document: bytes) -> dict[str, Any]:
        return self.call("/api/rp/verify", {"signature": base64.b64encode(document).decode()})

    def successors(self, certificate_b64: str) -> list[str]:
        """Serials (hex) of the certificates that followed this one (renewal, reissue, move)."""
        link = self.call("/api/rp/linkage", {"certificate": certificate_b64})
        return [c["serial"].lower() for c in link.get("successors", [])]


class Registry:
    """The receiver's own store: filers, their certificates, filings and rejections."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()

    def filer_of(self, serial: str) -> str | None:
        row = self.db.execute("select filer_id from certificates where serial = ?", (serial,)).fetchone()
        return None if row is None else str(row[0])

    def candidates(self, birth_date: str | None) -> list[tuple[str, str]]:
        """Filers who might hold a certificate not seen yet: ``(filer ID, newest certificate)``.
        The birth date narrows them: it does not change on a renewal, a move or a change of name."""
        rows = self.db.execute(
            "select filer_id, latest_cert from filers where birth_date is ? order by filer_id", (birth_date,)
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def filings(self, filer_id: str | None = None) -> list[dict[str, Any]]:
        cols = "receipt, filer_id, serial, name, address, root, sha256, size, signed_at, timestamp, received_at"
        if filer_id is None:
            rows = self.db.execute(f"select {cols} from filings order by received_at, receipt").fetchall()
        else:
            rows = self.db.execute(
                f"select {cols} from filings where filer_id = ? order by received_at, receipt", (filer_id,)
            ).fetchall()
        return [dict(r) for r in rows]

    def rejections(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("select * from rejections order by id").fetchall()]


def _root_name(document: bytes) -> str:
    """The local name of the return's root element (the verifier already parsed it safely)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(document, parser)
    return str(etree.QName(root).localname)


class Receiver:
    """Receives filings: verify through the office, then link the filer and record the filing."""

    def __init__(self, api: OfficeApi, registry: Registry, now: Callable[[], datetime]) -> None:
        self.api, self.registry, self.now = api, registry, now

    def _reject(self, status: str, message: str, message_ja: str, document: bytes) -> Outcome:
        with self.registry.lock, self.registry.db:
            self.registry.db.execute(
                "insert into rejections (status, message, message_ja, sha256, size, received_at)"
                " values (?, ?, ?, ?, ?, ?)",
                (status, message, message_ja, hashlib.sha256(document).hexdigest(), len(document), self._now()),
            )
        return Outcome(False, status, message, message_ja)

    def _now(self) -> str:
        return self.now().isoformat()

    def file(self, document: bytes) -> Outcome:
        """Verify and record one filing. Raises :class:`OfficeError` when the office cannot be used."""
        if not document:
            return self._reject("malformed", "The file is empty.", "ファイルが空です。", document)
        if len(document) > MAX_FILING_BYTES:
            return self._reject(
                "malformed",
                f"The file is larger than {MAX_FILING_BYTES // (1024 * 1024)} MiB.",
                f"ファイルが {MAX_FILING_BYTES // (1024 * 1024)} MiB を超えています。",
                document[:0],
            )
        verdict = self.api.verify(document)
        status = str(verdict.get("status", "malformed"))
        if status != "valid":
            return self._reject(status, verdict.get("message", status), verdict.get("message_ja", status), document)
        if verdict.get("format") not in XML_FORMATS:
            return self._reject(
                "not_xml",
                f"This is a {verdict.get('format')} signature; send the return as signed XML (XMLDSig or XAdES).",
                "署名付き XML(XMLDSig または XAdES)の申告書を送信してください。",
                document,
            )
        cert = verdict["certificate"]
        serial, der = str(cert["serial"]).lower(), str(cert["der"])
        signer = verdict.get("signer") or {}
        with self.registry.lock:
            filer_id, new = self._filer(serial, der, signer.get("birth_date"))
            receipt = self._record(filer_id, serial, signer, verdict, document)
        return Outcome(
            True,
            "accepted",
            f"The return was received (receipt {receipt}).",
            f"申告書を受け付けました(受付番号 {receipt})。",
            receipt=receipt,
            filer_id=filer_id,
            new_filer=new,
            signer=signer,
            serial=serial,
        )

    def _filer(self, serial: str, der: str, birth_date: str | None) -> tuple[str, bool]:
        """The filer holding this certificate: known, linked from a known certificate, or new."""
        reg = self.registry
        known = reg.filer_of(serial)
        if known is not None:
            return known, False
        for filer_id, latest in reg.candidates(birth_date):
            if serial in self.api.successors(latest):
                with reg.db:
                    reg.db.execute("insert into certificates (serial, filer_id) values (?, ?)", (serial, filer_id))
                    reg.db.execute("update filers set latest_cert = ? where filer_id = ?", (der, filer_id))
                return filer_id, False
        with reg.db:
            (count,) = reg.db.execute("select count(*) from filers").fetchone()
            filer_id = f"F{count + 1:08d}"
            reg.db.execute(
                "insert into filers (filer_id, birth_date, latest_cert, created_at) values (?, ?, ?, ?)",
                (filer_id, birth_date, der, self._now()),
            )
            reg.db.execute("insert into certificates (serial, filer_id) values (?, ?)", (serial, filer_id))
        return filer_id, True

    def _record(
        self, filer_id: str, serial: str, signer: dict[str, Any], verdict: dict[str, Any], document: bytes
    ) -> str:
        reg = self.registry
        with reg.db:
            (count,) = reg.db.execute("select count(*) from filings").fetchone()
            receipt = f"R{count + 1:010d}"
            reg.db.execute(
                "insert into filings (receipt, filer_id, serial, name, address, root, sha256, size,"
                " signed_at, timestamp, received_at, document) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    receipt,
                    filer_id,
                    serial,
                    signer.get("name"),
                    signer.get("address"),
                    _root_name(document),
                    hashlib.sha256(document).hexdigest(),
                    len(document),
                    verdict.get("signing_time"),
                    verdict.get("timestamp"),
                    self._now(),
                    document,
                ),
            )
        return receipt


def create_receiver(
    office: str, client_id: str, secret: str, store: str, *, now: Callable[[], datetime] | None = None
) -> FastAPI:
    """The receiver app, a registered relying party ``client_id`` of the office at ``office``
    (its base URL), keeping its records in the SQLite file ``store``."""
    app = FastAPI(title="mynacard demo e-filing receiver", docs_url=None, redoc_url=None, openapi_url=None)
    receiver = Receiver(OfficeApi(office, client_id, secret), Registry(store), now or (lambda: datetime.now(UTC)))
    app.state.receiver = receiver

    def page(body: str, code: int = 200) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang='ja'><head><meta charset='utf-8'><title>サンプル電子申告 受付</title></head>"
            f"<body><h1>サンプル電子申告 受付システム</h1>{body}"
            "<form method='post' action='/file' enctype='multipart/form-data'>"
            "<p><label>署名付き申告書(XML) <input type='file' name='return' id='return' accept='.xml'></label>"
            " <button id='submit'>送信する</button></p></form></body></html>",
            status_code=code,
        )

    def receive(document: bytes) -> tuple[Outcome | None, str]:
        try:
            return receiver.file(document), ""
        except OfficeError as exc:
            return None, str(exc)

    @app.get("/", response_class=HTMLResponse)
    def home() -> Response:
        return page("<p>マイナンバーカードの署名用電子証明書で署名した申告書(XML)を送信してください。</p>")

    @app.post("/file", response_class=HTMLResponse)
    async def file_form(request: Request) -> Response:
        form = await request.form()
        upload = form.get("return")
        document = (
            await upload.read(MAX_FILING_BYTES + 1) if upload is not None and not isinstance(upload, str) else b""
        )
        outcome, error = receive(document)
        if outcome is None:
            return page(f"<p id='error'>検証サービスに接続できません: {html.escape(error)}</p>", 502)
        if not outcome.accepted:
            return page(
                f"<div id='rejected'><p>受け付けられませんでした({html.escape(outcome.status)})。</p>"
                f"<p id='reason-ja'>{html.escape(outcome.message_ja)}</p>"
                f"<p id='reason-en' lang='en'>{html.escape(outcome.message)}</p></div>",
                422,
            )
        name = (outcome.signer or {}).get("name", "")
        return page(
            f"<div id='accepted'><p>{html.escape(outcome.message_ja)}</p><ul>"
            f"<li>受付番号: <span id='receipt'>{html.escape(outcome.receipt or '')}</span></li>"
            f"<li>利用者識別番号: <span id='filer'>{html.escape(outcome.filer_id or '')}</span></li>"
            f"<li>氏名: <span id='name'>{html.escape(name)}</span></li></ul></div>"
        )

    @app.post("/api/filings")
    async def file_api(request: Request) -> Response:
        """The signed XML as the request body; 201 with the receipt, or 422 with the reason."""
        document = b""
        async for chunk in request.stream():
            document += chunk
            if len(document) > MAX_FILING_BYTES:
                break
        outcome, error = receive(document)
        if outcome is None:
            return JSONResponse({"error": "office_unavailable", "message": error}, status_code=502)
        return JSONResponse(outcome.json(), status_code=201 if outcome.accepted else 422)

    @app.get("/api/filings")
    def filings(filer: str | None = None) -> list[dict[str, Any]]:
        return receiver.registry.filings(filer)

    @app.get("/api/rejections")
    def rejections() -> list[dict[str, Any]]:
        return receiver.registry.rejections()

    return app
