//! Human-readable output: aligned tables of a few columns, and `key: value` records.

use serde_json::Value;

/// A cell as text: strings bare, null empty, lists joined, the rest as JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Prints rows under headers, each column as wide as its widest cell.
pub fn print(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(value.chars().count());
        }
    }
    let line = |values: Vec<String>| {
        let cells: Vec<String> = values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        say!("{}", cells.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_uppercase()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// Prints a list's items as a table of the given JSON fields (`a.b` for nested ones).
pub fn print_items(items: &Value, columns: &[(&str, &str)]) {
    let rows: Vec<Vec<String>> = items
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    columns
                        .iter()
                        .map(|(_, path)| cell(lookup(item, path)))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<&str> = columns.iter().map(|(header, _)| *header).collect();
    print(&headers, &rows);
}

/// Prints a record's fields as `name: value` lines.
pub fn print_record(record: &Value, fields: &[(&str, &str)]) {
    let width = fields
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0);
    for (label, path) in fields {
        say!(
            "{:<width$}  {}",
            format!("{label}:"),
            cell(lookup(record, path)),
            width = width + 1
        );
    }
}

fn lookup<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |value, key| &value[key])
}
