//! `lexset-importers`: reads keyword lists and test-question sets as people really have them.
//!
//! - [`decode`]: bytes to text — UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030
//!   (the superset of GBK that Chinese Excel writes);
//! - [`table`]: text or a workbook to rows of cells — CSV with a sniffed delimiter, TXT (one
//!   entry a line), JSONL, a JSON array, XLSX (a named sheet or the first) — with the header
//!   row (or JSON keys), if any, mapped to [`columns::Column`]s through Chinese and English
//!   aliases, and a headerless file read by position (text, then risk);
//! - [`risk`]: the risk a row names, in any spelling filings use (`A.1.f`, `A.1 f) 宣扬暴力、
//!   淫秽色情`, the bare name, 一级分类 + 二级分类 columns) or through a user mapping.
//!
//! - [`formula`]: the apostrophe that keeps a spreadsheet from running a CSV cell as a formula,
//!   written by exports and undone by the CSV reader.
//!
//! Nothing here touches a database: the server turns rows into entries and writes the report.

pub mod columns;
pub mod decode;
pub mod formula;
pub mod risk;
pub mod table;
