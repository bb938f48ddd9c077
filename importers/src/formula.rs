//! Spreadsheet formula neutralisation (CSV injection): Excel and its peers run a CSV cell that
//! begins with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, so a keyword such
//! as `=HYPERLINK("http://…","点我")` stored as typed would attack whoever opens the export.
//!
//! Exports write such a cell with a leading apostrophe (the usual neutraliser, shown by Excel
//! as text); a cell that already begins with an apostrophe before one of those characters, or
//! before another apostrophe, gets one more, so that [`restore`] undoes exactly what
//! [`neutralize`] did: `restore(neutralize(x)) == x` for every `x` (property-tested).

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn is_formula_start(c: char) -> bool {
    FORMULA_STARTS.contains(&c)
}

/// Whether `rest` (what follows a leading apostrophe) is something [`neutralize`] escaped.
fn escaped(rest: &str) -> bool {
    rest.chars()
        .next()
        .is_some_and(|c| c == '\'' || is_formula_start(c))
}

/// `cell` as a CSV export writes it: with a leading apostrophe when a spreadsheet would read
/// it as a formula (or when it would otherwise be mistaken for a neutralised cell).
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    let needs_escape = match cell.chars().next() {
        Some('\'') => escaped(&cell[1..]),
        Some(c) => is_formula_start(c),
        None => false,
    };
    if needs_escape {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `cell` as it was before [`neutralize`]: CSV imports read exports back exactly.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if escaped(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"点我\")",
                "'=HYPERLINK(\"http://x\",\"点我\")",
            ),
            ("@SUM(1+1)", "'@SUM(1+1)"),
            ("-2+3+cmd|calc", "'-2+3+cmd|calc"),
            ("+1", "'+1"),
            ("\tx", "'\tx"),
            ("'=x", "''=x"),
            ("''", "'''"),
            ("法轮功", "法轮功"),
            ("'s", "'s"),
            ("", ""),
        ] {
            assert_eq!(neutralize(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{written:?}");
        }
    }

    proptest! {
        #[test]
        fn restore_undoes_neutralize(cell in "['=+@\\t\\r a-]{0,4}.{0,4}") {
            let written = neutralize(&cell);
            prop_assert_eq!(restore(&written), cell.as_str());
        }
    }
}
