//! Matching with a build artefact, against the raw automata it could have used.
//!
//! With 100 000 keywords from `../shared/data` (the konsheng lexicon plus separator / width
//! variants, as in the dedup bench) compiled into an artefact, and ≥ 10 MB of Chinese text
//! (the Flames prompts repeated), one run measures:
//! - the headline: the time of raw daachorse (charwise, overlapping, counting matches) over the
//!   pre-folded text ÷ the time of `Filter::find` (fold, overlapping match, allow-list, hits
//!   with spans in the original text) over the original text: one input, plain times, the
//!   two timed alternately. MB/s figures are printed beside them, each saying whether it
//!   counts original or folded bytes (folding shortens this text, so MB/s over different byte
//!   counts would not compare);
//! - fold with offsets alone, and fold with offsets then raw daachorse as two passes;
//! - raw aho-corasick, overlapping, on the same pre-folded text;
//! - compile time and artefact size for 100 000 and 1 000 000 keywords, beside the raw UTF-8
//!   size of the terms.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench matching`.

mod support;
use support::{data_dir, flames_prompts, matching_setup, mb_per_s, median, numbered_keywords};

use lexset::services::builds::compile;
use lexset_filter::Filter;

fn main() {
    let data = data_dir();
    let (dedup, risks, base) = matching_setup(&data);

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

    // The headline pair, timed alternately (RUNS each) so that both see the same machine
    // state; the ratio is of plain times on the same input text.
    const RUNS: usize = 9;
    let mut filter_times = Vec::with_capacity(RUNS);
    let mut daachorse_times = Vec::with_capacity(RUNS);
    let (mut hits, mut daachorse_hits) = (0, 0);
    for _ in 0..RUNS {
        let (time, found) = median(1, || filter.find(&text).len());
        filter_times.push(time);
        hits = found;
        let (time, found) = median(1, || daachorse.find_overlapping_iter(&folded).count());
        daachorse_times.push(time);
        daachorse_hits = found;
    }
    let filter_time = middle(&mut filter_times);
    let daachorse_time = middle(&mut daachorse_times);
    // Sorted by `middle`: the fastest of each, less disturbed by other load on the machine.
    let fastest_ratio = daachorse_times[0].as_secs_f64() / filter_times[0].as_secs_f64();
    println!(
        "input: {:.2} MB of Chinese text ({} bytes), {:.2} MB once folded ({} bytes)",
        text.len() as f64 / 1e6,
        text.len(),
        folded.len() as f64 / 1e6,
        folded.len(),
    );
    println!(
        "Filter::find on the original text (fold + overlapping match + spans): {:.1} ms, {:.0} MB/s of original bytes ({hits} hits)",
        filter_time.as_secs_f64() * 1e3,
        mb_per_s(text.len(), filter_time),
    );
    println!(
        "raw daachorse (charwise, overlapping, count only) on the pre-folded text: {:.1} ms, {:.0} MB/s of folded bytes ({daachorse_hits} hits)",
        daachorse_time.as_secs_f64() * 1e3,
        mb_per_s(folded.len(), daachorse_time),
    );
    println!(
        "HEADLINE time ratio, raw daachorse time ÷ Filter::find time (medians of {RUNS} alternating runs, same input text): {:.3}×",
        daachorse_time.as_secs_f64() / filter_time.as_secs_f64()
    );
    println!("the same ratio of the fastest of the {RUNS} runs each: {fastest_ratio:.3}×");

    let (offsets_time, _) = median(5, || {
        filter.fold_table().fold_with_offsets(&text).text.len()
    });
    println!(
        "fold with offsets alone: {:.1} ms, {:.0} MB/s of original bytes",
        offsets_time.as_secs_f64() * 1e3,
        mb_per_s(text.len(), offsets_time)
    );
    let (two_pass_time, _) = median(5, || {
        let folded = filter.fold_table().fold_with_offsets(&text);
        daachorse.find_overlapping_iter(&folded.text).count()
    });
    println!(
        "two passes, fold with offsets then raw daachorse (no hits built): {:.1} ms; raw daachorse time ÷ this: {:.3}×",
        two_pass_time.as_secs_f64() * 1e3,
        daachorse_time.as_secs_f64() / two_pass_time.as_secs_f64()
    );
    let aho = aho_corasick::AhoCorasick::new(&patterns).expect("aho-corasick");
    let (aho_time, aho_hits) = median(5, || aho.find_overlapping_iter(folded.as_str()).count());
    println!(
        "raw aho-corasick (overlapping, count only) on the pre-folded text: {:.1} ms, {:.0} MB/s of folded bytes ({aho_hits} hits)",
        aho_time.as_secs_f64() * 1e3,
        mb_per_s(folded.len(), aho_time)
    );
}

/// The median of `times`.
fn middle(times: &mut [std::time::Duration]) -> std::time::Duration {
    times.sort();
    times[times.len() / 2]
}
