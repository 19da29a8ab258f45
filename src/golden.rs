//! Golden files for tests: compare rendered bytes with `tests/golden/<dir>/<name>`, or
//! rewrite the file when `UPDATE_GOLDEN` is set (then read the diff before committing it).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

/// Compares `rendered` with the golden file `tests/golden/<dir>/<name>`.
pub(crate) fn check(dir: &str, name: &str, rendered: &str) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "golden", dir, name]
        .iter()
        .collect();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert!(
        rendered == expected,
        "{name} differs from {} (UPDATE_GOLDEN=1 rewrites it):\n{rendered}",
        path.display()
    );
}
