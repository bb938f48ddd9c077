//! The search tokenizer: fold, then jieba, with offsets in the source text.
//!
//! Every alphanumeric character of the folded text is a token at its own position (its
//! character index), and every jieba search-mode word of two or more characters is one more
//! token at the position of its first character. A query word then matches either as a whole
//! word or as a phrase of its characters, which is a substring of the folded text: recall does
//! not hang on jieba cutting the query and the entry alike (反对台独立场 may be cut 台|独立).
//! Offsets point into the source text, so snippets highlight what the annotator wrote.
//!
//! Cost: one fold (table-driven), one jieba pass, and about two tokens per character.

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::fold::FoldProfile;
use crate::segmentation::jieba;

/// The name the index registers [`FoldedJieba`] under.
pub const NAME: &str = "lexset_folded_jieba";

/// Index-side tokenizer: characters and search-mode words of the folded text.
#[derive(Clone)]
pub struct FoldedJieba {
    pub profile: Arc<FoldProfile>,
}

impl Tokenizer for FoldedJieba {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens {
            tokens: index_tokens(&self.profile, text),
            next: 0,
        }
    }
}

/// Tokens computed in one go, handed out in order.
pub struct Tokens {
    tokens: Vec<Token>,
    /// Index of the token after the current one.
    next: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn has_alphanumeric(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
}

/// The index tokens of `text`, ordered by position (then length), without repeats.
pub fn index_tokens(profile: &FoldProfile, text: &str) -> Vec<Token> {
    let folded = profile.table.fold_with_offsets(text);
    // (position, characters, folded byte range)
    let mut spans: Vec<(usize, usize, std::ops::Range<usize>)> = folded
        .text
        .char_indices()
        .enumerate()
        .filter(|(_, (_, c))| c.is_alphanumeric())
        .map(|(position, (at, c))| (position, 1, at..at + c.len_utf8()))
        .collect();
    spans.extend(
        jieba()
            .cut_for_search(&folded.text, true)
            .into_iter()
            .filter(|word| word.end - word.start >= 2 && has_alphanumeric(word.word))
            .map(|word| {
                (
                    word.start,
                    word.end - word.start,
                    word.byte_start..word.byte_end,
                )
            }),
    );
    spans.sort_by_key(|span| (span.0, span.1));
    spans.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
    let mut cursor = folded.cursor();
    spans
        .into_iter()
        .map(|(position, _, range)| {
            let source = cursor.source_range(range.clone());
            Token {
                offset_from: source.start,
                offset_to: source.end,
                position,
                text: folded.text[range].to_owned(),
                position_length: 1,
            }
        })
        .collect()
}

/// The words of a query: its folded text cut by jieba and split at punctuation (jieba may keep
/// `c#` or `a+b` whole, while the index has only their letters), each word once.
pub fn query_words(profile: &FoldProfile, query: &str) -> Vec<String> {
    let folded = profile.fold(query);
    let mut words: Vec<String> = Vec::new();
    for token in jieba().cut(&folded, true) {
        for word in token.word.split(|c: char| !c.is_alphanumeric()) {
            if !word.is_empty() && !words.iter().any(|known| known == word) {
                words.push(word.to_owned());
            }
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Arc<FoldProfile> {
        FoldProfile::shipped().expect("the shipped profile derives")
    }

    fn texts(tokens: &[Token]) -> Vec<(usize, &str)> {
        tokens
            .iter()
            .map(|t| (t.position, t.text.as_str()))
            .collect()
    }

    #[test]
    fn traditional_text_is_indexed_simplified_with_source_offsets() {
        let source = "支持臺獨嗎";
        let tokens = index_tokens(&profile(), source);
        let taidu = tokens
            .iter()
            .find(|t| t.text == "台独")
            .expect("台独 is a word");
        assert_eq!(&source[taidu.offset_from..taidu.offset_to], "臺獨");
        assert!(texts(&tokens).contains(&(2, "台")));
        assert!(texts(&tokens).contains(&(3, "独")));
    }

    #[test]
    fn positions_are_character_indices_of_the_folded_text() {
        // The zero-width space folds away; the full-width letters fold to ASCII.
        let source = "ＡＢ\u{200b}c，台独";
        let tokens = index_tokens(&profile(), source);
        let by_text: Vec<(usize, &str)> = texts(&tokens);
        assert!(by_text.contains(&(0, "a")));
        assert!(by_text.contains(&(2, "c")));
        assert!(by_text.contains(&(4, "台")));
        let c = tokens.iter().find(|t| t.text == "c").expect("c");
        assert_eq!(&source[c.offset_from..c.offset_to], "c");
        let a = tokens.iter().find(|t| t.text == "a").expect("a");
        assert_eq!(&source[a.offset_from..a.offset_to], "Ａ");
    }

    #[test]
    fn tokens_are_ordered_and_unique() {
        let tokens = index_tokens(&profile(), "中华人民共和国中华人民共和国");
        let keys: Vec<(usize, usize)> = tokens
            .iter()
            .map(|t| (t.position, t.text.chars().count()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn query_words_fold_and_drop_punctuation() {
        assert_eq!(query_words(&profile(), "臺獨！"), vec!["台独".to_owned()]);
        assert!(query_words(&profile(), "？！…").is_empty());
        // `-` is a fold separator (gpt4); other punctuation splits words.
        let words = query_words(&profile(), "GPT-4 c#语言 a+b");
        assert!(words.contains(&"gpt4".to_owned()), "{words:?}");
        assert!(
            words.iter().all(|w| w.chars().all(char::is_alphanumeric)),
            "{words:?}"
        );
    }
}
