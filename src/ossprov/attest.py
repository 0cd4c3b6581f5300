"""in-toto attestations of rebuilds: a Statement v1 whose predicate is SLSA provenance v1.

The subject is the *published* artifact: the statement says "this file, which the registry serves, is what
the source at this commit builds into with this recipe". So it is only written for the rebuild outcomes that
establish that (bit-for-bit and stabilized), and the subject says which (`annotations.match`). The rebuilt
artifact's own digest and the stabilisers (their list as the descriptor's `content`) go into the byproducts:
every resource descriptor carries a uri, a digest or content, as in-toto requires.

Statements are written as JSON lines, one per line, so that batch runs can concatenate them. With a key they
are signed: each line is then a DSSE envelope (payloadType `application/vnd.in-toto+json`, an ECDSA P-256
signature over DSSE's pre-authentication encoding), the form Sigstore's tools (cosign `verify-blob-attestation
--key`, the in-toto verifiers) read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ossprov import __version__
from ossprov.atomic import atomic_write
from ossprov.cache import file_digests
from ossprov.errors import InputError
from ossprov.model import LocateResult, to_json
from ossprov.verify.rebuild import Outcome, RebuildResult

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "urn:ossprov:rebuild:v1"
"""Identifies the meaning of externalParameters (an ossprov recipe)."""
BUILDER_ID = "urn:ossprov:rebuilder"
ATTESTABLE = (Outcome.BIT_FOR_BIT, Outcome.STABILIZED)
PAYLOAD_TYPE = "application/vnd.in-toto+json"
"""DSSE payload type of an in-toto statement."""


def _git_uri(url: str, commit: str) -> str:
    return f"git+{url}@{commit}" if not url.startswith("git+") else f"{url}@{commit}"


def rebuild_statement(locate: LocateResult, published: Path, filename: str, result: RebuildResult, *,
                      started: str, finished: str, sandboxed: bool) -> dict[str, Any]:
    """The in-toto Statement for a successful rebuild; ValueError for an outcome that proves nothing."""
    if result.outcome not in ATTESTABLE or locate.repository is None or locate.commit is None:
        raise ValueError(f"a {result.outcome} rebuild is not attested")
    digests = file_digests(published)
    recipe = to_json(result.recipe)
    resolved = [{"uri": _git_uri(locate.repository.url, locate.commit), "digest": {"gitCommit": locate.commit},
                 "annotations": {"subdir": locate.repository.subdir}}]
    stabilizers = to_json(result.stabilizers)
    byproducts = [
        {"name": result.rebuilt_filename or filename, "digest": {"sha256": result.rebuilt_sha256},
         "annotations": {"outcome": result.outcome.value, "raw_equal": result.raw_equal}},
        {"name": "stabilizers", "mediaType": "application/json",
         "content": base64.b64encode(json.dumps(stabilizers, sort_keys=True).encode()).decode(),
         "annotations": {"needed": result.needed_stabilizers,
                         "changed": [s.name for s in result.stabilizers if s.changed]}},
    ]
    match = {"match": result.outcome.value, "stabilizers_needed": result.needed_stabilizers}
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": filename, "digest": {"sha256": digests["sha256"], "sha512": digests["sha512"]},
                     "annotations": match}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"purl": locate.purl, "recipe": recipe},
                "internalParameters": {"sandbox": "bubblewrap" if sandboxed else "none",
                                       "dependencyView": result.timewarp},
                "resolvedDependencies": resolved,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID,
                            "version": {"ossprov": __version__, "python": platform.python_version(),
                                        **(result.recipe.host if result.recipe else {})}},
                "metadata": {"startedOn": started, "finishedOn": finished},
                "byproducts": byproducts,
            },
        },
    }


def _pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _keyid(public: ec.EllipticCurvePublicKey) -> str:
    """sha256 of the DER public key: names the key without revealing anything."""
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def load_signing_key(pem: bytes, password: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    """An ECDSA P-256 private key from PEM; InputError (one line) for anything else."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"the signing key cannot be read: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InputError("the signing key must be an ECDSA P-256 private key (PEM)")
    return key


def sign_statement(statement: dict[str, Any], key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """The statement in a DSSE envelope signed with `key`."""
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    signature = key.sign(_pae(PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    return {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": _keyid(key.public_key()), "sig": base64.b64encode(signature).decode()}]}


def verify_envelope(envelope: dict[str, Any], public_pem: bytes) -> dict[str, Any]:
    """The statement of a DSSE envelope whose signature `public_pem` verifies; ValueError otherwise."""
    public = serialization.load_pem_public_key(public_pem)
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise ValueError("not an ECDSA public key")
    payload = base64.b64decode(envelope["payload"])
    for signature in envelope.get("signatures", []):
        try:
            public.verify(base64.b64decode(signature["sig"]), _pae(envelope["payloadType"], payload),
                          ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return dict(json.loads(payload))
    raise ValueError("no signature of the envelope verifies with this key")


def write_statements(path: Path, statements: Iterable[dict[str, Any]],
                     key: ec.EllipticCurvePrivateKey | None = None) -> None:
    """Write statements as JSON lines, atomically; with `key`, each line a signed DSSE envelope."""
    records = (sign_statement(s, key) if key is not None else s for s in statements)
    lines = "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records)
    atomic_write(path, lines.encode())
