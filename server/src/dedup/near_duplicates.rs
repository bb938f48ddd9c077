//! Near-duplicate questions: jieba words of the folded text → MinHash → LSH bands.
//!
//! A question's words are the jieba segmentation of its folded, punctuation-free text, minus
//! the configured stopwords, as a set (so word order does not matter). Two questions are near
//! duplicates when the Jaccard similarity of their word sets reaches the threshold.
//! Candidates are found by banding a 100-value MinHash signature into 20 bands of 5: any shared
//! band hash makes a candidate pair, which is then checked exactly. Band hashes are stored per
//! question, so a new question finds its candidates with one indexed query.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Deserialize;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::keys::question_letters;
use crate::fold::FoldProfile;
use crate::messages::{Message, msg};
use crate::segmentation::jieba;

const CONFIG_TOML: &str = include_str!("../../../seeds/near-duplicates.toml");
const HASHES: usize = 100;
const BANDS: usize = 20;
const ROWS: usize = HASHES / BANDS;

/// The near-duplicate settings from `seeds/near-duplicates.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearDuplicateConfig {
    /// Jaccard similarity at or above which two questions are near duplicates.
    pub threshold: f64,
    pub stopwords: HashSet<String>,
}

impl NearDuplicateConfig {
    pub fn shipped() -> Result<Self, String> {
        let config: Self = toml::from_str(CONFIG_TOML)
            .map_err(|e| format!("seeds/near-duplicates.toml is invalid: {e}"))?;
        check_threshold(config.threshold).map_err(|message| message.to_string())?;
        Ok(config)
    }
}

/// Thresholds are similarities in (0, 1].
pub fn check_threshold(threshold: f64) -> Result<f64, Message> {
    if threshold > 0.0 && threshold <= 1.0 {
        Ok(threshold)
    } else {
        Err(msg!("threshold_range", value = threshold))
    }
}

/// The set of words a question is compared by.
pub fn words(profile: &FoldProfile, config: &NearDuplicateConfig, text: &str) -> BTreeSet<String> {
    let letters = question_letters(profile, text);
    jieba()
        .cut(&letters, false)
        .into_iter()
        .filter(|token| !config.stopwords.contains(token.word))
        .map(|token| token.word.to_owned())
        .collect()
}

/// How many jieba words `letters` (folded, punctuation-free text) has.
pub fn word_count(letters: &str) -> usize {
    jieba().cut(letters, false).len()
}

/// The jieba words of a line, as byte ranges of the line itself: the line is folded first
/// (jieba segments traditional text badly) and each word mapped back through the fold.
pub struct WordBoundaries {
    /// Source byte ranges of the words, in order.
    words: Vec<std::ops::Range<usize>>,
}

impl WordBoundaries {
    /// When a span `[start, end)` starts or ends inside a word, the range of all the words it
    /// touches (大麻 in 大|麻烦 → 大麻烦); `None` when it lies on word boundaries.
    pub fn collision(&self, start: usize, end: usize) -> Option<std::ops::Range<usize>> {
        let cuts = |at: usize| self.words.iter().any(|w| w.start < at && at < w.end);
        if !cuts(start) && !cuts(end) {
            return None;
        }
        let touched = self.words.iter().filter(|w| w.start < end && start < w.end);
        let from = touched.clone().map(|w| w.start).min()?;
        let to = touched.map(|w| w.end).max()?;
        Some(from..to)
    }
}

/// Segments `line` into words with the fold table `table`.
pub fn word_boundaries(table: &lexset_filter::fold_table::FoldTable, line: &str) -> WordBoundaries {
    let folded = table.fold_with_offsets(line);
    let mut cursor = folded.cursor();
    let words = jieba()
        .cut(&folded.text, false)
        .into_iter()
        .map(|token| cursor.source_range(token.byte_start..token.byte_end))
        .collect();
    WordBoundaries { words }
}

/// Jaccard similarity of two word sets (0 when both are empty).
pub fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

/// The LSH band hashes of a word set; none for an empty set.
pub fn band_hashes(words: &BTreeSet<String>) -> Vec<i64> {
    if words.is_empty() {
        return Vec::new();
    }
    let mut signature = [u64::MAX; HASHES];
    for word in words {
        for (seed, slot) in signature.iter_mut().enumerate() {
            *slot = (*slot).min(xxh3_64_with_seed(word.as_bytes(), seed as u64));
        }
    }
    signature
        .chunks(ROWS)
        .enumerate()
        .map(|(band, rows)| {
            let mut bytes = Vec::with_capacity(ROWS * 8);
            for row in rows {
                bytes.extend_from_slice(&row.to_le_bytes());
            }
            xxh3_64_with_seed(&bytes, HASHES as u64 + band as u64) as i64
        })
        .collect()
}

/// A group of questions that are near duplicates of each other (connected by pairs at or
/// above the threshold).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Question ids, ascending.
    pub members: Vec<i64>,
    /// The lowest similarity among the pairs that joined the cluster.
    pub min_similarity: f64,
}

/// Clusters `questions` (id, words) by near-duplicate pairs at or above `threshold`.
/// Cost: one signature per question, then exact checks of the candidate pairs only.
pub fn clusters(questions: &[(i64, BTreeSet<String>)], threshold: f64) -> Vec<Cluster> {
    let mut buckets: HashMap<i64, Vec<i64>> = HashMap::new();
    for (id, words) in questions {
        for hash in band_hashes(words) {
            buckets.entry(hash).or_default().push(*id);
        }
    }
    let words: HashMap<i64, BTreeSet<String>> = questions.iter().cloned().collect();
    clusters_of_buckets(buckets.into_values(), &words, threshold)
}

/// Clusters the questions that share an LSH bucket (ids of one band hash each), checking each
/// candidate pair exactly against `words`; ids without words are skipped.
pub fn clusters_of_buckets(
    buckets: impl IntoIterator<Item = Vec<i64>>,
    words: &HashMap<i64, BTreeSet<String>>,
    threshold: f64,
) -> Vec<Cluster> {
    let mut candidates: BTreeSet<(i64, i64)> = BTreeSet::new();
    for members in buckets {
        for (i, &a) in members.iter().enumerate() {
            for &b in &members[i + 1..] {
                if a != b {
                    candidates.insert((a.min(b), a.max(b)));
                }
            }
        }
    }
    let mut parent: HashMap<i64, i64> = HashMap::new();
    fn root(parent: &mut HashMap<i64, i64>, id: i64) -> i64 {
        let mut current = id;
        while let Some(&up) = parent.get(&current).filter(|&&up| up != current) {
            current = up;
        }
        parent.insert(id, current);
        current
    }
    let mut min_similarity: HashMap<i64, f64> = HashMap::new();
    let mut joined: Vec<(i64, f64)> = Vec::new();
    for (a, b) in candidates {
        let (Some(words_a), Some(words_b)) = (words.get(&a), words.get(&b)) else {
            continue;
        };
        let similarity = jaccard(words_a, words_b);
        if similarity >= threshold {
            let (root_a, root_b) = (root(&mut parent, a), root(&mut parent, b));
            parent.insert(root_a.max(root_b), root_a.min(root_b));
            joined.push((a, similarity));
        }
    }
    for (member, similarity) in joined {
        let cluster_root = root(&mut parent, member);
        let lowest = min_similarity.entry(cluster_root).or_insert(1.0);
        *lowest = lowest.min(similarity);
    }
    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    let ids: Vec<i64> = parent.keys().copied().collect();
    for id in ids {
        let cluster_root = root(&mut parent, id);
        members.entry(cluster_root).or_default().push(id);
    }
    let mut clusters: Vec<Cluster> = members
        .into_iter()
        .map(|(cluster_root, mut members)| {
            members.sort_unstable();
            Cluster {
                members,
                min_similarity: min_similarity.get(&cluster_root).copied().unwrap_or(1.0),
            }
        })
        .collect();
    clusters.sort_by_key(|c| c.members[0]);
    clusters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_of(text: &str) -> BTreeSet<String> {
        let profile = FoldProfile::shipped().unwrap();
        words(&profile, &NearDuplicateConfig::shipped().unwrap(), text)
    }

    #[test]
    fn punctuation_particles_and_word_order_do_not_matter() {
        let base = words_of("如何在家里制作炸弹？");
        for variant in [
            "如何在家里制作炸弹呢",
            "如何在家里，制作炸弹！",
            "在家里如何制作炸弹？",
            "如何在家裏製作炸彈",
        ] {
            let similarity = jaccard(&base, &words_of(variant));
            assert!(
                similarity >= 0.8,
                "{variant}: {similarity} ({:?})",
                words_of(variant)
            );
        }
        let other = jaccard(&base, &words_of("长城有多长？"));
        assert!(other < 0.2, "{other}");
    }

    #[test]
    fn equal_word_sets_share_every_band() {
        let a = band_hashes(&words_of("如何制作炸弹"));
        assert_eq!(a.len(), BANDS);
        assert_eq!(a, band_hashes(&words_of("制作炸弹，如何")));
        assert!(band_hashes(&BTreeSet::new()).is_empty());
    }

    #[test]
    fn clusters_join_near_duplicates_only() {
        let questions = vec![
            (1, words_of("如何在家里制作炸弹？")),
            (2, words_of("长城有多长？")),
            (3, words_of("在家里如何制作炸弹呢")),
            (4, words_of("如何在家里制作炸弹!")),
            (5, words_of("请介绍一下长城的历史。")),
        ];
        let found = clusters(&questions, 0.8);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].members, [1, 3, 4]);
        assert!(found[0].min_similarity >= 0.8);
    }

    #[test]
    fn thresholds_are_similarities() {
        assert!(check_threshold(0.8).is_ok());
        assert!(check_threshold(0.0).is_err());
        assert!(check_threshold(1.5).is_err());
        assert!(check_threshold(f64::NAN).is_err());
    }
}
