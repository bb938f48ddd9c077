//! Folding and deduplication on the real public data sets in `../shared/data` (kept out of the
//! repository): fold throughput on Chinese text against OpenCC's whole-text conversion, and
//! the time to fold + dedup 100 000 keywords and 10 000 questions.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench dedup`
//! (`LEXSET_BENCH_DATA` points at another copy of the data directory).
//! Each figure is the median of several runs on one thread.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

mod support;
use support::{data_dir, flames_prompts, lexicon_lines, mb_per_s, median};

use lexset::dedup::collisions::{KeyedKeyword, collisions};
use lexset::dedup::keys::{keyword_key, question_key};
use lexset::dedup::near_duplicates::{NearDuplicateConfig, clusters, words};
use lexset::fold::FoldProfile;
use opencc_rust::{DefaultConfig, OpenCC};

fn main() {
    let data = data_dir();
    println!("data: {}", data.display());

    let start = Instant::now();
    let profile = FoldProfile::shipped().expect("fold profile");
    println!(
        "derive fold profile {} ({} mappings): {:.2} s",
        profile.id,
        profile.table.mappings().count(),
        start.elapsed().as_secs_f64()
    );
    let config = NearDuplicateConfig::shipped().expect("near-duplicate settings");

    // Fold throughput on Chinese text (the Flames prompts, repeated to 8 MB).
    let prompts = flames_prompts(&data);
    let corpus_once = prompts.join("\n");
    let corpus = corpus_once.repeat(8_000_000 / corpus_once.len() + 1);
    let (fold_time, folded) = median(7, || profile.fold(&corpus));
    println!(
        "fold table, Chinese text: {:.0} MB/s ({} MB in {:.1} ms)",
        mb_per_s(corpus.len(), fold_time),
        corpus.len() / 1_000_000,
        fold_time.as_secs_f64() * 1e3
    );
    let (offsets_time, _) = median(7, || profile.table.fold_with_offsets(&corpus));
    println!(
        "fold table with offsets: {:.0} MB/s",
        mb_per_s(corpus.len(), offsets_time)
    );
    let opencc = OpenCC::new(DefaultConfig::T2S).expect("OpenCC t2s");
    let sample = &corpus_once;
    let (opencc_time, _) = median(5, || opencc.convert(sample));
    println!(
        "OpenCC t2s whole-text conversion, same text: {:.1} MB/s",
        mb_per_s(sample.len(), opencc_time)
    );
    assert!(!folded.is_empty());

    // 100 000 keywords: the lexicon's 87k lines plus separator / full-width variants of its
    // first terms, as evasive spellings arrive in practice.
    let mut terms = lexicon_lines(&data);
    let base = terms.len();
    let mut i = 0;
    while terms.len() < 100_000 {
        let term = &terms[i % base];
        let variant = if i % 2 == 0 {
            term.chars()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("*")
        } else {
            term.chars()
                .map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' => {
                        char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
                    }
                    _ => c,
                })
                .collect()
        };
        terms.push(variant);
        i += 1;
    }
    let bytes: usize = terms.iter().map(String::len).sum();
    let (keyword_time, (unique, refused)) = median(5, || {
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(terms.len());
        let mut refused = 0;
        for (index, term) in terms.iter().enumerate() {
            match keyword_key(&profile, term) {
                Ok(key) => {
                    seen.entry(key).or_insert(index);
                }
                Err(_) => refused += 1,
            }
        }
        (seen, refused)
    });
    println!(
        "fold + exact dedup of {} keywords ({:.1} MB): {:.1} ms; {} unique keys, {} duplicates, {} fold to nothing",
        terms.len(),
        bytes as f64 / 1e6,
        keyword_time.as_secs_f64() * 1e3,
        unique.len(),
        terms.len() - unique.len() - refused,
        refused
    );
    let without = FoldProfile::shipped_without_chinese_conversion().expect("plain profile");
    let keyed: Vec<KeyedKeyword> = unique
        .iter()
        .map(|(key, &index)| KeyedKeyword {
            id: index as i64,
            term: terms[index].clone(),
            risk: "A.1.h".to_owned(),
            key: key.clone(),
            key_without_chinese_conversion: without.fold(&terms[index]),
        })
        .collect();
    let (collision_time, found) = median(3, || collisions(&keyed));
    println!(
        "collision analysis of {} unique keywords: {:.1} ms; {} contained pairs",
        keyed.len(),
        collision_time.as_secs_f64() * 1e3,
        found.len()
    );

    // 10 000 questions: each Flames prompt and nine variants (punctuation, particles,
    // traditional script, a polite prefix, reordered sentences).
    let to_traditional = OpenCC::new(DefaultConfig::S2T).expect("OpenCC s2t");
    let mut questions = Vec::with_capacity(prompts.len() * 10);
    for prompt in &prompts {
        let sentences: Vec<&str> = prompt.split_inclusive(['。', '？', '！', '，']).collect();
        let reordered: String = sentences.iter().rev().copied().collect();
        questions.extend([
            prompt.clone(),
            prompt.replace('，', ",").replace('？', "?"),
            format!("{prompt}呢"),
            format!("{prompt}吗？"),
            to_traditional.convert(prompt),
            format!("请问{prompt}"),
            reordered,
            prompt.replace('。', "！"),
            format!("{prompt}啊"),
            prompt
                .chars()
                .filter(|c| !c.is_ascii_punctuation())
                .collect(),
        ]);
    }
    let (exact_time, exact_unique) = median(3, || {
        let mut seen = HashSet::with_capacity(questions.len());
        for text in &questions {
            if let Ok(key) = question_key(&profile, text) {
                seen.insert(key);
            }
        }
        seen.len()
    });
    println!(
        "fold + exact dedup of {} questions: {:.0} ms; {} unique",
        questions.len(),
        exact_time.as_secs_f64() * 1e3,
        exact_unique
    );
    let (near_time, found) = median(3, || {
        let with_words: Vec<(i64, BTreeSet<String>)> = questions
            .iter()
            .enumerate()
            .map(|(id, text)| (id as i64, words(&profile, &config, text)))
            .collect();
        clusters(&with_words, config.threshold)
    });
    let clustered: usize = found.iter().map(|c| c.members.len()).sum();
    println!(
        "jieba + MinHash/LSH near-dup clustering of {} questions at {}: {:.0} ms; {} clusters covering {} questions",
        questions.len(),
        config.threshold,
        near_time.as_secs_f64() * 1e3,
        found.len(),
        clustered
    );
}
