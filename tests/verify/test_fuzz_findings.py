"""Inputs the verifier's fuzz campaign found escaping as exceptions: each now gets a verdict.
A certificate whose extensions or version do not parse, a timestamp token over an unknown
digest or without its TSTInfo: MALFORMED or ALTERED, never a crash."""

from __future__ import annotations

from datetime import timedelta

from asn1crypto import cms, core

from mynacard.verify import Status
from tests.verify.conftest import SIGNED

KEY_USAGE_OID = bytes.fromhex("0603551d0f")  # 2.5.29.15
POLICIES_OID = bytes.fromhex("0603551d20")  # 2.5.29.32
AT = SIGNED + timedelta(hours=1)


def _with_token(signature: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """``signature`` (CMS) with its signature timestamp token edited by ``edit(token)``; only
    the unsigned attributes change, so the signature itself still verifies."""
    ci = cms.ContentInfo.load(signature)
    si = ci["content"]["signer_infos"][0]
    attrs = si["unsigned_attrs"]
    token = attrs[0]["values"][0]
    edit(token)
    attrs[0]["values"] = [cms.ContentInfo.load(token.dump(force=True))]
    si["unsigned_attrs"] = attrs
    return ci.dump(force=True)


def test_a_certificate_with_a_duplicate_extension_is_malformed(signer, verifier) -> None:
    sig, content = signer.sign("cms-detached")
    assert KEY_USAGE_OID in sig
    bad = sig.replace(KEY_USAGE_OID, POLICIES_OID)  # keyUsage turned into a second certificatePolicies
    v = verifier.verify(bad, at=AT, content=content)
    assert v.status is Status.MALFORMED and "DuplicateExtension" in v.message


def test_a_timestamp_over_an_unknown_digest_algorithm_is_malformed(signer, verifier) -> None:
    sig, content = signer.sign("cms-detached", ts=SIGNED)
    assert verifier.verify(sig, at=AT, content=content).status is Status.VALID

    def unknown_digest(token: cms.ContentInfo) -> None:
        eci = token["content"]["encap_content_info"]
        info = eci["content"].parsed
        info["message_imprint"]["hash_algorithm"]["algorithm"] = "2.16.840.1.101.3.4.2.0"
        eci["content"] = cms.ParsableOctetString(info.dump(force=True))

    v = verifier.verify(_with_token(sig, unknown_digest), at=AT, content=content)
    assert v.status is Status.MALFORMED


def test_a_timestamp_token_without_its_tstinfo_is_altered(signer, verifier) -> None:
    sig, content = signer.sign("cms-detached", ts=SIGNED)

    def no_content(token: cms.ContentInfo) -> None:
        token["content"]["encap_content_info"] = cms.EncapsulatedContentInfo({"content_type": "tst_info"})

    bad = _with_token(sig, no_content)
    assert isinstance(cms.ContentInfo.load(bad)["content"]["signer_infos"][0]["unsigned_attrs"][0]["values"][0]
                      ["content"]["encap_content_info"]["content"], core.Void)
    v = verifier.verify(bad, at=AT, content=content)
    assert v.status is Status.ALTERED and "TSTInfo" in v.message
