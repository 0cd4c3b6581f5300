"""Attestation shape (every in-toto resource descriptor has a uri, digest or content; the subject says how it
matched) and DSSE signing with a user's ECDSA P-256 key, checked against an independent PAE."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ossprov.attest import load_signing_key, rebuild_statement, verify_envelope, write_statements
from ossprov.errors import InputError
from ossprov.verify.rebuild import Outcome, RebuildResult
from ossprov.verify.recipe import Recipe, Step
from ossprov.verify.stabilize import StabilizerUse
from tests.rebuild.conftest import located


def _result(outcome: Outcome) -> RebuildResult:
    recipe = Recipe("npm", "tgz", "", (Step("build", ("npm", "pack")),), "*.tgz")
    uses = (StabilizerUse("tar-mtime", "mtimes", True, outcome == Outcome.STABILIZED),)
    return RebuildResult(outcome, recipe, uses if outcome == Outcome.STABILIZED else (), outcome == Outcome.BIT_FOR_BIT,
                         True, rebuilt_sha256="ab" * 32, rebuilt_filename="a-1.0.0.tgz",
                         timewarp={"cutoff": "2023-06-01T00:00:00+00:00", "hidden": {}, "copy_dates": True})


def _statement(tmp_path: Path, outcome: Outcome) -> dict[str, Any]:
    artifact = tmp_path / "a-1.0.0.tgz"
    artifact.write_bytes(b"published bytes")
    return rebuild_statement(located("pkg:npm/a@1.0.0", tmp_path, "c" * 40), artifact, artifact.name,
                             _result(outcome), started="2024-01-01T00:00:00Z", finished="2024-01-01T00:01:00Z",
                             sandboxed=True)


def _descriptors(statement: dict[str, Any]) -> list[dict[str, Any]]:
    predicate = statement["predicate"]
    return [*statement["subject"], *predicate["buildDefinition"]["resolvedDependencies"],
            *predicate["runDetails"]["byproducts"]]


@pytest.mark.parametrize("outcome", [Outcome.BIT_FOR_BIT, Outcome.STABILIZED])
def test_every_descriptor_has_uri_digest_or_content(tmp_path: Path, outcome: Outcome) -> None:
    statement = _statement(tmp_path, outcome)
    assert all({"uri", "digest", "content"} & set(d) for d in _descriptors(statement))
    subject = statement["subject"][0]
    assert subject["annotations"]["match"] == outcome.value
    assert subject["annotations"]["stabilizers_needed"] == (["tar-mtime"] if outcome == Outcome.STABILIZED else [])
    stabilizers = next(d for d in _descriptors(statement) if d.get("name") == "stabilizers")
    assert [s["name"] for s in json.loads(base64.b64decode(stabilizers["content"]))] == \
        (["tar-mtime"] if outcome == Outcome.STABILIZED else [])
    assert statement["predicate"]["buildDefinition"]["internalParameters"]["dependencyView"]["copy_dates"] is True


def test_failed_rebuilds_are_not_attested(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="differs"):
        _statement(tmp_path, Outcome.DIFFERS)


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_signed_statements_are_dsse_envelopes(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    statement = _statement(tmp_path, Outcome.STABILIZED)
    out = tmp_path / "a.intoto.jsonl"
    write_statements(out, [statement], load_signing_key(_pem(key)))
    envelope = json.loads(out.read_text().splitlines()[0])
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    payload = base64.b64decode(envelope["payload"])
    assert json.loads(payload) == statement
    # DSSE v1 PAE, written out independently of the code under test.
    pae = b"DSSEv1 28 application/vnd.in-toto+json " + str(len(payload)).encode() + b" " + payload
    key.public_key().verify(base64.b64decode(envelope["signatures"][0]["sig"]), pae, ec.ECDSA(hashes.SHA256()))
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    assert verify_envelope(envelope, public_pem) == statement

    forged = dict(envelope, payload=base64.b64encode(payload.replace(b"stabilized", b"bit-for-bit")).decode())
    with pytest.raises(ValueError, match="no signature"):
        verify_envelope(forged, public_pem)
    with pytest.raises(InvalidSignature):
        key.public_key().verify(base64.b64decode(envelope["signatures"][0]["sig"]), pae + b" ",
                                ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("pem, message", [
    (b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", "cannot be read"),
    (None, "ECDSA P-256"),
])
def test_unusable_keys_are_input_errors(pem: bytes | None, message: str) -> None:
    text = pem if pem is not None else _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(InputError, match=message):
        load_signing_key(text)
