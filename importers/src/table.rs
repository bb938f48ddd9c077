//! Files to rows of cells, with the header row (if any) mapped to columns.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read};

use calamine::{Data, Reader};
use serde_json::Value;

use crate::columns::{Column, recognise};
use crate::decode::{DecodeError, decode};
use crate::formula;

/// A file format lexset reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// One entry a line.
    Txt,
    /// JSON Lines: objects with recognised keys, or strings.
    Jsonl,
    /// One JSON array of objects with recognised keys, or of strings.
    Json,
    Xlsx,
}

impl Format {
    /// Every name a format goes by, as a `format` parameter or a file name's extension.
    pub const NAMES: [(&'static str, Format); 8] = [
        ("csv", Self::Csv),
        ("tsv", Self::Csv),
        ("txt", Self::Txt),
        ("jsonl", Self::Jsonl),
        ("ndjson", Self::Jsonl),
        ("json", Self::Json),
        ("xlsx", Self::Xlsx),
        ("xlsm", Self::Xlsx),
    ];

    /// The format called `name` (lower case, one of [`Self::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, format)| *format)
    }

    /// The format a file name's extension names (any case).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let (_, extension) = name.rsplit_once('.')?;
        Self::from_name(&extension.to_ascii_lowercase())
    }

    /// The format `bytes` look like, for a file that comes with neither a format nor a file
    /// name: a ZIP archive is a workbook; text (in any encoding [`decode`] reads) that opens
    /// a JSON array of objects or strings is JSON; text whose first line is a JSON object or
    /// string is JSON Lines; text whose first line holds a delimiter the CSV reader knows (`,`
    /// `;` tab `|`) is CSV; other text is one entry a line.
    pub fn sniff(bytes: &[u8]) -> Self {
        if bytes.starts_with(b"PK\x03\x04") {
            return Self::Xlsx;
        }
        let Ok((text, _)) = decode(bytes) else {
            return Self::Txt;
        };
        if opens_json_array(&text) {
            return Self::Json;
        }
        let first_line = text.lines().map(str::trim).find(|line| !line.is_empty());
        let Some(first_line) = first_line else {
            return Self::Txt;
        };
        let json = serde_json::from_str::<serde_json::Value>(first_line);
        if json.is_ok_and(|value| value.is_object() || value.is_string()) {
            Self::Jsonl
        } else if first_line.contains([',', ';', '\t', '|']) {
            Self::Csv
        } else {
            Self::Txt
        }
    }
}

/// Whether `text` begins, after white space, with `[` and then `{`, `"` or `]`: a JSON array
/// of objects or strings. Looking past the bracket keeps a list whose first entry is `[广告]`
/// (a keyword, not JSON) one entry a line.
fn opens_json_array(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('[')
        .is_some_and(|rest| rest.trim_start().starts_with(['{', '"', ']']))
}

/// One input row: its line (or sheet row) number, its cells, and why it is unreadable if it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
    pub malformed: Option<String>,
}

/// A file read into rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The column of each cell position, when the file has a recognised header row.
    pub columns: Vec<Option<Column>>,
    pub rows: Vec<Row>,
    /// The text encoding detected (`xlsx` for workbooks).
    pub encoding: &'static str,
}

impl Table {
    /// The cell of `row` in `column`, trimmed, if not empty. A file with a term column but no
    /// question column (or the reverse) serves either.
    ///
    /// Without a header row (`columns` empty) cells stand by position, as one- and
    /// two-column lists are published: the first is the term or question, the second its
    /// risk, or its aspect for a question that must not be refused; no other column is
    /// answered.
    pub fn cell<'a>(&self, row: &'a Row, column: Column) -> Option<&'a str> {
        let position = |wanted: Column| self.columns.iter().position(|c| *c == Some(wanted));
        let index = if self.columns.is_empty() {
            match column {
                Column::Term | Column::Question => 0,
                Column::Risk | Column::Aspect => 1,
                _ => return None,
            }
        } else {
            match column {
                Column::Term => position(Column::Term).or_else(|| position(Column::Question))?,
                Column::Question => {
                    position(Column::Question).or_else(|| position(Column::Term))?
                }
                other => position(other)?,
            }
        };
        row.cells
            .get(index)
            .map(|cell| cell.trim())
            .filter(|cell| !cell.is_empty())
    }

    /// The cells of `row` that may name its risk in some spelling (a code, a filing's
    /// spelling, a name, a user's label), trimmed, non-empty and in column order: those of
    /// columns that [`Column::may_classify`] and of unrecognised columns, cells past the
    /// header included; without a header row, every cell but the first. Text columns
    /// (question, answers, notes …) and yes/no flags are never yielded, so that a question
    /// that happens to spell a risk's name is not read as one.
    pub fn classification_cells<'a>(&'a self, row: &'a Row) -> impl Iterator<Item = &'a str> {
        let headerless = self.columns.is_empty();
        row.cells
            .iter()
            .enumerate()
            .filter(move |(index, _)| {
                if headerless {
                    *index > 0
                } else {
                    let column = self.columns.get(*index).copied().flatten();
                    column.is_none_or(Column::may_classify)
                }
            })
            .map(|(_, cell)| cell.trim())
            .filter(|cell| !cell.is_empty())
    }
}

/// Why a file cannot be read at all (single rows that cannot are reported as malformed).
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("the workbook cannot be read: {0}")]
    Workbook(String),
    #[error("the workbook has no sheet `{0}`")]
    NoSheet(String),
    /// A JSON file that is not valid JSON or not an array, or a JSON or JSON Lines file whose
    /// objects have more than [`MAX_COLUMNS`] distinct keys.
    #[error("the JSON file cannot be read: {0}")]
    Json(String),
    /// The workbook inflates past [`MAX_WORKBOOK_BYTES`] (a zip bomb, or a lexicon too large
    /// for one upload).
    #[error("the workbook inflates to more than {} MiB", MAX_WORKBOOK_BYTES >> 20)]
    WorkbookTooLarge,
    /// More rows than [`MAX_ROWS`].
    #[error("the file has more than {MAX_ROWS} rows")]
    TooManyRows,
}

/// The most a workbook may inflate to, all its parts together.
pub const MAX_WORKBOOK_BYTES: u64 = 512 << 20;
/// The most rows one file may hold.
pub const MAX_ROWS: usize = 1_000_000;
/// The most cells of one row a sheet may have, and the most distinct keys the objects of a
/// JSON or JSON Lines file may have; beyond it the file is refused rather than read (a
/// sheet's declared size is no limit: a cell at XFD1048576 makes a huge grid).
pub const MAX_COLUMNS: u32 = 1_000;

/// Reads `bytes` as `format`; `sheet` picks an XLSX sheet by name (default: the first whose header names a term or question column).
pub fn read(bytes: &[u8], format: Format, sheet: Option<&str>) -> Result<Table, TableError> {
    let table = read_any(bytes, format, sheet)?;
    if table.rows.len() > MAX_ROWS {
        return Err(TableError::TooManyRows);
    }
    Ok(table)
}

fn read_any(bytes: &[u8], format: Format, sheet: Option<&str>) -> Result<Table, TableError> {
    match format {
        Format::Xlsx => read_xlsx(bytes, sheet),
        Format::Csv => {
            let (text, encoding) = decode(bytes)?;
            Ok(with_header(read_csv(&text), encoding))
        }
        Format::Txt => {
            let (text, encoding) = decode(bytes)?;
            let rows = text
                .lines()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty())
                .map(|(i, line)| Row {
                    line: i + 1,
                    cells: vec![line.trim().to_owned()],
                    malformed: None,
                })
                .collect();
            Ok(Table {
                columns: Vec::new(),
                rows,
                encoding,
            })
        }
        Format::Jsonl => {
            let (text, encoding) = decode(bytes)?;
            read_jsonl(&text, encoding)
        }
        Format::Json => {
            let (text, encoding) = decode(bytes)?;
            read_json_array(&text, encoding)
        }
    }
}

/// The delimiter that splits the first lines most consistently (`,` `\t` `;` `|`).
fn sniff_delimiter(text: &str) -> u8 {
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(10)
        .collect();
    // `max_by_key` keeps the last of equals: the most common delimiter comes last.
    [b'|', b';', b'\t', b',']
        .into_iter()
        .max_by_key(|&delimiter| {
            let counts: Vec<usize> = sample
                .iter()
                .map(|line| line.bytes().filter(|b| *b == delimiter).count())
                .collect();
            let lines_with = counts.iter().filter(|c| **c > 0).count();
            let consistent = counts.windows(2).filter(|w| w[0] == w[1]).count();
            (lines_with, consistent)
        })
        .unwrap_or(b',')
}

/// Line numbers from byte offsets, for offsets that only grow.
struct LineCounter<'a> {
    text: &'a str,
    byte: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn line_at(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if byte > self.byte {
            self.line += self.text.as_bytes()[self.byte..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.byte = byte;
        }
        self.line
    }
}

fn read_csv(text: &str) -> Vec<Row> {
    // csv reports record positions inconsistently after CRLF; LF-only text numbers lines right.
    let normalized = text.replace("\r\n", "\n");
    let text = normalized.as_str();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut lines = LineCounter {
        text,
        byte: 0,
        line: 1,
    };
    reader
        .records()
        .filter_map(|record| match record {
            Ok(record) => {
                // Counting through the byte after the position covers a position at the
                // preceding newline as well as one at the record's first byte.
                let line = record
                    .position()
                    .map_or(0, |p| lines.line_at(p.byte() as usize + 1));
                // Exports neutralise formula-like cells; read them back as they were stored.
                let cells: Vec<String> = record
                    .iter()
                    .map(|c| formula::restore(c.trim()).to_owned())
                    .collect();
                (!cells.iter().all(String::is_empty)).then_some(Row {
                    line,
                    cells,
                    malformed: None,
                })
            }
            Err(error) => Some(Row {
                line: error
                    .position()
                    .map_or(0, |p| lines.line_at(p.byte() as usize + 1)),
                cells: Vec::new(),
                malformed: Some(error.to_string()),
            }),
        })
        .collect()
}

/// Takes the first row as the header when it names at least one known column.
fn with_header(mut rows: Vec<Row>, encoding: &'static str) -> Table {
    let header = rows.first().map(|row| {
        row.cells
            .iter()
            .map(|cell| recognise(cell))
            .collect::<Vec<_>>()
    });
    let columns = match header {
        Some(columns) if columns.iter().any(Option::is_some) => {
            rows.remove(0);
            columns
        }
        _ => Vec::new(),
    };
    Table {
        columns,
        rows,
        encoding,
    }
}

/// JSON values to rows, for JSON Lines (a value a line) and JSON arrays (a value an element).
/// Invariants: an object's keys are columns, numbered as they are first met and recognised
/// like a header row; a string is a row whose one cell is in the `term` column
/// (which answers for the question too, see [`Table::cell`]); any other value is a malformed
/// row naming its place. A row's cells stop at its last key: [`Table::cell`] reads a missing
/// cell as an empty one.
struct JsonRows {
    /// What a row's number counts, for messages: `line` or `element`.
    unit: &'static str,
    positions: HashMap<String, usize>,
    keys: Vec<String>,
    rows: Vec<Row>,
}

impl JsonRows {
    fn new(unit: &'static str) -> Self {
        Self {
            unit,
            positions: HashMap::new(),
            keys: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Adds the row of `value`, found at `line`; refuses a key past [`MAX_COLUMNS`].
    fn push(&mut self, line: usize, value: Value) -> Result<(), TableError> {
        let object = match value {
            Value::Object(object) => object,
            Value::String(text) => [("term".to_owned(), Value::String(text))]
                .into_iter()
                .collect(),
            other => {
                let problem = format!(
                    "{} {line} is {}, neither an object nor a string",
                    self.unit,
                    json_kind(&other)
                );
                self.malformed(line, problem);
                return Ok(());
            }
        };
        let mut cells = Vec::new();
        for (key, value) in object {
            let position = self.position(key)?;
            if cells.len() <= position {
                cells.resize(position + 1, String::new());
            }
            cells[position] = match value {
                Value::String(text) => text,
                Value::Null => String::new(),
                other => other.to_string(),
            };
        }
        self.rows.push(Row {
            line,
            cells,
            malformed: None,
        });
        Ok(())
    }

    fn malformed(&mut self, line: usize, problem: String) {
        self.rows.push(Row {
            line,
            cells: Vec::new(),
            malformed: Some(problem),
        });
    }

    /// The cell position of `key`, numbering it if it is new.
    fn position(&mut self, key: String) -> Result<usize, TableError> {
        if let Some(position) = self.positions.get(&key) {
            return Ok(*position);
        }
        // Each distinct key widens the table: bound it as a sheet's columns are bounded.
        if self.keys.len() >= MAX_COLUMNS as usize {
            return Err(TableError::Json(format!(
                "its objects have more than {MAX_COLUMNS} distinct keys"
            )));
        }
        let position = self.keys.len();
        self.positions.insert(key.clone(), position);
        self.keys.push(key);
        Ok(position)
    }

    fn into_table(self, encoding: &'static str) -> Table {
        Table {
            columns: self.keys.iter().map(|key| recognise(key)).collect(),
            rows: self.rows,
            encoding,
        }
    }
}

/// How a message names the kind of a JSON value.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads JSON Lines; a line that is not JSON is a malformed row, blank lines are skipped.
fn read_jsonl(text: &str, encoding: &'static str) -> Result<Table, TableError> {
    let mut rows = JsonRows::new("line");
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(value) => rows.push(index + 1, value)?,
            Err(error) => rows.malformed(index + 1, format!("not JSON: {error}")),
        }
    }
    Ok(rows.into_table(encoding))
}

/// Reads one JSON array, each element a row numbered by its 1-based position; a file that
/// is not JSON, or whose value is not an array, is refused whole.
fn read_json_array(text: &str, encoding: &'static str) -> Result<Table, TableError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|error| TableError::Json(format!("it is not valid JSON: {error}")))?;
    let Value::Array(elements) = value else {
        return Err(TableError::Json(format!(
            "its value is {}, not an array",
            json_kind(&value)
        )));
    };
    let mut rows = JsonRows::new("element");
    for (index, element) in elements.into_iter().enumerate() {
        rows.push(index + 1, element)?;
    }
    Ok(rows.into_table(encoding))
}

/// Reads one sheet cell by cell (never as a dense grid), numbering rows as the sheet does.
fn read_sheet<RS: std::io::Read + std::io::Seek>(
    workbook: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Result<Table, TableError> {
    let mut reader = workbook
        .worksheet_cells_reader(name)
        .map_err(|e| TableError::Workbook(e.to_string()))?;
    let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| TableError::Workbook(e.to_string()))?
    {
        let (row, column) = cell.get_position();
        if column >= MAX_COLUMNS {
            return Err(TableError::Workbook(format!(
                "sheet `{name}` has a cell in column {}; at most {MAX_COLUMNS} columns are read",
                column + 1
            )));
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if !text.is_empty() {
            rows.entry(row).or_default().push((column, text));
        }
    }
    let rows = rows
        .into_iter()
        .map(|(row, cells)| {
            let width = cells
                .iter()
                .map(|(c, _)| *c as usize + 1)
                .max()
                .unwrap_or(0);
            let mut line = vec![String::new(); width];
            for (column, text) in cells {
                line[column as usize] = text;
            }
            Row {
                line: row as usize + 1,
                cells: line,
                malformed: None,
            }
        })
        .collect();
    Ok(with_header(rows, "xlsx"))
}

/// Reads sheet `sheet`, or without one the first sheet whose header names a term or question
/// column (a filing workbook often opens with a summary), else the first sheet.
/// Inflates every part of the workbook into nothing, counting, so that a zip bomb is refused
/// before a reader holds it in memory: declared sizes can lie, the inflated bytes cannot.
/// Costs one extra inflation of the file; [`read`] does it too.
pub fn check_inflated_size(bytes: &[u8]) -> Result<(), TableError> {
    let unreadable = |e: zip::result::ZipError| TableError::Workbook(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let part = archive.by_index(index).map_err(unreadable)?;
        let allowance = MAX_WORKBOOK_BYTES - total;
        let inflated = std::io::copy(&mut part.take(allowance + 1), &mut std::io::sink())
            .map_err(|e| TableError::Workbook(e.to_string()))?;
        if inflated > allowance {
            return Err(TableError::WorkbookTooLarge);
        }
        total += inflated;
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Table, TableError> {
    check_inflated_size(bytes)?;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec()))
            .map_err(|e: calamine::XlsxError| TableError::Workbook(e.to_string()))?;
    let names = workbook.sheet_names();
    if let Some(name) = sheet {
        if !names.iter().any(|n| n == name) {
            return Err(TableError::NoSheet(name.to_owned()));
        }
        return read_sheet(&mut workbook, name);
    }
    let mut first = None;
    for name in &names {
        let table = read_sheet(&mut workbook, name)?;
        if table
            .columns
            .iter()
            .any(|c| matches!(c, Some(Column::Term | Column::Question)))
        {
            return Ok(table);
        }
        first.get_or_insert(table);
    }
    first.ok_or_else(|| TableError::Workbook("it has no sheet".to_owned()))
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnamed_files_are_sniffed_by_their_first_line() {
        assert_eq!(Format::sniff(b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(Format::sniff(b"\n{\"term\": \"a\"}\n"), Format::Jsonl);
        assert_eq!(Format::sniff("\u{feff}\"词\"\n".as_bytes()), Format::Jsonl);
        assert_eq!(Format::sniff("关键词,风险\n".as_bytes()), Format::Csv);
        assert_eq!(
            Format::sniff("\"关键词\",\"风险\"\n".as_bytes()),
            Format::Csv
        );
        assert_eq!(Format::sniff("关键词|风险\n".as_bytes()), Format::Csv);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("词语\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(Format::sniff(&utf16), Format::Txt);
        assert_eq!(Format::sniff(b"a\tb\n"), Format::Csv);
        assert_eq!(Format::sniff("甲词\n乙词".as_bytes()), Format::Txt);
        assert_eq!(Format::sniff(b""), Format::Txt);
    }

    #[test]
    fn csv_with_bom_crlf_and_a_chinese_header() {
        let bytes =
            "\u{FEFF}序号,关键词,风险类别,备注\r\n1, 法轮功 ,A.1.a,\r\n\r\n2,台独,A.1.c,见报道\r\n";
        let table = read(bytes.as_bytes(), Format::Csv, None).unwrap();
        assert_eq!(
            table.columns,
            [
                None,
                Some(Column::Term),
                Some(Column::Risk),
                Some(Column::Note)
            ]
        );
        assert_eq!(table.rows.len(), 2);
        let row = &table.rows[0];
        assert_eq!(row.line, 2);
        assert_eq!(table.cell(row, Column::Term), Some("法轮功"));
        assert_eq!(table.cell(row, Column::Note), None);
        assert_eq!(table.cell(&table.rows[1], Column::Note), Some("见报道"));
        assert_eq!(table.rows[1].line, 4);
    }

    #[test]
    fn line_numbers_count_blank_lines_in_lf_and_crlf_files() {
        for text in ["a,b\n1,2\n\n3,4\n", "a,b\r\n1,2\r\n\r\n3,4\r\n"] {
            let lines: Vec<usize> = read_csv(text).iter().map(|r| r.line).collect();
            assert_eq!(lines, [1, 2, 4], "{text:?}");
        }
    }

    #[test]
    fn gbk_tab_separated_without_header() {
        let (bytes, _, _) = encoding_rs::GBK.encode("法轮功\tA.1.a\n台独\tA.1.c\n");
        let table = read(&bytes, Format::Csv, None).unwrap();
        assert_eq!(table.encoding, "gb18030");
        assert!(table.columns.is_empty());
        assert_eq!(table.rows[1].cells, ["台独", "A.1.c"]);
        assert_eq!(table.cell(&table.rows[0], Column::Term), Some("法轮功"));
    }

    #[test]
    fn utf16_text_one_entry_a_line() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "法轮功\r\n\r\n 台独 \r\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let table = read(&bytes, Format::Txt, None).unwrap();
        let terms: Vec<(usize, &str)> = table
            .rows
            .iter()
            .map(|r| (r.line, r.cells[0].as_str()))
            .collect();
        assert_eq!(terms, [(1, "法轮功"), (3, "台独")]);
    }

    #[test]
    fn jsonl_objects_strings_and_junk() {
        let text = "{\"term\": \"法轮功\", \"risk\": \"A.1.a\"}\n\"台独\"\n[1, 2]\n{oops\n";
        let table = read(text.as_bytes(), Format::Jsonl, None).unwrap();
        assert_eq!(table.rows.len(), 4);
        assert_eq!(table.cell(&table.rows[0], Column::Risk), Some("A.1.a"));
        assert_eq!(table.cell(&table.rows[1], Column::Term), Some("台独"));
        assert!(
            table.rows[2]
                .malformed
                .as_deref()
                .unwrap()
                .contains("neither")
        );
        assert!(
            table.rows[3]
                .malformed
                .as_deref()
                .unwrap()
                .starts_with("not JSON")
        );
    }

    #[test]
    fn xlsx_with_chinese_headers_by_sheet_name() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook
            .add_worksheet()
            .set_name("说明")
            .unwrap()
            .write_string(0, 0, "见下一页")
            .unwrap();
        let sheet = workbook.add_worksheet().set_name("关键词").unwrap();
        for (column, title) in ["序号", "关键词", "一级分类", "二级分类"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, column as u16, *title).unwrap();
        }
        sheet.write_number(1, 0, 1.0).unwrap();
        sheet.write_string(1, 1, "法轮功").unwrap();
        sheet
            .write_string(1, 2, "A.1 包含违反社会主义核心价值观的内容")
            .unwrap();
        sheet
            .write_string(1, 3, "煽动颠覆国家政权、推翻社会主义制度")
            .unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let table = read(&bytes, Format::Xlsx, Some("关键词")).unwrap();
        assert_eq!(table.rows.len(), 1);
        let row = &table.rows[0];
        assert_eq!(row.cells[0], "1");
        assert_eq!(
            table.cell(row, Column::Subgroup),
            Some("煽动颠覆国家政权、推翻社会主义制度")
        );
        assert!(matches!(
            read(&bytes, Format::Xlsx, Some("没有")),
            Err(TableError::NoSheet(_))
        ));
        let chosen = read(&bytes, Format::Xlsx, None).unwrap();
        assert_eq!(
            chosen.rows[0].cells[1], "法轮功",
            "the sheet with a term header, not the notes"
        );
        let notes = read(&bytes, Format::Xlsx, Some("说明")).unwrap();
        assert_eq!(notes.rows[0].cells, ["见下一页"]);
    }

    #[test]
    fn a_cell_far_to_the_right_is_refused_not_allocated() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "关键词").unwrap();
        sheet.write_string(1_000_000, 16_000, "x").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let err = read(&bytes, Format::Xlsx, None).unwrap_err();
        assert!(err.to_string().contains("at most 1000 columns"), "{err}");
    }

    #[test]
    fn xlsx_rows_are_numbered_as_the_sheet_numbers_them() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(2, 0, "关键词").unwrap();
        sheet.write_string(4, 0, "法轮功").unwrap();
        let table = read(&workbook.save_to_buffer().unwrap(), Format::Xlsx, None).unwrap();
        assert_eq!(table.rows[0].line, 5);
    }

    #[test]
    fn formats_come_from_file_names() {
        assert_eq!(
            Format::from_file_name("附件（4）拦截关键词列表.XLSX"),
            Some(Format::Xlsx)
        );
        assert_eq!(Format::from_file_name("色情词库.txt"), Some(Format::Txt));
        assert_eq!(Format::from_file_name("words.doc"), None);
    }
}
