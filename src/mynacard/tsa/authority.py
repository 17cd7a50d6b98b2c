"""A time-stamping authority (RFC 3161) under the sandbox's own TSA root.

The TSA certificate carries extendedKeyUsage id-kp-timeStamping (critical, the only purpose,
RFC 3161 2.3) and keyUsage digitalSignature + nonRepudiation; it is issued by a self-signed
sandbox TSA root (``O=<organization>, CN=<organization> TSA root``). A response (granted, or a
rejection with its PKIFailureInfo) is built for a request at the time passed in: the TSTInfo's
genTime is that time, its serial number is random (128 bits, unique in practice), a nonce is
echoed, the policy is the one the request asks for only if it is ours.

Tokens are SignedData (sha256WithRSAEncryption) with signed attributes contentType,
messageDigest, signingTime and signingCertificateV2 (RFC 5816), and the TSA certificate.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mynacard.ca.profile import signing_key_usage, whole_seconds

# A UUID-derived OID (ITU-T X.667, 2.25): the sandbox's own, no registration needed.
TSA_POLICY_OID = "2.25.216725355098235413453431829453893262117"
ACCEPTED_HASHES = {"sha256": 32, "sha384": 48, "sha512": 64}
ROOT_YEARS = 20
TSA_YEARS = 10
ACCURACY_SECONDS = 1


class TsaRequestError(ValueError):
    """A request the TSA refuses: ``failure`` is the PKIFailureInfo bit name."""

    def __init__(self, failure: str, text: str) -> None:
        super().__init__(text)
        self.failure = failure
        self.text = text


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def rejection(failure: str, text: str) -> bytes:
    """A TimeStampResp without a token (asn1crypto insists on one, so the SEQUENCE is made here)."""
    status = tsp.PKIStatusInfo({"status": "rejection", "status_string": [text], "fail_info": {failure}})
    body = status.dump()
    return b"\x30" + _der_length(len(body)) + body


@dataclass(frozen=True)
class TimestampAuthority:
    root: x509.Certificate
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    # -- making it ------------------------------------------------------------------------

    @classmethod
    def generate(
        cls, *, at: datetime, organization: str, root_key: rsa.RSAPrivateKey, tsa_key: rsa.RSAPrivateKey
    ) -> tuple[TimestampAuthority, rsa.RSAPrivateKey]:
        """A new root and TSA certificate; returns the TSA and the root's key (to seal and keep)."""
        start = whole_seconds(at)
        root_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{organization} TSA root"),
            ]
        )
        root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=365 * ROOT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(root_ski, critical=False)
            .sign(root_key, hashes.SHA256())
        )
        return cls(root, cls._issue(root, root_key, tsa_key, start, organization), tsa_key), root_key

    @staticmethod
    def _issue(
        root: x509.Certificate, root_key: rsa.RSAPrivateKey, key: rsa.RSAPrivateKey, start: datetime, organization: str
    ) -> x509.Certificate:
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{organization} TSA"),
            ]
        )
        root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        not_after = min(start + timedelta(days=365 * TSA_YEARS), root.not_valid_after_utc)
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(signing_key_usage(non_repudiation=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False)
            .sign(root_key, hashes.SHA256())
        )

    # -- answering ------------------------------------------------------------------------

    def respond(self, request_der: bytes, *, at: datetime) -> bytes:
        """The DER TimeStampResp to ``request_der``: granted, or rejection with its failure."""
        try:
            req = self._parse(request_der)
            token = self.token(req, at=at)
        except TsaRequestError as e:
            return rejection(e.failure, e.text)
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()

    @staticmethod
    def _parse(der: bytes) -> tsp.TimeStampReq:
        try:
            req = tsp.TimeStampReq.load(der, strict=True)
            algo = req["message_imprint"]["hash_algorithm"]["algorithm"].native
            digest = req["message_imprint"]["hashed_message"].native
            policy = req["req_policy"].native
            _ = req["nonce"].native, req["cert_req"].native, req["version"].native
        except (ValueError, TypeError, KeyError, IndexError) as e:
            raise TsaRequestError("bad_data_format", "The request is not a TimeStampReq.") from e
        if req["version"].native != "v1":
            raise TsaRequestError("bad_request", "Only version 1 requests are answered.")
        if algo not in ACCEPTED_HASHES:
            raise TsaRequestError("bad_alg", f"Hash algorithm {algo} is not accepted; use SHA-256, -384 or -512.")
        if len(digest) != ACCEPTED_HASHES[algo]:
            raise TsaRequestError("bad_data_format", "The message imprint has the wrong length for its algorithm.")
        if policy is not None and policy != TSA_POLICY_OID:
            raise TsaRequestError("unaccepted_policy", f"This TSA only stamps under policy {TSA_POLICY_OID}.")
        return req

    def token(self, req: tsp.TimeStampReq, *, at: datetime) -> cms.ContentInfo:
        gen_time = whole_seconds(at)
        if not (self.certificate.not_valid_before_utc <= gen_time <= self.certificate.not_valid_after_utc):
            raise TsaRequestError("time_not_available", "The TSA certificate is not valid at this time.")
        info = {
            "version": "v1",
            "policy": TSA_POLICY_OID,
            "message_imprint": req["message_imprint"],
            "serial_number": int.from_bytes(secrets.token_bytes(16), "big") >> 1,
            "gen_time": gen_time,
            "accuracy": {"seconds": ACCURACY_SECONDS},
            "ordering": False,
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"].native
        tst = tsp.TSTInfo(info)
        return self._sign(tst, gen_time, with_cert=bool(req["cert_req"].native))

    def _sign(self, tst: tsp.TSTInfo, at: datetime, *, with_cert: bool) -> cms.ContentInfo:
        content = tst.dump()
        cert_der = self.certificate.public_bytes(serialization.Encoding.DER)
        asn1_cert = asn1_x509.Certificate.load(cert_der)
        ess_cert = tsp.ESSCertIDv2(
            {
                "hash_algorithm": {"algorithm": "sha256"},
                "cert_hash": hashlib.sha256(cert_der).digest(),
                "issuer_serial": {
                    "issuer": [asn1_x509.GeneralName({"directory_name": asn1_cert.issuer})],
                    "serial_number": asn1_cert.serial_number,
                },
            }
        )
        signed_attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": at})]}),
                cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
                cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [tsp.SigningCertificateV2({"certs": [ess_cert]})],
                    }
                ),
            ]
        )
        signature = self.key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {"issuer_and_serial_number": {"issuer": asn1_cert.issuer, "serial_number": asn1_cert.serial_number}}
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
                "signature": signature,
            }
        )
        sd = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
            "signer_infos": [signer_info],
        }
        if with_cert:
            sd["certificates"] = [asn1_cert]
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(sd)})
