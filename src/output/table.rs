//! Tables laid out like kubectl's (Go's tabwriter with minimum width 6 and
//! padding 3): upper-case headers, no borders, columns separated by at
//! least three spaces, no trailing spaces, never wrapped.

use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, Width};

/// kubectl pads each cell to at least this width, padding included.
const MIN_WIDTH: u16 = 6;
const PADDING: u16 = 3;

/// Renders `rows` under `headers`; `no_headers` drops the header line.
pub fn render(headers: &[&str], rows: &[Vec<String>], no_headers: bool) -> String {
    if rows.is_empty() && no_headers {
        return String::new();
    }
    let mut table = Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !no_headers {
        table.set_header(headers.iter().copied());
    }
    for row in rows {
        table.add_row(row.iter().map(String::as_str));
    }
    let last = headers.len().saturating_sub(1);
    for (index, column) in table.column_iter_mut().enumerate() {
        column.set_cell_alignment(CellAlignment::Left);
        if index == last {
            column.set_padding((0, 0));
        } else {
            column.set_padding((0, PADDING));
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(MIN_WIDTH)));
        }
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
        r.iter()
            .map(|row| row.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn lays_out_like_kubectl() {
        let out = render(
            &["NAME", "DESIRED", "CURRENT", "AGE"],
            &rows(&[&["petset.apps/web", "2", "0", "0s"]]),
            false,
        );
        assert_eq!(
            out,
            "NAME              DESIRED   CURRENT   AGE\npetset.apps/web   2         0         0s\n"
        );
    }

    #[test]
    fn narrow_columns_keep_the_minimum_width() {
        let out = render(&["A", "B"], &rows(&[&["x", "y"]]), false);
        assert_eq!(out, "A     B\nx     y\n");
        assert_eq!(
            render(&["A", "B"], &rows(&[&["x", "y"]]), true),
            "x     y\n"
        );
        assert_eq!(render(&["A", "B"], &[], true), "");
    }
}
