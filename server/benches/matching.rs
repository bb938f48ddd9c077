//! Matching with a build artefact, against the raw automata it could have used.
//!
//! With 100 000 keywords from `../shared/data` (the konsheng lexicon plus separator / width
//! variants, as in the dedup bench) compiled into an artefact, and ≥ 10 MB of Chinese text
//! (the Flames prompts repeated), one run measures:
//! - fold + match MB/s of the loaded artefact (`Filter::find`: fold with offsets, overlapping
//!   daachorse scan, allow-list, spans back to the original text);
//! - raw daachorse (charwise) and raw aho-corasick, overlapping, on the same pre-folded text;
//! - compile time and artefact size for 100 000 and 1 000 000 keywords, beside the raw UTF-8
//!   size of the terms.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench matching`.

mod support;
use support::{data_dir, flames_prompts, lexicon_lines, mb_per_s, median, numbered_keywords};

use lexset::dedup::Dedup;
use lexset::dedup::near_duplicates::NearDuplicateConfig;
use lexset::fold::FoldProfile;
use lexset::services::builds::compile;
use lexset::taxonomy::Taxonomy;
use lexset_filter::Filter;

fn main() {
    let data = data_dir();
    let dedup = Dedup {
        profile: FoldProfile::shipped().expect("fold profile"),
        near_duplicates: NearDuplicateConfig::shipped().expect("settings"),
    };
    let risks: Vec<String> = Taxonomy::shipped()
        .expect("taxonomy")
        .risks
        .iter()
        .map(|r| r.code.clone())
        .collect();
    let base: Vec<String> = lexicon_lines(&data)
        .into_iter()
        .filter(|line| !line.contains('+'))
        .collect();

    for count in [100_000usize, 1_000_000] {
        let entries = numbered_keywords(&base, count, &risks);
        let raw: usize = entries.iter().map(|(term, _, _)| term.len()).sum();
        let (time, bytes) = median(3, || compile(&dedup, &risks, 1, &entries).expect("compile"));
        let table = dedup.profile.table.canonical_bytes().len();
        println!(
            "compile {count} keywords: {:.2} s; artefact {:.1} MB ({:.2}× the {:.1} MB of raw UTF-8 terms; {:.2}× without the {:.2} MB fold table)",
            time.as_secs_f64(),
            bytes.len() as f64 / 1e6,
            bytes.len() as f64 / raw as f64,
            raw as f64 / 1e6,
            (bytes.len() - table) as f64 / raw as f64,
            table as f64 / 1e6,
        );
    }

    let entries = numbered_keywords(&base, 100_000, &risks);
    let bytes = compile(&dedup, &risks, 1, &entries).expect("compile");
    if let Ok(path) = std::env::var("LEXSET_BENCH_DUMP") {
        std::fs::write(path, &bytes).expect("dump");
    }
    let (load_time, filter) = median(3, || Filter::load(&bytes).expect("load"));
    println!(
        "load + validate the 100k artefact: {:.0} ms",
        load_time.as_secs_f64() * 1e3
    );

    let prompts = flames_prompts(&data);
    let once = prompts.join("\n");
    let text = once.repeat(10_000_000 / once.len() + 1);
    let folded = dedup.profile.fold(&text);

    let (offsets_time, _) = median(5, || {
        filter.fold_table().fold_with_offsets(&text).text.len()
    });
    println!(
        "fold with offsets alone: {:.0} MB/s",
        mb_per_s(text.len(), offsets_time)
    );
    let (filter_time, hits) = median(5, || filter.find(&text).len());
    println!(
        "artefact fold + match, {:.1} MB of Chinese text: {:.0} MB/s ({hits} hits)",
        text.len() as f64 / 1e6,
        mb_per_s(text.len(), filter_time)
    );

    let patterns: Vec<String> = {
        let mut p: Vec<String> = entries
            .iter()
            .map(|(t, _, _)| dedup.profile.fold(t))
            .filter(|p| !p.is_empty())
            .collect();
        p.sort();
        p.dedup();
        p
    };
    let daachorse =
        daachorse::CharwiseDoubleArrayAhoCorasick::<u32>::new(&patterns).expect("daachorse");
    let (daachorse_time, daachorse_hits) =
        median(5, || daachorse.find_overlapping_iter(&folded).count());
    println!(
        "raw daachorse (charwise, overlapping) on pre-folded text: {:.0} MB/s ({daachorse_hits} hits)",
        mb_per_s(folded.len(), daachorse_time)
    );
    let aho = aho_corasick::AhoCorasick::new(&patterns).expect("aho-corasick");
    let (aho_time, aho_hits) = median(5, || aho.find_overlapping_iter(folded.as_str()).count());
    println!(
        "raw aho-corasick (overlapping) on pre-folded text: {:.0} MB/s ({aho_hits} hits)",
        mb_per_s(folded.len(), aho_time)
    );
    println!(
        "artefact fold + match / raw daachorse: {:.2}×",
        mb_per_s(text.len(), filter_time) / mb_per_s(folded.len(), daachorse_time)
    );
}
