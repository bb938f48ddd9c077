//! Keyword collisions: pairs of live keywords that overlap once folded.
//!
//! - `contained`: one folded key occurs inside another (黄片 inside 三黄片): any text the longer
//!   keyword intercepts, the shorter one already does, so the longer adds nothing.
//! - `same_key`: two keywords fold to the same key. Dedup refuses this on writes, so it arises
//!   only from rows that predate the current fold profile (see `lexset refold`); each row says
//!   whether the two risks differ and whether they meet only through traditional → simplified
//!   conversion.
//!
//! Cost: one Aho-Corasick automaton over the distinct keys, then one overlapping scan per key.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;

/// A keyword as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedKeyword {
    pub id: i64,
    pub term: String,
    pub risk: String,
    /// Folded with the profile.
    pub key: String,
    /// Folded with the profile minus traditional → simplified conversion.
    pub key_without_chinese_conversion: String,
}

/// How two keywords collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollisionKind {
    /// `shorter`'s key occurs inside `longer`'s.
    Contained,
    /// Both fold to the same key.
    SameKey {
        different_risks: bool,
        through_chinese_conversion: bool,
    },
}

/// One colliding pair, by index into the analysed slice. For `Contained`, `first` is the
/// shorter keyword; for `SameKey`, the one listed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collision {
    pub kind: CollisionKind,
    pub first: usize,
    pub second: usize,
}

/// Every collision among `keywords`, containment first, each group in input order.
pub fn collisions(keywords: &[KeyedKeyword]) -> Vec<Collision> {
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, keyword) in keywords.iter().enumerate() {
        by_key.entry(keyword.key.as_str()).or_default().push(index);
    }
    let mut keys: Vec<&str> = by_key.keys().copied().collect();
    keys.sort_unstable();
    let mut found = Vec::new();
    if let Ok(automaton) = AhoCorasick::new(&keys) {
        for (longer, keyword) in keywords.iter().enumerate() {
            for hit in automaton.find_overlapping_iter(keyword.key.as_str()) {
                let key = keys[hit.pattern().as_usize()];
                if key.len() == keyword.key.len() {
                    continue;
                }
                for &shorter in &by_key[key] {
                    found.push(Collision {
                        kind: CollisionKind::Contained,
                        first: shorter,
                        second: longer,
                    });
                }
            }
        }
    }
    found.sort_by_key(|c| (c.second, c.first));
    found.dedup();
    for key in keys {
        let group = &by_key[key];
        for (i, &first) in group.iter().enumerate() {
            for &second in &group[i + 1..] {
                let (a, b) = (&keywords[first], &keywords[second]);
                found.push(Collision {
                    kind: CollisionKind::SameKey {
                        different_risks: a.risk != b.risk,
                        through_chinese_conversion: a.key_without_chinese_conversion
                            != b.key_without_chinese_conversion,
                    },
                    first,
                    second,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::FoldProfile;

    fn keyed(id: i64, term: &str, risk: &str) -> KeyedKeyword {
        let with = FoldProfile::shipped().unwrap();
        let without = FoldProfile::shipped_without_chinese_conversion().unwrap();
        KeyedKeyword {
            id,
            term: term.to_owned(),
            risk: risk.to_owned(),
            key: with.fold(term),
            key_without_chinese_conversion: without.fold(term),
        }
    }

    #[test]
    fn finds_containment_after_folding() {
        let keywords = [
            keyed(1, "黄片", "A.1.f"),
            keyed(2, "三黃片", "A.1.f"),
            keyed(3, "台独", "A.1.c"),
        ];
        assert_eq!(
            collisions(&keywords),
            [Collision {
                kind: CollisionKind::Contained,
                first: 0,
                second: 1
            }]
        );
    }

    #[test]
    fn same_keys_say_why() {
        let keywords = [
            keyed(1, "台独", "A.1.c"),
            keyed(2, "臺獨", "A.1.c"),
            keyed(3, "ＦＬＧ", "A.1.a"),
            keyed(4, "flg", "A.1.h"),
        ];
        let found = collisions(&keywords);
        assert!(found.contains(&Collision {
            kind: CollisionKind::SameKey {
                different_risks: false,
                through_chinese_conversion: true
            },
            first: 0,
            second: 1,
        }));
        assert!(found.contains(&Collision {
            kind: CollisionKind::SameKey {
                different_risks: true,
                through_chinese_conversion: false
            },
            first: 2,
            second: 3,
        }));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn nothing_collides_in_an_empty_or_distinct_lexicon() {
        assert!(collisions(&[]).is_empty());
        assert!(collisions(&[keyed(1, "甲", "A.1.a"), keyed(2, "乙", "A.1.a")]).is_empty());
    }
}
