#!/usr/bin/env python3
"""An independent check of Lianfang's audit log (docs/audit-log.md), standard library only.

    python3 scripts/verify-log.py lianfang.db [HEAD_FILE]
    python3 scripts/verify-log.py head HEAD.json
    python3 scripts/verify-log.py inclusion PROOF.json [HEAD.json]
    python3 scripts/verify-log.py consistency PROOF.json OLD_HEAD.json [NEW_HEAD.json]

The first form re-computes the hash chain of a copy of the database and the Merkle tree over it
(RFC 9162 hashing), prints the tree head as `lianfang verify` does, and, given a file of heads
saved earlier (one per line, as printed or as bare JSON), checks that the log still extends every
one. The others need no database, only what the server publishes (/api/transparency/…): `head`
checks a signed head's Ed25519 signature; `inclusion` checks an inclusion proof against the head
it names (or the one given), signature included; `consistency` checks that the tree of an older
head (saved from a printout, say) is a prefix of the newer one the proof leads to. Exits 1 on any
failure. It shares no code with the server: it follows the published format only.
"""

import hashlib
import json
import sqlite3
import sys

GENESIS = "0" * 64


def netstrings(fields):
    return b"".join(str(len(f)).encode() + b":" + f + b"," for f in fields)


def entry_hash(seq, at, kind, actor, subject, payload, prev_hash):
    fields = [b"lianfang-audit-v1", str(seq).encode(), str(at).encode(), kind.encode(),
              b"" if actor is None else str(actor).encode(), subject.encode(), payload.encode(),
              prev_hash.encode()]
    return hashlib.sha256(netstrings(fields)).hexdigest()


def leaf(entry_hash_hex):
    return hashlib.sha256(b"\x00" + entry_hash_hex.encode()).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The roots of the tree's perfect subtrees, largest first: one hash per append on average."""

    def __init__(self):
        self.size, self.peaks = 0, []

    def push(self, h):
        n = self.size
        while n & 1:
            h = node(self.peaks.pop(), h)
            n >>= 1
        self.peaks.append(h)
        self.size += 1

    def root(self):
        if not self.peaks:
            return hashlib.sha256(b"").digest()
        r = self.peaks[-1]
        for left in reversed(self.peaks[:-1]):
            r = node(left, r)
        return r


# Ed25519 signature verification (RFC 8032 §5.1.7), in extended coordinates.
P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _point(x, y):
    return (x, y, 1, x * y % P)


def _add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, p):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _add(q, p)
        p, s = _add(p, p), s >> 1
    return q


def _same(p, q):
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _decompress(b):
    y = int.from_bytes(b, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else _point(x, y)


_GY = 4 * pow(5, P - 2, P) % P
BASE = _point(_recover_x(_GY, 0), _GY)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _same(_mul(s, BASE), _add(r, _mul(k, a)))


def head_message(head):
    return (f"lianfang tree head v1\nsize {head['size']}\nroot {head['root']}\n"
            f"issued_at {head['issued_at']}\n").encode()


def head_signed(head):
    try:
        return ed25519_verify(bytes.fromhex(head["public_key"]), head_message(head),
                              bytes.fromhex(head["signature"]))
    except (KeyError, ValueError):
        return False


def verify_inclusion(index, size, leaf_hash, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m, n, old_root, new_root, proof):
    """RFC 9162 §2.1.4.2."""
    if m > n:
        return False
    if m == n:
        return not proof and old_root == new_root
    if m == 0:
        return not proof
    if not proof:
        return False
    path = ([old_root] if m & (m - 1) == 0 else []) + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def read_json(path):
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    return json.loads(text[text.index("{"):] if not text.startswith("{") else text)


def check_head(head, what):
    """A head from a file: its signature if it carries one. Returns whether it may be used."""
    if "signature" not in head:
        print(f"{what}: unsigned ({head['size']} entries)")
        return True
    ok = head_signed(head)
    print(f"{what}: signature {'valid' if ok else 'INVALID'} ({head['size']} entries, key {head['public_key'][:16]}…)")
    return ok


def main_head(path):
    head = read_json(path)
    head = head.get("latest", head) or head
    return 0 if check_head(head, "head") and "signature" in head else 1


def main_inclusion(path, head_path=None):
    proof = read_json(path)
    head = read_json(head_path) if head_path else proof.get("head")
    if not head or head["size"] != proof["size"]:
        print("inclusion: no head of the proof's size to check it against")
        return 1
    if not check_head(head, "head"):
        return 1
    ok = verify_inclusion(proof["seq"] - 1, proof["size"], leaf(proof["entry_hash"]),
                          [bytes.fromhex(h) for h in proof["proof"]], bytes.fromhex(head["root"]))
    print(f"inclusion of entry {proof['seq']} in {proof['size']} entries: {'valid' if ok else 'INVALID'}")
    return 0 if ok else 1


def main_consistency(path, old_path, new_path=None):
    proof = read_json(path)
    old = read_json(old_path)
    new = read_json(new_path) if new_path else proof.get("head")
    if not check_head(old, "old head"):
        return 1
    new_root = proof["to_root"]
    if new is not None:
        if not check_head(new, "new head"):
            return 1
        if new["size"] != proof["to"] or new["root"] != new_root:
            print("consistency: the proof does not lead to the new head")
            return 1
    ok = old["size"] == proof["from"] and verify_consistency(
        proof["from"], proof["to"], bytes.fromhex(old["root"]), bytes.fromhex(new_root),
        [bytes.fromhex(h) for h in proof["proof"]])
    print(f"consistency {proof['from']} -> {proof['to']} entries: {'valid' if ok else 'INVALID'}")
    return 0 if ok else 1


def read_heads(path):
    heads = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            head = json.loads(line[line.index("{"):] if "{" in line else line)
            if not (isinstance(head.get("size"), int) and len(head.get("root", "")) == 64):
                raise SystemExit(f"{path} line {n} is not a tree head")
            heads.append(head)
    return heads


def main(argv):
    modes = {"head": (main_head, 1, 1), "inclusion": (main_inclusion, 1, 2),
             "consistency": (main_consistency, 2, 3)}
    if len(argv) > 1 and argv[1] in modes:
        run, least, most = modes[argv[1]]
        if not least <= len(argv) - 2 <= most:
            raise SystemExit(__doc__)
        return run(*argv[2:])
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    heads = read_heads(argv[2]) if len(argv) == 3 else []
    roots = {h["size"]: None for h in heads}
    tree = Frontier()
    if 0 in roots:
        roots[0] = tree.root().hex()
    prev, expected = GENESIS, 1
    rows = sqlite3.connect(argv[1]).execute(
        "SELECT seq, at, kind, actor, subject, payload, prev_hash, hash FROM audit_log ORDER BY seq")
    for seq, at, kind, actor, subject, payload, prev_hash, h in rows:
        if seq != expected or prev_hash != prev or \
                entry_hash(seq, at, kind, actor, subject, payload, prev_hash) != h:
            print(f"chain broken at entry {seq}")
            return 1
        tree.push(leaf(h))
        if tree.size in roots:
            roots[tree.size] = tree.root().hex()
        prev, expected = h, expected + 1
    print(f"chain intact: {tree.size} entries; head "
          + json.dumps({"size": tree.size, "root": tree.root().hex()}, separators=(",", ":")))
    failed = 0
    for i, head in enumerate(heads, 1):
        seen = roots[head["size"]]
        if seen is None:
            print(f"head {i} ({head['size']} entries): truncated, the log holds {tree.size}")
            failed += 1
        elif seen != head["root"].lower():
            print(f"head {i} ({head['size']} entries): rewritten, the root differs")
            failed += 1
        else:
            print(f"head {i} ({head['size']} entries): extended")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
