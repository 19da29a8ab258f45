//! The phone listener's one route: a file name, whatever directory precedes it.
//!
//! Phones append file names to the directory they were given (`https://host/prov/acme/`),
//! so only the last path segment counts. It is percent-decoded and must be a plain name;
//! nothing here ever touches the file system, so `..` and friends simply name no file.

use percent_encoding::percent_decode_str;

/// Longest request path accepted.
const MAX_PATH: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneRoute {
    /// The requested file name, decoded.
    File(String),
    /// The path is longer than any phone sends (414).
    TooLong,
    /// No file name, or not a plain one (404).
    NotAFile,
}

impl PhoneRoute {
    pub fn parse(path: &str) -> PhoneRoute {
        if path.len() > MAX_PATH {
            return PhoneRoute::TooLong;
        }
        let last = path.rsplit('/').next().unwrap_or_default();
        let Ok(name) = percent_decode_str(last).decode_utf8() else {
            return PhoneRoute::NotAFile;
        };
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && !name
                .chars()
                .any(|c| c == '/' || c == '\\' || c.is_control());
        if plain {
            PhoneRoute::File(name.into_owned())
        } else {
            PhoneRoute::NotAFile
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_prefix_is_ignored() {
        assert_eq!(
            PhoneRoute::parse("/001565aabbcc.cfg"),
            PhoneRoute::File("001565aabbcc.cfg".into())
        );
        assert_eq!(
            PhoneRoute::parse("/prov/acme/y000000000066.cfg"),
            PhoneRoute::File("y000000000066.cfg".into())
        );
        assert_eq!(
            PhoneRoute::parse("/a%2Fb/001565AABBCC.cfg"),
            PhoneRoute::File("001565AABBCC.cfg".into())
        );
    }

    #[test]
    fn traversal_and_odd_names_name_no_file() {
        assert_eq!(
            PhoneRoute::parse("/../../etc/passwd"),
            PhoneRoute::File("passwd".into())
        );
        for path in [
            "/",
            "/prov/",
            "/%2e%2e%2f",
            "/%2e%2e",
            "/..",
            "/a%5cb",
            "/a%00b",
            "/%ff.cfg",
        ] {
            assert_eq!(PhoneRoute::parse(path), PhoneRoute::NotAFile, "{path}");
        }
        assert_eq!(
            PhoneRoute::parse(&format!("/{}", "a".repeat(10_000))),
            PhoneRoute::TooLong
        );
    }
}
