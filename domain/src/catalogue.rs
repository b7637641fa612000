//! 风险库: the district catalogue. Similar risk points of similar posts across units are found by
//! text similarity and, once the commission confirms them, merged into one entry with a canonical
//! wording and a unified set of measures (DESIGN §8).
//!
//! Similarity is the cosine of TF-IDF vectors over each text's character bigrams, taken within
//! runs of letters and digits so that punctuation never joins two words (a run of one character
//! counts as itself). Chinese has no spaces; bigrams catch its two-character words (回扣, 招标,
//! 串通) without a dictionary, and the inverse document frequency weighs down what nearly every
//! risk says (收受, 违规). Points are compared only within one kind of power ([`PowerKind`]): a
//! procurement risk is never grouped with a penalty one. Groups grow by joining the most similar
//! pairs first (single linkage) down to [`THRESHOLD`], and a group never holds two catalogue
//! entries: merging entries is the commission's act, not the machine's. The threshold was chosen
//! on the labelled set in `catalogue/labelled.tsv` (its precision and recall are printed by the
//! test `the_labelled_set_is_grouped_with_measured_precision_and_recall`).

use std::collections::HashMap;

use crate::{
    risk::{Measure, PowerKind},
    FieldError,
};

/// The least similarity at which two texts are proposed as the same risk.
pub const THRESHOLD: f32 = 0.2;

/// Something to group: a risk point, or a catalogue entry by its canonical wording. `key` is the
/// caller's (a point's id, an entry's id).
#[derive(Debug, Clone)]
pub struct Item<K> {
    pub key: K,
    pub kind: PowerKind,
    pub text: String,
    /// A confirmed catalogue entry: a group holds at most one.
    pub entry: bool,
}

/// A proposed group: items of one kind of power that read as the same risk.
#[derive(Debug, Clone, PartialEq)]
pub struct Group<K> {
    pub kind: PowerKind,
    /// The members, the most typical first, each with its similarity to the group as a whole
    /// (the cosine with the members' centroid).
    pub members: Vec<(K, f32)>,
    /// The mean similarity of the members' pairs, from 0 to 1.
    pub score: f32,
}

/// The terms of a text: its character bigrams within runs of letters and digits.
fn terms(text: &str) -> Vec<u64> {
    fn flush(run: &mut Vec<char>, out: &mut Vec<u64>) {
        match run.len() {
            0 => {}
            1 => out.push(u64::from(run[0])),
            _ => out.extend(
                run.windows(2)
                    .map(|w| (u64::from(w[0]) << 32) | u64::from(w[1])),
            ),
        }
        run.clear();
    }
    let mut out = Vec::new();
    let mut run = Vec::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            run.extend(c.to_lowercase());
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Unit-length TF-IDF vectors of a set of texts, the set itself being the corpus the document
/// frequencies are counted in. Each vector is a list of (term, weight) sorted by term.
#[derive(Debug, Clone)]
pub struct Vectors(Vec<Vec<(u32, f32)>>);

impl Vectors {
    pub fn of<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut ids: HashMap<u64, u32> = HashMap::new();
        let counted: Vec<HashMap<u32, u32>> = texts
            .into_iter()
            .map(|text| {
                let mut counts = HashMap::new();
                for term in terms(text) {
                    let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                    *counts.entry(*ids.entry(term).or_insert(next)).or_insert(0) += 1;
                }
                counts
            })
            .collect();
        let mut df = vec![0u32; ids.len()];
        for counts in &counted {
            for &term in counts.keys() {
                df[term as usize] += 1;
            }
        }
        let n = counted.len() as f32;
        let vectors = counted
            .into_iter()
            .map(|counts| {
                let mut v: Vec<(u32, f32)> = counts
                    .into_iter()
                    .map(|(term, tf)| {
                        let idf = ((1.0 + n) / (1.0 + df[term as usize] as f32)).ln() + 1.0;
                        (term, (1.0 + (tf as f32).ln()) * idf)
                    })
                    .collect();
                let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|(_, w)| *w /= norm);
                }
                v.sort_unstable_by_key(|(term, _)| *term);
                v
            })
            .collect();
        Self(vectors)
    }

    /// The cosine similarity of the `a`-th and `b`-th texts, from 0 to 1.
    pub fn cosine(&self, a: usize, b: usize) -> f32 {
        let (x, y) = (&self.0[a], &self.0[b]);
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while i < x.len() && j < y.len() {
            match x[i].0.cmp(&y[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += x[i].1 * y[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        sum.min(1.0)
    }
}

/// Groups `items` into proposed groups of two or more, most similar first within each kind of
/// power. Items left alone are in no group. A group that holds an entry proposes adding its other
/// members to that entry; one without proposes a new entry.
pub fn group<K: Clone>(items: &[Item<K>], threshold: f32) -> Vec<Group<K>> {
    let vectors = Vectors::of(items.iter().map(|i| i.text.as_str()));
    let mut blocks: HashMap<PowerKind, Vec<usize>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        blocks.entry(item.kind).or_default().push(i);
    }
    // Every pair of a block at or above the threshold, found through an inverted index so that
    // only pairs sharing a term are scored.
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for block in blocks.values() {
        let mut postings: HashMap<u32, Vec<(usize, f32)>> = HashMap::new();
        for (at, &i) in block.iter().enumerate() {
            for &(term, w) in &vectors.0[i] {
                postings.entry(term).or_default().push((at, w));
            }
        }
        let mut sums = vec![0.0f32; block.len()];
        let mut touched = Vec::new();
        for (at, &i) in block.iter().enumerate() {
            for &(term, w) in &vectors.0[i] {
                // Postings are in block order, so the later items sharing the term are a tail.
                let list = &postings[&term];
                let start = list.partition_point(|(other, _)| *other <= at);
                for &(other, w2) in &list[start..] {
                    if sums[other] == 0.0 {
                        touched.push(other);
                    }
                    sums[other] += w * w2;
                }
            }
            for other in touched.drain(..) {
                let similarity = std::mem::take(&mut sums[other]);
                if similarity >= threshold {
                    pairs.push((similarity, i, block[other]));
                }
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));

    let mut sets = Sets::new(items.iter().map(|i| usize::from(i.entry)).collect());
    for (_, a, b) in pairs {
        sets.join(a, b);
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..items.len() {
        members.entry(sets.root(i)).or_default().push(i);
    }
    let mut groups: Vec<Group<K>> = members
        .into_values()
        .filter(|m| m.len() >= 2)
        .map(|m| summarise(items, &vectors, &m))
        .collect();
    groups.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.members.len().cmp(&a.members.len()))
    });
    groups
}

/// A group's members ranked by their similarity to the centroid, and its mean pairwise
/// similarity, which for unit vectors is (|Σv|² − m) / (m(m − 1)): no pair need be scored again.
fn summarise<K: Clone>(items: &[Item<K>], vectors: &Vectors, members: &[usize]) -> Group<K> {
    let mut centroid: HashMap<u32, f32> = HashMap::new();
    for &i in members {
        for &(term, w) in &vectors.0[i] {
            *centroid.entry(term).or_insert(0.0) += w;
        }
    }
    let squared: f32 = centroid.values().map(|w| w * w).sum();
    let norm = squared.sqrt().max(f32::EPSILON);
    let m = members.len() as f32;
    let score = ((squared - m) / (m * (m - 1.0))).clamp(0.0, 1.0);
    let mut ranked: Vec<(K, f32)> = members
        .iter()
        .map(|&i| {
            let dot: f32 = vectors.0[i]
                .iter()
                .map(|(term, w)| w * centroid.get(term).copied().unwrap_or(0.0))
                .sum();
            (items[i].key.clone(), (dot / norm).clamp(0.0, 1.0))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    Group {
        kind: items[members[0]].kind,
        members: ranked,
        score,
    }
}

/// Disjoint sets that never join two sets holding an entry each.
struct Sets {
    parent: Vec<usize>,
    entries: Vec<usize>,
}

impl Sets {
    fn new(entries: Vec<usize>) -> Self {
        Self {
            parent: (0..entries.len()).collect(),
            entries,
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b && self.entries[a] + self.entries[b] <= 1 {
            self.parent[b] = a;
            self.entries[a] += self.entries[b];
        }
    }
}

/// An entry's unified measures, as typed (the measures cell's form, `制度防范：…；监督预警：…`),
/// in their one stored form: each measure as `kind：text`, joined by `；`. Empty is allowed (the
/// commission may confirm a group before unifying its measures).
pub fn unified_measures(raw: &str) -> Result<String, FieldError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let measures = Measure::parse_cell(raw).map_err(|e| FieldError {
        field: "measures".into(),
        ..e
    })?;
    Ok(measures
        .iter()
        .map(|(kind, text)| format!("{}：{}", kind.label(), text.as_str()))
        .collect::<Vec<_>>()
        .join("；"))
}

/// The refusal of linking a point that is already in an entry: a point belongs to one entry at a
/// time (move it by unlinking it first).
pub fn already_linked(point: &str, entry: &str) -> FieldError {
    FieldError::new(
        "already_in_catalogue",
        "points",
        format!("风险点“{point}”已归入风险库条目“{entry}”，一个风险点只能归入一个条目；如需改归，请先将其移出原条目"),
    )
}

/// The refusal of a confirmation with fewer than one point to link.
pub fn no_points() -> FieldError {
    FieldError::new("required", "points", "请至少勾选一个风险点归入风险库条目")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::PowerType;

    struct Labelled {
        label: &'static str,
        item: Item<usize>,
    }

    fn labelled() -> Vec<Labelled> {
        include_str!("catalogue/labelled.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .enumerate()
            .map(|(key, line)| {
                let cells: Vec<&'static str> = line.split('\t').collect();
                Labelled {
                    label: cells[0],
                    item: Item {
                        key,
                        kind: PowerType::parse(cells[2]).unwrap().kind(),
                        text: cells[3].to_owned(),
                        entry: false,
                    },
                }
            })
            .collect()
    }

    /// Pairwise precision and recall of a grouping of the labelled set.
    fn pairwise(set: &[Labelled], threshold: f32) -> (f32, f32, usize) {
        let items: Vec<Item<usize>> = set.iter().map(|l| l.item.clone()).collect();
        let mut group_of = vec![usize::MAX; set.len()];
        for (g, group) in group(&items, threshold).iter().enumerate() {
            for (key, _) in &group.members {
                group_of[*key] = g;
            }
        }
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for a in 0..set.len() {
            for b in a + 1..set.len() {
                let predicted = group_of[a] != usize::MAX && group_of[a] == group_of[b];
                let same = set[a].label == set[b].label;
                match (predicted, same) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fn_ += 1,
                    (false, false) => {}
                }
            }
        }
        let precision = tp as f32 / (tp + fp).max(1) as f32;
        let recall = tp as f32 / (tp + fn_).max(1) as f32;
        (precision, recall, tp + fn_)
    }

    #[test]
    fn the_labelled_set_is_grouped_with_measured_precision_and_recall() {
        let set = labelled();
        for threshold in [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5] {
            let (p, r, positives) = pairwise(&set, threshold);
            println!(
                "风险库归并 阈值 {threshold:.2}：准确率 {:.1}%，召回率 {:.1}%（{} 条风险点，{positives} 对相同风险）",
                p * 100.0,
                r * 100.0,
                set.len()
            );
        }
        let (precision, recall, _) = pairwise(&set, THRESHOLD);
        println!(
            "风险库归并 采用阈值 {THRESHOLD:.2}：准确率 {:.1}%，召回率 {:.1}%",
            precision * 100.0,
            recall * 100.0
        );
        assert!(precision >= 0.85, "precision {precision}");
        assert!(recall >= 0.7, "recall {recall}");
    }

    #[test]
    fn unified_measures_are_stored_in_one_form_and_bad_ones_are_refused_by_field() {
        assert_eq!(
            unified_measures("制度防范:三方签认;监督预警：季度抽查").unwrap(),
            "制度防范：三方签认；监督预警：季度抽查"
        );
        assert_eq!(unified_measures("  ").unwrap(), "");
        assert_eq!(
            unified_measures("没有类别的措施").unwrap_err().field,
            "measures"
        );
    }

    #[test]
    fn identical_texts_are_fully_similar_and_unrelated_ones_not_at_all() {
        let v = Vectors::of(["收受供应商回扣", "收受供应商回扣", "公车私用"]);
        assert!((v.cosine(0, 1) - 1.0).abs() < 1e-5);
        assert_eq!(v.cosine(0, 2), 0.0);
    }

    #[test]
    fn a_paraphrase_is_closer_than_a_risk_that_shares_only_common_words() {
        let v = Vectors::of([
            "在药品、耗材遴选和采购中收受供应商回扣",
            "采购办公用品时指定供应商，收受回扣或好处费",
            "收受好处后对违法行为从轻、减轻或不予处罚",
            "公车私用，虚报加油和维修费用",
        ]);
        assert!(v.cosine(0, 1) > v.cosine(0, 2));
        assert!(v.cosine(0, 2) > v.cosine(0, 3));
    }

    #[test]
    fn punctuation_never_joins_two_words_into_a_term() {
        // “购，收” would be a bigram across the comma; the texts share no term.
        let v = Vectors::of(["采购", "收受"]);
        let joined = Vectors::of(["采购，收受", "购收"]);
        assert_eq!(v.cosine(0, 1), 0.0);
        assert_eq!(joined.cosine(0, 1), 0.0);
    }

    fn item(key: u32, kind: PowerKind, text: &str, entry: bool) -> Item<u32> {
        Item {
            key,
            kind,
            text: text.to_owned(),
            entry,
        }
    }

    #[test]
    fn points_of_different_kinds_of_power_are_never_grouped() {
        let items = [
            item(1, PowerKind::Procurement, "收受供应商回扣", false),
            item(2, PowerKind::Finance, "收受供应商回扣", false),
        ];
        assert!(group(&items, THRESHOLD).is_empty());
    }

    #[test]
    fn a_group_never_holds_two_entries() {
        let items = [
            item(1, PowerKind::Procurement, "采购中收受供应商回扣", true),
            item(2, PowerKind::Procurement, "采购中收受供应商回扣", true),
            item(3, PowerKind::Procurement, "采购中收受供应商的回扣", false),
        ];
        let groups = group(&items, THRESHOLD);
        assert_eq!(groups.len(), 1);
        let keys: Vec<u32> = groups[0].members.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(keys.contains(&3));
    }

    #[test]
    fn a_group_scores_the_mean_of_its_pairs_and_ranks_the_typical_member_first() {
        let items = [
            item(1, PowerKind::Procurement, "采购中收受供应商回扣", false),
            item(2, PowerKind::Procurement, "采购中收受供应商回扣", false),
            item(
                3,
                PowerKind::Procurement,
                "采购中收受供应商回扣，虚报数量",
                false,
            ),
        ];
        let v = Vectors::of(items.iter().map(|i| i.text.as_str()));
        let mean = (v.cosine(0, 1) + v.cosine(0, 2) + v.cosine(1, 2)) / 3.0;
        let groups = group(&items, 0.1);
        assert_eq!(groups.len(), 1);
        assert!(
            (groups[0].score - mean).abs() < 1e-4,
            "{} vs {mean}",
            groups[0].score
        );
        assert_eq!(groups[0].members.last().unwrap().0, 3);
    }
}
