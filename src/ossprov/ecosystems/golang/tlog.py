"""The transparency log behind the Go checksum database, as golang.org/x/mod/sumdb/note and sumdb/tlog define
it: signed notes, the tree note, tiles, and the proofs that a record is in a signed tree and that one signed
tree extends another. Nothing here touches the network: tiles come from a `read_tile` function.

A note is UTF-8 text ending in a newline, a blank line, then signature lines `— NAME BASE64` where BASE64 is
a 4-byte key hash and a 64-byte Ed25519 signature of the text. A verifier key is `NAME+HASH+BASE64`: HASH is
the first 4 bytes (hex) of sha256(NAME, `\\n`, 0x01, public key), BASE64 the 0x01 algorithm byte and the key.

The tree is RFC 6962's: a record's hash is sha256(0x00 ‖ record), a node's sha256(0x01 ‖ left ‖ right), and the
tree of N records splits at the largest power of two below N. A tile of height H at level L, number K, holds
W consecutive hashes of level L·H starting at K·2^H (`tile/H/L/xKKK/KKK[.p/W]`); a partial tile (W < 2^H) is
the tree's right edge.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEIGHT = 8
"""Tile height of the go command's checksum database client (fixed in golang.org/x/mod/sumdb)."""
HASH_SIZE = 32
ALG_ED25519 = 1
TREE_HEADER = "go.sum database tree"
MAX_NOTE_BYTES = 1 << 20
SIGNATURE_PREFIX = "— "


class LogError(Exception):
    """The database's answer fails verification: a forged or unsigned note, a malformed record or tile, or a
    proof that does not lead to the signed tree."""


def record_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def key_hash(name: str, key: bytes) -> int:
    return struct.unpack(">I", hashlib.sha256(name.encode() + b"\n" + key).digest()[:4])[0]


@dataclass(frozen=True)
class Verifier:
    """A checksum database's public key, from a verifier key `NAME+HASH+BASE64`."""

    name: str
    hash: int
    public_key: bytes
    """The raw 32-byte Ed25519 key."""


def parse_verifier(text: str) -> Verifier:
    """A verifier key; LogError when it is malformed or its hash does not match its key."""
    name, _, rest = text.partition("+")
    hash_hex, _, key_b64 = rest.partition("+")
    try:
        key = base64.b64decode(key_b64, validate=True)
        declared = int(hash_hex, 16)
    except ValueError:
        raise LogError(f"malformed verifier key for {name!r}") from None
    if not name or len(hash_hex) != 8 or "+" in name or len(key) != 33 or key[0] != ALG_ED25519:
        raise LogError(f"malformed verifier key for {name!r} (expected NAME+HASH+BASE64 of an Ed25519 key)")
    if key_hash(name, key) != declared:
        raise LogError(f"verifier key for {name!r}: its hash does not match its key")
    return Verifier(name, declared, key[1:])


def open_note(message: bytes, verifier: Verifier) -> str:
    """The text of a note signed by `verifier` (other signatures are ignored, as note.Open does)."""
    if len(message) > MAX_NOTE_BYTES:
        raise LogError("note too large")
    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError:
        raise LogError("note is not UTF-8") from None
    split = decoded.rfind("\n\n")
    if split < 0 or not decoded.endswith("\n"):
        raise LogError("malformed note: no signature block")
    text, block = decoded[: split + 1], decoded[split + 2:]
    key = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    signed_by_name = False
    for line in block.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise LogError("malformed note signature line")
        name, _, sig_b64 = line[len(SIGNATURE_PREFIX):].partition(" ")
        try:
            sig = base64.b64decode(sig_b64, validate=True)
        except ValueError:
            raise LogError("malformed note signature") from None
        if name != verifier.name or len(sig) != 68 or struct.unpack(">I", sig[:4])[0] != verifier.hash:
            continue
        signed_by_name = True
        try:
            key.verify(sig[4:], text.encode())
        except InvalidSignature:
            raise LogError(f"the note's signature by {verifier.name} is invalid (forged or altered)") from None
        return text
    raise LogError(f"the note carries no signature by {verifier.name}'s key"
                   + (" (a signature under its name with another key)" if signed_by_name else ""))


@dataclass(frozen=True)
class Tree:
    """A signed tree head: the number of records and the root hash."""

    size: int
    hash: bytes


def parse_tree(text: str) -> Tree:
    """tlog.ParseTree: `go.sum database tree\\nN\\nBASE64\\n` (the go command ignores no other lines either)."""
    lines = text.split("\n")
    if len(lines) != 4 or lines[0] != TREE_HEADER or lines[3] != "" or not lines[1].isdigit():
        raise LogError("malformed tree note")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise LogError("malformed tree note hash") from None
    if len(root) != HASH_SIZE or (lines[1] != "0" and lines[1].startswith("0")):
        raise LogError("malformed tree note")
    return Tree(int(lines[1]), root)


def tile_path(level: int, number: int, width: int) -> str:
    """tlog.Tile.Path: `tile/8/L/x001/x234/067[.p/W]`."""
    part = f"{number % 1000:03d}"
    while number >= 1000:
        number //= 1000
        part = f"x{number % 1000:03d}/{part}"
    partial = f".p/{width}" if width != 1 << HEIGHT else ""
    return f"tile/{HEIGHT}/{level}/{part}{partial}"


class TileHashes:
    """The stored hashes of a tree of `size` records, read from its tiles (each tile read once)."""

    def __init__(self, size: int, read_tile: Callable[[int, int, int], bytes]) -> None:
        self.size = size
        self.read_tile = read_tile
        """(tile level, tile number, width) → the tile's bytes, width hashes of 32 bytes."""
        self._tiles: dict[tuple[int, int], bytes] = {}

    def _tile(self, level: int, number: int) -> bytes:
        if (level, number) not in self._tiles:
            width = min(1 << HEIGHT, (self.size >> (level * HEIGHT)) - (number << HEIGHT))
            data = self.read_tile(level, number, width)
            if len(data) != width * HASH_SIZE:
                raise LogError(f"{tile_path(level, number, width)} has {len(data)} bytes, not {width * HASH_SIZE}")
            self._tiles[level, number] = data
        return self._tiles[level, number]

    def stored(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree of 2^level records starting at record index·2^level."""
        tile_level, within = divmod(level, HEIGHT)
        first = index << within
        number, offset = divmod(first, 1 << HEIGHT)
        if (first + (1 << within)) << (tile_level * HEIGHT) > self.size:
            raise LogError(f"subtree {level}/{index} is not in a tree of {self.size} records")
        data = self._tile(tile_level, number)
        hashes = [data[i * HASH_SIZE:(i + 1) * HASH_SIZE] for i in range(offset, offset + (1 << within))]
        while len(hashes) > 1:
            hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def range_hash(self, lo: int, hi: int) -> bytes:
        """The hash of records [lo, hi) as the tree arranges them."""
        size = hi - lo
        if size & (size - 1) == 0 and lo % size == 0:
            return self.stored(size.bit_length() - 1, lo // size)
        split = lo + _split(size)
        return node_hash(self.range_hash(lo, split), self.range_hash(split, hi))

    def root_with(self, lo: int, hi: int, node: tuple[int, int], value: bytes) -> bytes:
        """The hash of records [lo, hi) with the subtree `node` = [a, b) taken as `value` and every other
        part read from the tiles: equal to the signed root only if `value` is in the tree there."""
        if (lo, hi) == node:
            return value
        split = lo + _split(hi - lo)
        if node[1] <= split:
            return node_hash(self.root_with(lo, split, node, value), self.range_hash(split, hi))
        if node[0] < split:
            raise LogError(f"subtree {node} straddles the tree's split at {split}")
        return node_hash(self.range_hash(lo, split), self.root_with(split, hi, node, value))


def _split(size: int) -> int:
    """The largest power of two smaller than size (size ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def check_record(tree: Tree, hashes: TileHashes, index: int, data: bytes) -> None:
    """That record `index` with bytes `data` is in the signed tree (tlog.CheckRecord); LogError if not."""
    if not 0 <= index < tree.size or hashes.size != tree.size:
        raise LogError(f"record {index} is not in a tree of {tree.size} records")
    if hashes.root_with(0, tree.size, (index, index + 1), record_hash(data)) != tree.hash:
        raise LogError(f"record {index} is not in the signed tree of {tree.size} records: the inclusion proof fails")


def check_extends(older: Tree, newer: Tree, hashes: TileHashes) -> None:
    """That `newer` (whose tiles `hashes` reads) contains `older` as its prefix (tlog.CheckTree); LogError if
    the log forked."""
    if older.size > newer.size or hashes.size != newer.size:
        raise LogError("the older tree is larger than the newer one")
    if older.size == 0:
        return
    pieces, lo = [], 0
    while lo < older.size:
        size = 1 << ((older.size - lo).bit_length() - 1)
        value = hashes.stored(size.bit_length() - 1, lo // size)
        if hashes.root_with(0, newer.size, (lo, lo + size), value) != newer.hash:
            raise LogError(f"the tile hashes do not lead to the signed tree of {newer.size} records")
        pieces.append(value)
        lo += size
    root = pieces[-1]
    for piece in reversed(pieces[:-1]):
        root = node_hash(piece, root)
    if root != older.hash:
        raise LogError(f"the signed tree of {newer.size} records does not extend the one of {older.size} records "
                       "seen before: the checksum database forked")
