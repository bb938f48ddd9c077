//! Files to rows of cells, with the header row (if any) mapped to columns.

use crate::formula;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader};

use crate::columns::{Column, recognise};
use crate::decode::{DecodeError, decode};

/// A file format lexset reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// One entry a line.
    Txt,
    /// JSON Lines: objects with recognised keys, or strings.
    Jsonl,
    Xlsx,
}

impl Format {
    /// Every name a format goes by, as a `format` parameter or a file name's extension.
    pub const NAMES: [(&'static str, Format); 7] = [
        ("csv", Self::Csv),
        ("tsv", Self::Csv),
        ("txt", Self::Txt),
        ("jsonl", Self::Jsonl),
        ("ndjson", Self::Jsonl),
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
    /// name: a ZIP archive is a workbook; text (in any encoding [`decode`] reads) whose first
    /// line is a JSON object or string is JSON Lines; text whose first line holds a delimiter
    /// the CSV reader knows (`,` `;` tab `|`) is CSV; other text is one entry a line.
    pub fn sniff(bytes: &[u8]) -> Self {
        if bytes.starts_with(b"PK\x03\x04") {
            return Self::Xlsx;
        }
        let Ok((text, _)) = decode(bytes) else {
            return Self::Txt;
        };
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
    /// The cell of `row` in `column`, trimmed; without a header, the first cell stands for
    /// the term or question column.
    /// A file with a term column but no question column (or the reverse) serves either.
    pub fn cell<'a>(&self, row: &'a Row, column: Column) -> Option<&'a str> {
        let position = |wanted: Column| self.columns.iter().position(|c| *c == Some(wanted));
        let index = if self.columns.is_empty() {
            matches!(column, Column::Term | Column::Question).then_some(0)?
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
            Ok(read_jsonl(&text, encoding))
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

fn read_jsonl(text: &str, encoding: &'static str) -> Table {
    let mut columns: BTreeMap<String, usize> = BTreeMap::new();
    let mut parsed = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(object)) => {
                for key in object.keys() {
                    let next = columns.len();
                    columns.entry(key.clone()).or_insert(next);
                }
                parsed.push((i + 1, Ok(object)));
            }
            Ok(serde_json::Value::String(text)) => {
                let mut object = serde_json::Map::new();
                object.insert("term".to_owned(), serde_json::Value::String(text));
                let next = columns.len();
                columns.entry("term".to_owned()).or_insert(next);
                parsed.push((i + 1, Ok(object)));
            }
            Ok(_) => parsed.push((i + 1, Err("neither an object nor a string".to_owned()))),
            Err(error) => parsed.push((i + 1, Err(format!("not JSON: {error}")))),
        }
    }
    let mut names: Vec<(&String, &usize)> = columns.iter().collect();
    names.sort_by_key(|(_, index)| **index);
    let rows = parsed
        .into_iter()
        .map(|(line, object)| match object {
            Ok(object) => Row {
                line,
                cells: names
                    .iter()
                    .map(|(name, _)| match object.get(name.as_str()) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(serde_json::Value::Null) | None => String::new(),
                        Some(other) => other.to_string(),
                    })
                    .collect(),
                malformed: None,
            },
            Err(problem) => Row {
                line,
                cells: Vec::new(),
                malformed: Some(problem),
            },
        })
        .collect();
    Table {
        columns: names.iter().map(|(name, _)| recognise(name)).collect(),
        rows,
        encoding,
    }
}

/// The most cells of one row a sheet may have; beyond it the file is refused rather than
/// read (a sheet's declared size is no limit: a cell at XFD1048576 makes a huge grid).
const MAX_COLUMNS: u32 = 1_000;

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
