//! A Merkle tree over the audit log, hashed as Certificate Transparency hashes it (RFC 9162 §2.1),
//! so that a tree head saved anywhere — printed, posted to a robot, kept on another disk — later
//! proves that the log was neither cut short nor rewritten, and short proofs show that an entry is
//! in the log (inclusion) and that today's log extends an older one (consistency).
//!
//! The leaves are the log's entries in `seq` order; a leaf's data is the entry's `hash` as its 64
//! lowercase hex characters ([`entry_leaf`]). The chain (`crate::audit`) is kept as it is: the tree
//! is built over it, it does not replace it. Pure functions over bytes, like the chain, so that the
//! server, the visitor's browser and an outside verifier compute the same (docs/audit-log.md).

use sha2::{Digest as _, Sha256};

/// A node or leaf hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The leaf of an audit entry whose hash is `entry_hash` (hex, as stored).
pub fn entry_leaf(entry_hash: &str) -> Hash {
    leaf_hash(entry_hash.as_bytes())
}

/// The hash of an inner node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (for `n` ≥ 2): where RFC 9162 splits a tree.
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The Merkle tree hash (MTH) of `leaves`, already leaf-hashed.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// A run of consecutive leaves, `start..start + len`, as RFC 9162's recursion cuts the tree: a
/// proof is a list of the Merkle tree hashes of such runs. Where a run begins, the tree is cut at
/// a power of two at least as large as the run, so a run is a few perfect subtrees side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub len: u64,
}

/// A perfect subtree: the `2^level` leaves from `index · 2^level`, whose root a stored tree keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Node {
    pub level: u32,
    pub index: u64,
}

impl Span {
    /// The perfect subtrees the run is made of, left to right, largest first: one per set bit of
    /// its length.
    pub fn nodes(self) -> Vec<Node> {
        let mut out = Vec::new();
        let mut start = self.start;
        for level in (0..u64::BITS).rev() {
            if self.len >> level & 1 == 1 {
                out.push(Node {
                    level,
                    index: start >> level,
                });
                start += 1 << level;
            }
        }
        out
    }

    /// The run's Merkle tree hash from the roots of its perfect subtrees, as `node` gives them.
    pub fn root_with(self, mut node: impl FnMut(Node) -> Hash) -> Hash {
        let roots: Vec<Hash> = self.nodes().into_iter().map(&mut node).collect();
        let mut peaks = roots.iter().rev();
        let Some(last) = peaks.next() else {
            return empty_root();
        };
        peaks.fold(*last, |right, left| node_hash(left, &right))
    }
}

/// The runs whose hashes make the audit path of leaf `index` in a tree of `size` leaves (RFC 9162
/// §2.1.3.1), leaf to root; `None` when the index is outside the tree.
pub fn inclusion_spans(index: u64, size: u64) -> Option<Vec<Span>> {
    if index >= size {
        return None;
    }
    let mut out = Vec::new();
    let (mut start, mut len, mut i) = (0u64, size, index);
    // Top-down, then reversed: the path is listed from the leaf up.
    while len > 1 {
        let k = split64(len);
        if i < k {
            out.push(Span {
                start: start + k,
                len: len - k,
            });
            len = k;
        } else {
            out.push(Span { start, len: k });
            start += k;
            len -= k;
            i -= k;
        }
    }
    out.reverse();
    Some(out)
}

/// The runs whose hashes make the proof that the tree of the first `old_size` leaves is a prefix
/// of the tree of `size` (RFC 9162 §2.1.4.1); `None` when `old_size` is beyond the tree. Empty
/// when the sizes are equal or the old tree is empty.
pub fn consistency_spans(old_size: u64, size: u64) -> Option<Vec<Span>> {
    if old_size > size {
        return None;
    }
    let mut out = Vec::new();
    if old_size == 0 || old_size == size {
        return Some(out);
    }
    let (mut start, mut len, mut m, mut whole) = (0u64, size, old_size, true);
    loop {
        if m == len {
            if !whole {
                out.push(Span { start, len });
            }
            break;
        }
        let k = split64(len);
        if m <= k {
            out.push(Span {
                start: start + k,
                len: len - k,
            });
            len = k;
        } else {
            out.push(Span { start, len: k });
            start += k;
            len -= k;
            m -= k;
            whole = false;
        }
    }
    out.reverse();
    Some(out)
}

/// [`split`] for sizes counted in `u64`.
fn split64(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// The hashes of `spans` over leaves held in memory.
fn span_roots(leaves: &[Hash], spans: Vec<Span>) -> Vec<Hash> {
    let at = |s: u64| usize::try_from(s).unwrap_or(usize::MAX);
    spans
        .into_iter()
        .map(|s| root(&leaves[at(s.start)..at(s.start + s.len)]))
        .collect()
}

/// The audit path of leaf `index` in the tree of `leaves` (RFC 9162 §2.1.3.1), leaf to root;
/// `None` when the index is outside the tree.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    let spans = inclusion_spans(index as u64, leaves.len() as u64)?;
    Some(span_roots(leaves, spans))
}

/// Whether `proof` shows that `leaf` is leaf `index` of the tree of `size` leaves whose root is
/// `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode, mut r) = (index, size - 1, *leaf);
    for p in proof {
        if snode == 0 {
            return false;
        }
        r = if climb(&mut fnode, &mut snode) {
            node_hash(p, &r)
        } else {
            node_hash(&r, p)
        };
    }
    snode == 0 && r == *root
}

/// One step up the tree in RFC 9162's proof checks, with `fnode` the node's index and `snode`
/// the last node's at the current level: whether the next proof hash is a left sibling. Moves
/// both indexes up past the levels where the node is the last one and has no sibling.
fn climb(fnode: &mut u64, snode: &mut u64) -> bool {
    let left = *fnode & 1 == 1 || *fnode == *snode;
    if left {
        while *fnode & 1 == 0 && *fnode != 0 {
            *fnode >>= 1;
            *snode >>= 1;
        }
    }
    *fnode >>= 1;
    *snode >>= 1;
    left
}

/// The proof that the tree of the first `old_size` of `leaves` is a prefix of the tree of all of
/// them (RFC 9162 §2.1.4.1); `None` when `old_size` is beyond the tree. Empty when the sizes are
/// equal or the old tree is empty.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Option<Vec<Hash>> {
    let spans = consistency_spans(old_size as u64, leaves.len() as u64)?;
    Some(span_roots(leaves, spans))
}

/// Whether `proof` shows that the tree of `old_size` leaves with root `old_root` is a prefix of
/// the tree of `new_size` leaves with root `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        // The empty tree is a prefix of every tree.
        return proof.is_empty();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return false;
        }
        if climb(&mut fnode, &mut snode) {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
        } else {
            sr = node_hash(&sr, c);
        }
    }
    fr == *old_root && sr == *new_root && snode == 0
}

/// The tree kept as leaves are appended: only the roots of its perfect subtrees, largest first
/// (one per set bit of the size), so an append costs one hash on average and the root at any
/// moment `log₂ n` more. `lianfang verify` builds it while it re-hashes the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    peaks: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The frontier of a tree of `size` leaves from the roots of its perfect subtrees, largest
    /// first, as [`Frontier::peak_nodes`] names them (a stored tree gives them); `None` when
    /// there are not as many as the size has set bits.
    pub fn from_peaks(size: u64, peaks: Vec<Hash>) -> Option<Self> {
        (peaks.len() == size.count_ones() as usize).then_some(Self { size, peaks })
    }

    /// The perfect subtrees whose roots are the frontier of a tree of `size` leaves.
    pub fn peak_nodes(size: u64) -> Vec<Node> {
        Span {
            start: 0,
            len: size,
        }
        .nodes()
    }

    /// Appends a leaf (already leaf-hashed).
    pub fn push(&mut self, leaf: Hash) {
        self.push_with(leaf, |_, _| {});
    }

    /// Appends a leaf and hands `stored` the leaf and every perfect subtree it completes, as
    /// nodes with their roots: what a stored tree writes for the append.
    pub fn push_with(&mut self, leaf: Hash, mut stored: impl FnMut(Node, &Hash)) {
        let mut h = leaf;
        let mut n = self.size;
        let mut level = 0;
        stored(Node { level, index: n }, &h);
        while n & 1 == 1 {
            // A full pair: the left peak and the new one become one peak a level up.
            let left = self.peaks.pop().unwrap_or_else(empty_root);
            h = node_hash(&left, &h);
            n >>= 1;
            level += 1;
            stored(Node { level, index: n }, &h);
        }
        self.peaks.push(h);
        self.size += 1;
    }

    /// How many leaves the tree holds.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree as it stands.
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        let Some(last) = peaks.next() else {
            return empty_root();
        };
        peaks.fold(*last, |right, left| node_hash(left, &right))
    }
}

/// A tree head: the size of the log and its root, as saved outside the server and compared later.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TreeHead {
    pub size: u64,
    /// The root as 64 lowercase hex characters.
    pub root: String,
}

/// Why a log does not extend a saved head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadMismatch {
    /// The log holds fewer entries than the head did: its newest entries were cut off.
    Truncated { head_size: u64, entries: u64 },
    /// The first `size` entries no longer hash to the head's root: an entry was rewritten.
    Rewritten { size: u64 },
}

impl std::fmt::Display for HeadMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeadMismatch::Truncated { head_size, entries } => write!(
                f,
                "审计记录被截断：保存的树头含 {head_size} 条记录，现只有 {entries} 条"
            ),
            HeadMismatch::Rewritten { size } => {
                write!(f, "前 {size} 条审计记录与保存的树头不符：其中有记录被改写")
            }
        }
    }
}

/// Follows a log as it is re-hashed, building its tree, and checks it against heads saved
/// earlier: the root of its first `head.size` entries must be each head's root, and there must be
/// at least that many. One tree for any number of heads.
#[derive(Debug, Clone)]
pub struct HeadCheck {
    heads: Vec<TreeHead>,
    /// Indexes into `heads`, by size; `next` is the first whose size is not reached yet.
    by_size: Vec<usize>,
    next: usize,
    seen: Vec<Option<String>>,
    tree: Frontier,
}

impl HeadCheck {
    pub fn new(heads: Vec<TreeHead>) -> Self {
        let mut by_size: Vec<usize> = (0..heads.len()).collect();
        by_size.sort_by_key(|&i| heads[i].size);
        let mut check = Self {
            seen: vec![None; heads.len()],
            heads,
            by_size,
            next: 0,
            tree: Frontier::new(),
        };
        check.note_reached();
        check
    }

    fn note_reached(&mut self) {
        while let Some(&i) = self.by_size.get(self.next) {
            if self.heads[i].size != self.tree.size() {
                break;
            }
            self.seen[i] = Some(hex::encode(self.tree.root()));
            self.next += 1;
        }
    }

    /// The next entry's hash, in `seq` order.
    pub fn push(&mut self, entry_hash: &str) {
        self.tree.push(entry_leaf(entry_hash));
        self.note_reached();
    }

    /// The tree over every entry pushed.
    pub fn tree(&self) -> &Frontier {
        &self.tree
    }

    /// The verdict on each head, in the order given, once every entry has been pushed.
    pub fn finish(&self) -> Vec<Result<(), HeadMismatch>> {
        self.heads
            .iter()
            .zip(&self.seen)
            .map(|(head, seen)| match seen {
                None => Err(HeadMismatch::Truncated {
                    head_size: head.size,
                    entries: self.tree.size(),
                }),
                Some(root) if !root.eq_ignore_ascii_case(&head.root) => {
                    Err(HeadMismatch::Rewritten { size: head.size })
                }
                Some(_) => Ok(()),
            })
            .collect()
    }
}

/// The bytes a signed tree head's Ed25519 signature covers: the tree's size, its root (64
/// lowercase hex) and the time it was issued (milliseconds since the Unix epoch), as four lines
/// of ASCII. Written out so that an outside verifier rebuilds it from the head's three fields
/// (docs/audit-log.md).
pub fn head_message(size: u64, root: &str, issued_at: i64) -> String {
    format!("lianfang tree head v1\nsize {size}\nroot {root}\nissued_at {issued_at}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{entry_hash, Verifier, GENESIS};

    /// The leaves of RFC 6962's test vectors (as Certificate Transparency's implementations test).
    fn vector_leaves() -> Vec<Hash> {
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        data.iter().map(|d| leaf_hash(d)).collect()
    }

    #[test]
    fn roots_match_the_published_vectors() {
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = vector_leaves();
        let mut frontier = Frontier::new();
        assert_eq!(
            hex::encode(root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        for (n, want) in expected.iter().enumerate() {
            assert_eq!(hex::encode(root(&leaves[..=n])), *want, "size {}", n + 1);
            frontier.push(leaves[n]);
            assert_eq!(hex::encode(frontier.root()), *want, "frontier {}", n + 1);
        }
    }

    /// Leaves that look like entry hashes: deterministic, different for every index.
    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| entry_leaf(&hex::encode(leaf_hash(&i.to_le_bytes()))))
            .collect()
    }

    #[test]
    fn every_inclusion_proof_verifies_and_an_altered_one_fails() {
        for n in 1..=40usize {
            let leaves = leaves(n);
            let r = root(&leaves);
            for i in 0..n {
                let proof = inclusion_proof(&leaves, i).expect("index inside");
                // ⌈log₂ n⌉ hashes at most: 20 (640 bytes) for a million entries.
                let depth = (usize::BITS - (n - 1).leading_zeros()) as usize;
                assert!(
                    proof.len() <= depth,
                    "{} hashes for {n} leaves",
                    proof.len()
                );
                let (i64_, n64) = (i as u64, n as u64);
                assert!(
                    verify_inclusion(i64_, n64, &leaves[i], &proof, &r),
                    "{i}/{n}"
                );
                // Another leaf, another index, a changed hash, a missing hash: all fail.
                let other = leaves[(i + 1) % n];
                assert!(n == 1 || !verify_inclusion(i64_, n64, &other, &proof, &r));
                if n > 1 {
                    assert!(!verify_inclusion(
                        (i64_ + 1) % n64,
                        n64,
                        &leaves[i],
                        &proof,
                        &r
                    ));
                    let mut bent = proof.clone();
                    bent[0][0] ^= 1;
                    assert!(!verify_inclusion(i64_, n64, &leaves[i], &bent, &r));
                    assert!(!verify_inclusion(i64_, n64, &leaves[i], &proof[1..], &r));
                }
            }
            assert!(inclusion_proof(&leaves, n).is_none());
            assert!(!verify_inclusion(n as u64, n as u64, &leaves[0], &[], &r));
        }
    }

    /// What a stored tree gives: the root of a perfect subtree, from the leaves.
    fn perfect(leaves: &[Hash], node: Node) -> Hash {
        let start = usize::try_from(node.index << node.level).expect("small");
        root(&leaves[start..start + (1usize << node.level)])
    }

    #[test]
    fn every_proof_run_is_perfect_subtrees_a_stored_tree_holds() {
        for n in 1..=40u64 {
            let leaves = leaves(n as usize);
            let mut spans: Vec<Span> = (0..n)
                .flat_map(|i| inclusion_spans(i, n).expect("inside"))
                .chain((0..=n).flat_map(|m| consistency_spans(m, n).expect("inside")))
                .collect();
            spans.push(Span { start: 0, len: n });
            for span in spans {
                let mut next = span.start;
                for node in span.nodes() {
                    // Aligned, side by side, inside the tree.
                    assert_eq!(node.index << node.level, next, "{span:?} in {n}");
                    next += 1 << node.level;
                }
                assert_eq!(next, span.start + span.len, "{span:?} in {n}");
                let (a, b) = (span.start as usize, (span.start + span.len) as usize);
                assert_eq!(
                    span.root_with(|node| perfect(&leaves, node)),
                    root(&leaves[a..b]),
                    "{span:?} in {n}"
                );
            }
        }
        // A frontier rebuilt from a stored tree's peaks goes on as the original does, and
        // names the nodes a stored tree writes.
        for n in 0..=40u64 {
            let leaves = leaves(n as usize + 3);
            let peaks: Vec<Hash> = Frontier::peak_nodes(n)
                .into_iter()
                .map(|node| perfect(&leaves, node))
                .collect();
            let mut frontier = Frontier::from_peaks(n, peaks).expect("as many peaks as set bits");
            for (i, leaf) in leaves.iter().enumerate().skip(n as usize) {
                frontier.push_with(*leaf, |node, hash| {
                    assert_eq!(perfect(&leaves, node), *hash, "{node:?}");
                    assert_eq!(
                        (node.index + 1) << node.level,
                        i as u64 + 1,
                        "{node:?} ends at the leaf"
                    );
                });
            }
            assert_eq!(frontier.root(), root(&leaves));
        }
        assert_eq!(Frontier::from_peaks(3, vec![empty_root()]), None);
        // At a million entries: 20 runs for an inclusion proof, none of more than 20 subtrees.
        let spans = inclusion_spans(123_456, 1_000_000).expect("inside");
        assert_eq!(spans.len(), 20);
        assert!(spans.iter().all(|s| s.nodes().len() <= 20));
        assert_eq!(inclusion_spans(5, 5), None);
        assert_eq!(consistency_spans(6, 5), None);
    }

    #[test]
    fn every_consistency_proof_verifies_and_fails_after_a_rewrite() {
        for n in 1..=34usize {
            let leaves = leaves(n);
            let new_root = root(&leaves);
            for m in 0..=n {
                let old_root = root(&leaves[..m]);
                let proof = consistency_proof(&leaves, m).expect("old inside new");
                let (m64, n64) = (m as u64, n as u64);
                assert!(
                    verify_consistency(m64, n64, &old_root, &new_root, &proof),
                    "{m}→{n}"
                );
                if m == 0 {
                    continue;
                }
                // A rewrite of any one of the old leaves gives a root no proof reconciles.
                for changed in 0..m {
                    let mut rewritten = leaves.clone();
                    rewritten[changed] = leaf_hash(b"rewritten");
                    let rewritten_root = root(&rewritten);
                    let proof = consistency_proof(&rewritten, m).expect("inside");
                    assert!(
                        !verify_consistency(m64, n64, &old_root, &rewritten_root, &proof),
                        "rewrite of {changed} in {m}→{n}"
                    );
                }
                if m < n {
                    let mut bent = proof.clone();
                    bent[0][31] ^= 0x80;
                    assert!(!verify_consistency(m64, n64, &old_root, &new_root, &bent));
                    assert!(!verify_consistency(m64, n64, &old_root, &new_root, &[]));
                }
            }
            assert!(consistency_proof(&leaves, n + 1).is_none());
            assert!(!verify_consistency(
                n as u64 + 1,
                n as u64,
                &new_root,
                &new_root,
                &[]
            ));
        }
    }

    /// A log of `n` chained entries, as the server writes them.
    fn log(n: i64) -> Vec<crate::audit::Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let payload = format!("{{\"n\":{seq}}}");
                let hash = entry_hash(seq, 1_000 + seq, "k", Some(1), "s", &payload, &prev);
                let e = crate::audit::Entry {
                    seq,
                    at: 1_000 + seq,
                    kind: "k".to_owned(),
                    actor: Some(1),
                    subject: "s".to_owned(),
                    payload,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn chain_verifies(entries: &[crate::audit::Entry]) -> bool {
        let mut v = Verifier::new();
        entries.iter().all(|e| v.check(e).is_ok())
    }

    fn head_of(entries: &[crate::audit::Entry]) -> TreeHead {
        let mut f = Frontier::new();
        for e in entries {
            f.push(entry_leaf(&e.hash));
        }
        TreeHead {
            size: f.size(),
            root: hex::encode(f.root()),
        }
    }

    fn against(head: &TreeHead, entries: &[crate::audit::Entry]) -> Result<(), HeadMismatch> {
        let mut check = HeadCheck::new(vec![head.clone(), head_of(&[])]);
        for e in entries {
            check.push(&e.hash);
        }
        let mut verdicts = check.finish();
        assert_eq!(
            verdicts.pop(),
            Some(Ok(())),
            "an empty head is extended by any log"
        );
        verdicts.remove(0)
    }

    #[test]
    fn a_saved_head_catches_what_the_chain_alone_does_not() {
        let entries = log(50);
        let head = head_of(&entries[..40]);
        // The log has grown since the head was saved: it still extends it.
        assert_eq!(against(&head, &entries), Ok(()));

        // Cutting off the newest entries leaves a chain that verifies…
        let cut = &entries[..35];
        assert!(chain_verifies(cut));
        // …but not the head.
        assert_eq!(
            against(&head, cut),
            Err(HeadMismatch::Truncated {
                head_size: 40,
                entries: 35
            })
        );

        // Rewriting an old entry and recomputing every hash after it also verifies as a chain…
        let mut rewritten = entries.clone();
        rewritten[9].payload = "{\"n\":999}".to_owned();
        let mut prev = rewritten[8].hash.clone();
        for e in &mut rewritten[9..] {
            e.prev_hash = prev.clone();
            e.hash = entry_hash(e.seq, e.at, &e.kind, e.actor, &e.subject, &e.payload, &prev);
            prev = e.hash.clone();
        }
        assert!(chain_verifies(&rewritten));
        // …but not the head.
        assert_eq!(
            against(&head, &rewritten),
            Err(HeadMismatch::Rewritten { size: 40 })
        );
        // A rewrite after the head's size is not the head's to see; the chain's hashes moved on.
        let mut late = entries.clone();
        late[45].payload = "{}".to_owned();
        assert_eq!(against(&head, &late[..40]), Ok(()));

        // An empty head is extended by any log.
        assert_eq!(against(&head_of(&[]), &entries), Ok(()));
    }
}
