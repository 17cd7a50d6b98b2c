"""The JPKI certificate profile of the sandbox (R_CERT_2, R_CERT_9).

Field by field as real J-LIS certificates are, compared with the public J-LIS CA certificates
(2015 and 2023 generations) and with the public descriptions of real cards' certificates,
with the sandbox's own names and keys. What differs from a real card is marked [sandbox];
what no public source settles is marked [model].

* **CA certificates** (self-signed roots, as J-LIS's are): subject = issuer ``C=JP,
  O=<organization>, OU=JPKI for digital signature (sandbox) | JPKI for user authentication
  (sandbox), OU=Japan Agency for Local Authority Information Systems (sandbox)`` (real: ``O=JPKI``
  and the same OUs; no CN on real CA certificates, none here); a small serial (real: 1 and
  ~10^8); validity 10 years, ending 23:59:59 JST the day before the anniversary; extensions
  in the real order: keyUsage keyCertSign + cRLSign (critical), subjectAltName ``DirName: C=JP,
  O=公的個人認証サービス (sandbox)``, basicConstraints cA without pathLen (critical),
  cRLDistributionPoints with the CA's own name as a directory name (its ARL), SKI; no AKI.
  [sandbox] The office makes one root per kind with no rollover (J-LIS started new CAs in 2023),
  so ``services.pki`` asks for 20 years: its simulated time runs for decades.
* **Signing certificate** (署名用電子証明書): subject ``C=JP, L=<prefecture>, L=<municipality>,
  CN=<opaque id>``; [sandbox] real certificates name the municipality in romaji, the sandbox
  has no romaji table of 1,700 municipalities and writes the 6-digit code. The CN is never the
  name. subjectAltName holds the basic four attributes as otherName UTF8Strings under
  1.2.392.200149.8.5.5: .1 name, .4 date of birth ``EYYYYMMDD`` (see ``era.py``), .3 sex, .5
  address, .2 / .6 the substitute-character position strings, in the order real cards use.
  **Sex** is ``1`` male, ``2`` female, ``3`` not known, as on real certificates (J-LIS CPS,
  3.1.7; dumps of real cards). RULES.md R_CERT_9 says 9 (the resident register's code); the
  certificate follows the real card, so a register's ``9`` is written as ``3``. keyUsage
  digitalSignature + nonRepudiation (critical).
* **Authentication certificate** (利用者証明用電子証明書): subject ``C=JP, CN=<23 characters
  A-Z0-9>`` as on real cards, no personal data at all (R_CERT_1); keyUsage digitalSignature
  (critical), no extendedKeyUsage (real ones have none either).
* Both leaves: sha256WithRSAEncryption over RSA-2048 keys (R_CERT_2); notBefore = the issuance
  time (whole seconds), notAfter = 23:59:59 JST of the expiry date (R_CERT_9); AKI, SKI;
  certificatePolicies **critical** with the kind's policy OID (and a CPS URI); issuerAltName
  ``DirName: C=JP, O=公的個人認証サービス (sandbox)`` as on real cards; cRLDistributionPoints
  whose first point is the **directory name** real cards carry, ``<CA name's C, O and first
  OU>, OU=CRL Distribution Points, OU=<prefecture>, CN=<municipality>`` ([model]: the real
  prefix and the CN in romaji are not in the public sources; the sandbox writes the code).
* **Documented extras** ([sandbox], ``CaSettings.http_locations``, on by default): real
  certificates keep revocation locations from relying parties who are not authorised
  verifiers (the directory-name point only; no OCSP location). The sandbox adds, *after* the
  real fields so that a parser of real cards sees them unchanged, a second DistributionPoint
  with the HTTP URL of the municipality's CRL partition (``{base_url}/crl/{kind}/{code}.crl``,
  matching the partition CRL's issuingDistributionPoint) and an authorityInfoAccess with OCSP
  ``{base_url}/ocsp/{kind}`` and caIssuers ``{base_url}/ca/{kind}.cer``. With
  ``http_locations=False`` the leaves carry the real form only.

Substitute characters: real JPKI writes characters outside JIS X 0208 / 0212 as substitute
characters and records, per character, ``0`` (as written) or ``1`` (substituted). The sandbox
keeps every character (UTF-8 carries them). ``SigningSubject.name_substituted`` (and
``address_substituted``) may be that position string itself; ``True`` marks the characters
outside JIS X 0208 / 0212 (and is refused when there is none, since no position could be
marked); ``False``, the usual case, gives all zeros. The brief's API had plain 0/1 flags; real
cards carry one digit per character (e.g. ``00000`` for a five-character name), so we do too.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, ObjectIdentifier

from mynacard.ca.era import jpki_birth_date
from mynacard.ca.errors import ProfileError
from mynacard.ca.municipality import check_municipality_code, prefecture_of
from mynacard.rules.events import CertKind as CertKind
from mynacard.timeutil import JST, require_aware

SIGNING_POLICY_OID = "1.2.392.200149.8.5.1.1.20"
AUTH_POLICY_OID = "1.2.392.200149.8.5.1.3.30"

# otherName types of the basic four attributes (R_CERT_9).
OID_NAME = ObjectIdentifier("1.2.392.200149.8.5.5.1")
OID_NAME_SUBSTITUTES = ObjectIdentifier("1.2.392.200149.8.5.5.2")
OID_SEX = ObjectIdentifier("1.2.392.200149.8.5.5.3")
OID_BIRTH_DATE = ObjectIdentifier("1.2.392.200149.8.5.5.4")
OID_ADDRESS = ObjectIdentifier("1.2.392.200149.8.5.5.5")
OID_ADDRESS_SUBSTITUTES = ObjectIdentifier("1.2.392.200149.8.5.5.6")

SEX_CODES = frozenset({"1", "2", "3", "9"})  # male, female, not known (certificate), not known (register)
#: The resident register's "not applicable" (9) is written as the certificate's "not known" (3).
CERT_SEX = {"1": "1", "2": "2", "3": "3", "9": "3"}
AUTH_CN_LENGTH = 23  # real authentication certificates: 23 characters of A-Z and 0-9
_AUTH_CN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
MAX_ADDRESS_CHARS = 200  # the J-LIS profile's limit for the address field
RSA_KEY_BITS = 2048  # R_CERT_2
MAX_NAME_CHARS = 64  # ub-organization-name, ub-common-name (RFC 5280 appendix A)

_ROOT_LABEL = {
    CertKind.SIGN: "JPKI for digital signature",
    CertKind.AUTH: "JPKI for user authentication",
}


@dataclass(frozen=True)
class CaSettings:
    """Where the CA publishes, and how it names itself.

    ``base_url`` goes into every certificate (CRL, OCSP, CA certificate, CPS); it must be an
    absolute http(s) URL whose host is a DNS name with a dot or an IP address, as linters and
    many relying parties require ("localhost" is refused for that reason).
    The policy OIDs are the real JPKI ones (R_CERT_9); a sandbox may use its own arc.
    """

    base_url: str = "http://127.0.0.1:8000"
    country: str = "JP"
    organization: str = "mynacard sandbox JPKI"
    signing_policy_oid: str = SIGNING_POLICY_OID
    auth_policy_oid: str = AUTH_POLICY_OID
    http_locations: bool = True

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {self.base_url!r}.")
        if "." not in host and ":" not in host:
            raise ValueError(
                f"base_url host {host!r} is not a dotted DNS name or IP address "
                "(use e.g. 127.0.0.1 instead of localhost)."
            )
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if len(self.country) != 2:
            raise ValueError("country must be a 2-letter ISO 3166 code.")
        if not self.organization or len(self.organization) > MAX_NAME_CHARS:
            raise ValueError(f"organization must be 1 to {MAX_NAME_CHARS} characters (ub-organization-name).")
        for oid in (self.signing_policy_oid, self.auth_policy_oid):
            ObjectIdentifier(oid)  # raises ValueError when malformed

    def policy_oid(self, kind: CertKind) -> str:
        return self.signing_policy_oid if kind is CertKind.SIGN else self.auth_policy_oid

    def crl_url(self, kind: CertKind, municipality_code: str | None = None) -> str:
        """The full CRL, or the CRL partition of one municipality."""
        if municipality_code is None:
            return f"{self.base_url}/crl/{kind}.crl"
        return f"{self.base_url}/crl/{kind}/{check_municipality_code(municipality_code)}.crl"

    def delta_crl_url(self, kind: CertKind, municipality_code: str | None = None) -> str:
        """Where the delta CRLs of a full CRL's scope are published (``…-delta.crl``)."""
        return self.crl_url(kind, municipality_code).removesuffix(".crl") + "-delta.crl"

    def ocsp_url(self, kind: CertKind) -> str:
        return f"{self.base_url}/ocsp/{kind}"

    def ca_issuers_url(self, kind: CertKind) -> str:
        return f"{self.base_url}/ca/{kind}.cer"

    def cps_url(self, kind: CertKind) -> str:
        return f"{self.base_url}/cps/{kind}"


@dataclass(frozen=True)
class SigningSubject:
    """The basic four attributes (基本4情報) as the signing certificate records them.

    ``sex``: "1" male, "2" female, "9" not known. The substitute flags are ``False``, ``True``
    or the per-character position string itself (see the module docstring).
    """

    name: str
    address: str
    birth_date: date
    sex: str
    name_substituted: bool | str = False
    address_substituted: bool | str = False

    def __post_init__(self) -> None:
        for fld in ("name", "address"):
            value = getattr(self, fld)
            if not isinstance(value, str) or not value.strip():
                raise ProfileError(fld, f"The {fld} must not be empty.", "基本4情報が空です。")
        if len(self.address) > MAX_ADDRESS_CHARS:
            raise ProfileError(
                "address",
                f"The address has {len(self.address)} characters; the profile allows {MAX_ADDRESS_CHARS}.",
                f"住所は{MAX_ADDRESS_CHARS}文字以内です。",
            )
        if self.sex not in SEX_CODES:
            raise ProfileError(
                "sex",
                f"The sex code must be 1, 2, 3 (not known) or 9 (the register's not applicable), got {self.sex!r}.",
                "性別コードが不正です。",
            )
        if not isinstance(self.birth_date, date) or isinstance(self.birth_date, datetime):
            raise TypeError("birth_date must be a date")
        jpki_birth_date(self.birth_date)  # raises before the Meiji era
        substitute_positions(self.name, self.name_substituted, "name_substituted")
        substitute_positions(self.address, self.address_substituted, "address_substituted")


@dataclass(frozen=True)
class CertRequest:
    """What the registration side asks the CA to certify.

    The certificate is valid from ``not_before`` (whole seconds) through 23:59:59 JST of
    ``expires_on``. ``subject`` is required for a signing certificate and forbidden for an
    authentication certificate, which carries no personal data (R_CERT_1).
    """

    public_key: rsa.RSAPublicKey
    not_before: datetime
    expires_on: date
    municipality_code: str
    subject: SigningSubject | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, rsa.RSAPublicKey):
            raise TypeError("public_key must be an RSA public key (R_CERT_2)")
        if self.public_key.key_size != RSA_KEY_BITS:
            raise ProfileError(
                "public_key",
                f"The key must be RSA-{RSA_KEY_BITS} (R_CERT_2), got {self.public_key.key_size} bits.",
                "鍵長はRSA-2048である必要があります。",
            )
        require_aware(self.not_before, "not_before")
        if not isinstance(self.expires_on, date) or isinstance(self.expires_on, datetime):
            raise TypeError("expires_on must be a date")
        check_municipality_code(self.municipality_code)


def utf8_string_der(text: str) -> bytes:
    """DER of an ASN.1 UTF8String (tag 12), the value type of every JPKI otherName."""
    body = text.encode("utf-8")
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return b"\x0c" + length + body


def _outside_jis(ch: str) -> bool:
    """True for a character JIS X 0208 / 0212 lacks (real JPKI substitutes those).

    Full-width forms are folded first, so that e.g. the full-width hyphen the address field
    allows does not count as outside JIS only because of a codec mapping quirk.
    """
    folded = unicodedata.normalize("NFKC", ch) if unicodedata.east_asian_width(ch) == "F" else ch
    try:
        folded.encode("euc_jp")
    except UnicodeEncodeError:
        return True
    return False


def substitute_positions(value: str, flag: bool | str, fld: str = "substituted") -> str:
    """The position string of substitute characters: one ``0``/``1`` per character of ``value``."""
    if flag is False:
        return "0" * len(value)
    if flag is True:
        marks = "".join("1" if _outside_jis(c) else "0" for c in value)
        if "1" not in marks:
            raise ProfileError(
                fld,
                f"{fld} is set but every character is in JIS X 0208/0212; give the positions "
                "as a string of 0 and 1, one per character.",
                "代替文字の使用位置を指定してください。",
            )
        return marks
    if isinstance(flag, str) and len(flag) == len(value) and set(flag) <= {"0", "1"}:
        return flag
    raise ProfileError(
        fld,
        f"{fld} must be a bool or a string of 0 and 1 with one digit per character ({len(value)}), got {flag!r}.",
        "代替文字の使用位置情報が不正です。",
    )


def root_name(kind: CertKind, settings: CaSettings) -> x509.Name:
    """The subject (and issuer) of a sandbox root: J-LIS's shape (no CN), labelled sandbox."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, settings.country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{_ROOT_LABEL[kind]} (sandbox)"),
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME,
                "Japan Agency for Local Authority Information Systems (sandbox)",
            ),
        ]
    )


def leaf_name(kind: CertKind, request: CertRequest, settings: CaSettings) -> x509.Name:
    """An opaque subject: never the holder's name (it is in subjectAltName, signing only)."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, settings.country)]
    if kind is CertKind.SIGN:
        issued = request.not_before.astimezone(JST).strftime("%Y%m%d")
        attrs += [
            x509.NameAttribute(NameOID.LOCALITY_NAME, prefecture_of(request.municipality_code)),
            x509.NameAttribute(NameOID.LOCALITY_NAME, request.municipality_code),
            x509.NameAttribute(NameOID.COMMON_NAME, issued + secrets.token_hex(8).upper()),
        ]
    else:
        cn = "".join(secrets.choice(_AUTH_CN_ALPHABET) for _ in range(AUTH_CN_LENGTH))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def basic_four_attributes(subject: SigningSubject) -> x509.SubjectAlternativeName:
    """subjectAltName of a signing certificate: the basic four attributes (R_CERT_9)."""
    values = [
        (OID_NAME, subject.name),
        (OID_BIRTH_DATE, jpki_birth_date(subject.birth_date)),
        (OID_SEX, CERT_SEX[subject.sex]),
        (OID_ADDRESS, subject.address),
        (OID_NAME_SUBSTITUTES, substitute_positions(subject.name, subject.name_substituted)),
        (
            OID_ADDRESS_SUBSTITUTES,
            substitute_positions(subject.address, subject.address_substituted),
        ),
    ]
    return x509.SubjectAlternativeName([x509.OtherName(oid, utf8_string_der(v)) for oid, v in values])


def _service_name() -> x509.DirectoryName:
    return x509.DirectoryName(
        x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "公的個人認証サービス (sandbox)"),
            ]
        )
    )


def issuer_alt_name() -> x509.IssuerAlternativeName:
    """Real JPKI leaves name the service in Japanese here; ours says sandbox."""
    return x509.IssuerAlternativeName([_service_name()])


def root_alt_name() -> x509.SubjectAlternativeName:
    """Real J-LIS CA certificates carry the same directory name as their subjectAltName."""
    return x509.SubjectAlternativeName([_service_name()])


def leaf_key_usage(kind: CertKind) -> x509.KeyUsage:
    """digitalSignature, plus nonRepudiation for the signing certificate."""
    return signing_key_usage(non_repudiation=kind is CertKind.SIGN)


def signing_key_usage(*, non_repudiation: bool = False) -> x509.KeyUsage:
    """A key that only signs: digitalSignature (and nonRepudiation when asked)."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def root_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def certificate_policies(kind: CertKind, settings: CaSettings) -> x509.CertificatePolicies:
    return x509.CertificatePolicies(
        [x509.PolicyInformation(ObjectIdentifier(settings.policy_oid(kind)), [settings.cps_url(kind)])]
    )


def crl_directory_name(ca_name: x509.Name, municipality_code: str) -> x509.Name:
    """The directory name of a municipality's CRL, in the real form ``…, OU=CRL Distribution
    Points, OU=<prefecture>, CN=<municipality>`` under the CA's C, O and first OU."""
    head = [
        ca_name.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0],
        ca_name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0],
        ca_name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0],
    ]
    return x509.Name(
        [
            *head,
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CRL Distribution Points"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, prefecture_of(municipality_code)),
            x509.NameAttribute(NameOID.COMMON_NAME, check_municipality_code(municipality_code)),
        ]
    )


@lru_cache(maxsize=8192)  # pure, and the same for every holder of a municipality
def crl_distribution_points(
    kind: CertKind, ca_name: x509.Name, municipality_code: str, settings: CaSettings
) -> x509.CRLDistributionPoints:
    """The real directory-name point first; the sandbox's HTTP partition as a second point."""
    directory = x509.DirectoryName(crl_directory_name(ca_name, municipality_code))
    points = [x509.DistributionPoint([directory], None, None, None)]
    if settings.http_locations:
        url = settings.crl_url(kind, municipality_code)
        points.append(x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None))
    return x509.CRLDistributionPoints(points)


def root_crl_distribution_points(ca_name: x509.Name) -> x509.CRLDistributionPoints:
    """A J-LIS root points at its own name (the directory entry of its ARL)."""
    return x509.CRLDistributionPoints([x509.DistributionPoint([x509.DirectoryName(ca_name)], None, None, None)])


def authority_info_access(kind: CertKind, settings: CaSettings) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(settings.ocsp_url(kind)),
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(settings.ca_issuers_url(kind)),
            ),
        ]
    )


def whole_seconds(at: datetime, name: str = "at") -> datetime:
    """``at`` without microseconds; ``ValueError`` if naive (X.509 times have whole seconds)."""
    return require_aware(at, name).replace(microsecond=0)
