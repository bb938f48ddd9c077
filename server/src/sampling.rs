//! Drawing question sets: stratified random samples and the 登记 composer.
//!
//! Pure: candidates in, the chosen ids (or what the candidates lack) out. Invariants:
//! - the same seed and the same candidates (in any order) give the same ids: candidates are
//!   sorted by id, strata visited in code order, and every draw comes from one ChaCha8 stream
//!   seeded with the recorded seed, shuffled by this module's own Fisher–Yates (ChaCha's
//!   output is fixed by its specification and the shuffle is ours, so a recorded seed keeps
//!   drawing the same sample across releases of lexset and of its crates; a test pins it);
//! - within a stratum, candidates marked `used_before` come after the others, so the 登记
//!   composer prefers questions no earlier set holds and takes used ones only when the fresh
//!   run out (samplers mark none: they leave out the sets they are told to, and no others);
//! - nothing is chosen when anything is short: the caller gets every shortfall at once.
//!
//! Cost: O(n log n) in the candidates (one sort, one shuffle per stratum).

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::Serialize;

use crate::domain::field_error::{FieldError, one_of};
use crate::domain::status::{ExpectedBehavior, QuestionKind};
use crate::messages::msg;

/// What a sampler knows of an approved question.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub kind: QuestionKind,
    pub risk: Option<String>,
    pub aspect: Option<String>,
    pub high_risk: bool,
    pub behavior: Option<ExpectedBehavior>,
    /// A member of an earlier (live) set.
    pub used_before: bool,
}

/// What a sample is stratified by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stratum {
    Risk,
    Aspect,
    Kind,
}

impl Stratum {
    pub const ALL: [Stratum; 3] = [Self::Risk, Self::Aspect, Self::Kind];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Risk => "risk",
            Self::Aspect => "aspect",
            Self::Kind => "kind",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        one_of(
            "stratify_by",
            msg!("noun_stratum"),
            &Self::ALL,
            Self::as_str,
            raw,
        )
    }

    /// The candidate's stratum code: a risk code, an aspect code or a kind; questions without
    /// one (an aspect of a generation question) fall in no stratum and are never drawn.
    fn of(self, candidate: &Candidate) -> Option<String> {
        match self {
            Self::Risk => candidate.risk.clone(),
            Self::Aspect => candidate.aspect.clone(),
            Self::Kind => Some(candidate.kind.as_str().to_owned()),
        }
    }
}

/// How many a sample takes from each stratum.
#[derive(Debug, Clone, PartialEq)]
pub enum Allocation {
    /// `size` in all, shared in proportion to what each stratum offers (after the minimums).
    Proportional { size: u64 },
    /// Exactly this many from each stratum.
    Fixed { per_stratum: u64 },
}

/// A stratified sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleSpec {
    pub seed: u64,
    pub stratum: Stratum,
    pub allocation: Allocation,
    /// Strata that must be drawn from even when no candidate is in them (their shortfall is
    /// then reported): every risk for §9.3, say. Other strata are those the candidates offer.
    pub required_strata: Vec<String>,
    /// At least this many from every stratum (proportional allocation).
    pub min_per_stratum: u64,
}

/// What was wanted of which questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Wanted {
    /// Questions of the stratum (or of the whole sample: stratum `total`).
    Questions,
    /// High-risk questions.
    HighRisk,
    /// High-risk questions that expect an answer (not a refusal).
    HighRiskAnswer,
}

/// What the candidates lack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Shortfall {
    /// A stratum code (`A.2.c`, `must_refuse`, …) or `total`.
    pub stratum: String,
    pub wanted: Wanted,
    pub need: u64,
    pub have: u64,
    pub short: u64,
}

fn shortfall(stratum: &str, wanted: Wanted, need: u64, have: u64) -> Option<Shortfall> {
    (have < need).then(|| Shortfall {
        stratum: stratum.to_owned(),
        wanted,
        need,
        have,
        short: need - have,
    })
}

/// Candidates sorted by id, then per stratum (in code order) shuffled with `rng`, fresh ones
/// first.
fn shuffled_strata<'a>(
    candidates: &'a [Candidate],
    stratum_of: impl Fn(&Candidate) -> Option<String>,
    rng: &mut ChaCha8Rng,
) -> BTreeMap<String, Vec<&'a Candidate>> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by_key(|c| c.id);
    let mut strata: BTreeMap<String, Vec<&Candidate>> = BTreeMap::new();
    for candidate in sorted {
        if let Some(code) = stratum_of(candidate) {
            strata.entry(code).or_default().push(candidate);
        }
    }
    for members in strata.values_mut() {
        shuffle_fresh_first(members, rng);
    }
    strata
}

/// Fisher–Yates with a draw of 64 bits per position (the modulo's bias is below 2⁻⁴⁰ for any
/// store size).
fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn shuffle_fresh_first(members: &mut [&Candidate], rng: &mut ChaCha8Rng) {
    shuffle(members, rng);
    // Stable: keeps the shuffled order within fresh and within used.
    members.sort_by_key(|c| c.used_before);
}

/// Why a sample cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleError {
    /// The candidates lack these.
    Short(Vec<Shortfall>),
    /// The minimums of the strata alone are more than the sample's size.
    MinimumsAboveSize { minimums: u64, size: u64 },
}

/// Draws a stratified sample: the chosen ids, ascending.
pub fn sample(candidates: &[Candidate], spec: &SampleSpec) -> Result<Vec<i64>, SampleError> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut strata = shuffled_strata(candidates, |c| spec.stratum.of(c), &mut rng);
    for code in &spec.required_strata {
        strata.entry(code.clone()).or_default();
    }
    let mut shortfalls = Vec::new();
    let allocated: BTreeMap<&String, u64> = match spec.allocation {
        Allocation::Fixed { per_stratum } => strata
            .iter()
            .map(|(code, members)| {
                let have = members.len() as u64;
                shortfalls.extend(shortfall(code, Wanted::Questions, per_stratum, have));
                (code, per_stratum.min(have))
            })
            .collect(),
        Allocation::Proportional { size } => {
            let mut allocated: BTreeMap<&String, u64> = strata
                .iter()
                .map(|(code, members)| {
                    let have = members.len() as u64;
                    let need = spec.min_per_stratum;
                    shortfalls.extend(shortfall(code, Wanted::Questions, need, have));
                    (code, need.min(have))
                })
                .collect();
            let minimums = spec.min_per_stratum * strata.len() as u64;
            if minimums > size {
                return Err(SampleError::MinimumsAboveSize { minimums, size });
            }
            let taken: u64 = allocated.values().sum();
            let offered: u64 = strata.values().map(|m| m.len() as u64).sum();
            shortfalls.extend(shortfall("total", Wanted::Questions, size, offered));
            let remaining = size.saturating_sub(taken);
            let spare: Vec<(&String, u64)> = strata
                .iter()
                .map(|(code, members)| (code, members.len() as u64 - allocated[code]))
                .collect();
            for (code, extra) in largest_remainder(&spare, remaining) {
                *allocated.entry(code).or_default() += extra;
            }
            allocated
        }
    };
    if !shortfalls.is_empty() {
        return Err(SampleError::Short(shortfalls));
    }
    let mut chosen: Vec<i64> = strata
        .iter()
        .flat_map(|(code, members)| {
            let take = allocated.get(code).copied().unwrap_or(0) as usize;
            members[..take].iter().map(|c| c.id)
        })
        .collect();
    chosen.sort_unstable();
    Ok(chosen)
}

/// Shares `total` among `weights` in proportion (Hamilton's method: floors, then one more to
/// the largest remainders, ties to the earlier code); never more than a weight.
fn largest_remainder<'a>(weights: &[(&'a String, u64)], total: u64) -> Vec<(&'a String, u64)> {
    let sum: u64 = weights.iter().map(|(_, w)| w).sum();
    if sum == 0 {
        return Vec::new();
    }
    let total = total.min(sum);
    let mut shares: Vec<(&String, u64, u128)> = weights
        .iter()
        .map(|&(code, weight)| {
            let exact = u128::from(weight) * u128::from(total);
            let floor = (exact / u128::from(sum)) as u64;
            (code, floor, exact % u128::from(sum))
        })
        .collect();
    let given: u64 = shares.iter().map(|(_, floor, _)| floor).sum();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| shares[b].2.cmp(&shares[a].2).then(a.cmp(&b)));
    for &index in order.iter().take((total - given) as usize) {
        shares[index].1 += 1;
    }
    shares
        .into_iter()
        .map(|(code, share, _)| (code, share))
        .collect()
}

/// The 登记 set: `size` questions, at least `min_high_risk` high-risk, at most `max_refusals`
/// expecting a refusal, and at least `min_per_risk` high-risk questions expecting an answer in
/// each of `risks`.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposeSpec {
    pub seed: u64,
    pub size: u64,
    pub min_high_risk: u64,
    pub max_refusals: u64,
    pub risks: Vec<String>,
    pub min_per_risk: u64,
}

/// How many questions expecting a refusal the composer has taken, and may.
struct RefusalBudget<'a> {
    taken: &'a mut u64,
    most: u64,
}

impl RefusalBudget<'_> {
    /// Moves from `rest` to `chosen`, in `rest`'s order, each candidate `wanted` keeps until
    /// `enough(chosen, high-risk among chosen)` holds, while the refusal budget allows it.
    fn take<'c>(
        &mut self,
        chosen: &mut Vec<&'c Candidate>,
        rest: &mut Vec<&'c Candidate>,
        wanted: impl Fn(&Candidate) -> bool,
        enough: impl Fn(usize, usize) -> bool,
    ) {
        let mut high_risk = chosen.iter().filter(|c| c.high_risk).count();
        let mut kept = Vec::with_capacity(rest.len());
        for candidate in rest.drain(..) {
            let refuses = candidate.behavior == Some(ExpectedBehavior::Refuse);
            if !enough(chosen.len(), high_risk)
                && wanted(candidate)
                && (!refuses || *self.taken < self.most)
            {
                *self.taken += u64::from(refuses);
                high_risk += usize::from(candidate.high_risk);
                chosen.push(candidate);
            } else {
                kept.push(candidate);
            }
        }
        *rest = kept;
    }
}

/// Composes the 登记 set from `candidates` (approved questions that carry 预期输出结果 and
/// 判定标准): first each risk's high-risk answer questions, then high-risk questions up to
/// the minimum, then any question; a question expecting a refusal is taken only while the
/// refusal budget lasts. Returns the chosen ids, ascending.
pub fn compose(candidates: &[Candidate], spec: &ComposeSpec) -> Result<Vec<i64>, Vec<Shortfall>> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let refuses = |c: &Candidate| c.behavior == Some(ExpectedBehavior::Refuse);
    let mut shortfalls = Vec::new();
    let mut chosen: Vec<&Candidate> = Vec::new();

    let by_risk = shuffled_strata(
        candidates,
        |c| {
            (c.high_risk && !refuses(c))
                .then(|| c.risk.clone())
                .flatten()
        },
        &mut rng,
    );
    for risk in &spec.risks {
        let members = by_risk.get(risk).map(Vec::as_slice).unwrap_or_default();
        let have = members.len() as u64;
        shortfalls.extend(shortfall(
            risk,
            Wanted::HighRiskAnswer,
            spec.min_per_risk,
            have,
        ));
        chosen.extend(&members[..spec.min_per_risk.min(have) as usize]);
    }

    let mut rest: Vec<&Candidate> = {
        let mut taken: Vec<i64> = chosen.iter().map(|c| c.id).collect();
        taken.sort_unstable();
        let mut rest: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| taken.binary_search(&c.id).is_err())
            .collect();
        rest.sort_by_key(|c| c.id);
        rest
    };
    shuffle_fresh_first(&mut rest, &mut rng);
    let mut refusals = 0;
    let high_risk_count = |chosen: &[&Candidate]| chosen.iter().filter(|c| c.high_risk).count();
    let min_high_risk = spec.min_high_risk.min(spec.size) as usize;
    let mut budget = RefusalBudget {
        taken: &mut refusals,
        most: spec.max_refusals,
    };
    budget.take(
        &mut chosen,
        &mut rest,
        |c| c.high_risk,
        |len, high_risk| high_risk >= min_high_risk || len as u64 >= spec.size,
    );
    shortfalls.extend(shortfall(
        "total",
        Wanted::HighRisk,
        spec.min_high_risk,
        high_risk_count(&chosen) as u64,
    ));
    budget.take(
        &mut chosen,
        &mut rest,
        |_| true,
        |len, _| len as u64 >= spec.size,
    );
    shortfalls.extend(shortfall(
        "total",
        Wanted::Questions,
        spec.size,
        chosen.len() as u64,
    ));
    if !shortfalls.is_empty() {
        return Err(shortfalls);
    }
    let mut ids: Vec<i64> = chosen.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: i64, risk: &str, high_risk: bool, behavior: ExpectedBehavior) -> Candidate {
        Candidate {
            id,
            kind: if behavior == ExpectedBehavior::Refuse {
                QuestionKind::MustRefuse
            } else {
                QuestionKind::Generation
            },
            risk: Some(risk.to_owned()),
            aspect: None,
            high_risk,
            behavior: Some(behavior),
            used_before: false,
        }
    }

    fn store(per_risk: i64, risks: &[&str]) -> Vec<Candidate> {
        let mut out = Vec::new();
        for (r, risk) in risks.iter().enumerate() {
            for i in 0..per_risk {
                let id = r as i64 * 1000 + i;
                let behavior = if i % 10 == 0 {
                    ExpectedBehavior::Refuse
                } else {
                    ExpectedBehavior::Answer
                };
                out.push(candidate(id, risk, i % 2 == 0, behavior));
            }
        }
        out
    }

    fn proportional(seed: u64, size: u64) -> SampleSpec {
        SampleSpec {
            seed,
            stratum: Stratum::Risk,
            allocation: Allocation::Proportional { size },
            required_strata: Vec::new(),
            min_per_stratum: 0,
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_ids_whatever_the_candidates_order() {
        let mut candidates = store(100, &["A.1.a", "A.1.b", "A.2.c"]);
        let first = sample(&candidates, &proportional(7, 50)).unwrap();
        candidates.reverse();
        assert_eq!(sample(&candidates, &proportional(7, 50)).unwrap(), first);
        assert_ne!(sample(&candidates, &proportional(8, 50)).unwrap(), first);
        assert_eq!(first.len(), 50);
    }

    #[test]
    fn proportional_allocation_follows_the_strata_sizes_after_the_minimums() {
        let mut candidates = store(90, &["A.1.a"]);
        candidates.extend(store(10, &["A.1.b"]).into_iter().map(|mut c| {
            c.id += 50_000;
            c
        }));
        let mut spec = proportional(1, 20);
        spec.min_per_stratum = 5;
        let ids = sample(&candidates, &spec).unwrap();
        let in_b = ids.iter().filter(|&&id| id >= 50_000).count();
        // 5 each first, then 10 shared 85 : 5 → 9.4 and 0.6 → 9 and 1.
        assert_eq!((ids.len(), in_b), (20, 6));
    }

    #[test]
    fn shortfalls_name_each_stratum_and_choose_nothing() {
        let candidates = store(10, &["A.1.a"]);
        let mut spec = proportional(1, 30);
        spec.required_strata = vec!["A.1.a".into(), "A.2.i".into()];
        spec.min_per_stratum = 2;
        let Err(SampleError::Short(shortfalls)) = sample(&candidates, &spec) else {
            panic!("a shortfall")
        };
        let named: Vec<(&str, u64)> = shortfalls
            .iter()
            .map(|s| (s.stratum.as_str(), s.short))
            .collect();
        assert_eq!(named, [("A.2.i", 2), ("total", 20)]);
        let fixed = SampleSpec {
            allocation: Allocation::Fixed { per_stratum: 12 },
            ..proportional(1, 0)
        };
        let SampleError::Short(short) = sample(&candidates, &fixed).unwrap_err() else {
            panic!("a shortfall")
        };
        assert_eq!(short[0].short, 2);
        spec.min_per_stratum = 20;
        assert_eq!(
            sample(&candidates, &spec).unwrap_err(),
            SampleError::MinimumsAboveSize {
                minimums: 40,
                size: 30
            }
        );
    }

    /// A recorded seed must draw the same questions in every later release: these ids were
    /// drawn when the sampler was written. A change here breaks every recorded seed.
    const GOLDEN_IDS: [i64; 6] = [5, 18, 21, 1017, 1018, 1028];

    #[test]
    fn a_recorded_seed_keeps_drawing_the_same_ids() {
        let candidates = store(30, &["A.1.a", "A.2.c"]);
        let ids = sample(&candidates, &proportional(20_261_206, 6)).unwrap();
        assert_eq!(ids, GOLDEN_IDS);
    }

    #[test]
    fn fresh_questions_come_before_used_ones() {
        let mut candidates = store(40, &["A.1.a"]);
        for c in candidates.iter_mut().filter(|c| c.id % 2 == 0) {
            c.used_before = true;
        }
        let ids = sample(&candidates, &proportional(3, 20)).unwrap();
        assert!(ids.iter().all(|id| id % 2 == 1), "{ids:?}");
    }

    fn registration(risks: &[&str], size: u64) -> ComposeSpec {
        ComposeSpec {
            seed: 9,
            size,
            min_high_risk: size / 2,
            max_refusals: size / 20,
            risks: risks.iter().map(|r| r.to_string()).collect(),
            min_per_risk: 2,
        }
    }

    #[test]
    fn the_composer_meets_every_bound_it_can() {
        let risks = ["A.1.a", "A.2.c", "A.3.a"];
        let candidates = store(100, &risks);
        let spec = registration(&risks[..2], 200);
        let ids = compose(&candidates, &spec).unwrap();
        let picked: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| ids.binary_search(&c.id).is_ok())
            .collect();
        assert_eq!(picked.len(), 200);
        assert!(picked.iter().filter(|c| c.high_risk).count() >= 100);
        let refusals = picked
            .iter()
            .filter(|c| c.behavior == Some(ExpectedBehavior::Refuse))
            .count();
        assert!(refusals <= 10, "{refusals}");
        assert_eq!(compose(&candidates, &spec).unwrap(), ids);
    }

    #[test]
    fn the_composer_names_what_the_store_lacks() {
        let candidates = store(20, &["A.1.a"]);
        let shortfalls = compose(&candidates, &registration(&["A.1.a", "A.2.c"], 100)).unwrap_err();
        let named: Vec<(&str, Wanted, u64)> = shortfalls
            .iter()
            .map(|s| (s.stratum.as_str(), s.wanted, s.short))
            .collect();
        // 20 questions: 10 high-risk (2 of them expect a refusal), 5 refusals allowed.
        assert_eq!(
            named,
            [
                ("A.2.c", Wanted::HighRiskAnswer, 2),
                ("total", Wanted::HighRisk, 40),
                ("total", Wanted::Questions, 80),
            ]
        );
    }
}
