#!/usr/bin/env python3
"""An independent check of Lianfang's audit log (docs/audit-log.md), standard library only.

    python3 scripts/verify-log.py lianfang.db [HEAD_FILE]

Re-computes the hash chain of a copy of the database and the Merkle tree over it (RFC 9162
hashing), prints the tree head as `lianfang verify` does, and, given a file of heads saved earlier
(one per line, as printed or as bare JSON), checks that the log still extends every one. Exits 1
on the first broken entry or on any head the log no longer extends. It shares no code with the
server: it follows the published format only.
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
