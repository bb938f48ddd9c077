//! Chinese word segmentation: the one jieba dictionary the process shares.
//!
//! Loading the default dictionary takes ~0.3 s and ~30 MB, so it is built once, on first use.
//! Callers segment folded text: jieba segments traditional characters badly.

use std::sync::OnceLock;

use jieba_rs::Jieba;

/// The shared jieba segmenter with its default dictionary.
pub fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}
