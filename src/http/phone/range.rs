//! The `Range` header of a firmware download (RFC 9110 §14): one byte range, the forms
//! phones and download tools send (`bytes=a-b`, `bytes=a-`, `bytes=-n`). Several ranges are
//! answered whole (a server may ignore `Range`); a range past the end is unsatisfiable (416).

/// What to send of a file of a known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// The whole file (no `Range`, or one this server ignores): 200.
    Whole,
    /// Bytes `start..=end`: 206 with `Content-Range`.
    Part { start: u64, end: u64 },
    /// Nothing of the file is in the range: 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

impl ByteRange {
    /// Reads a `Range` header against a file of `size` bytes.
    pub fn parse(header: Option<&str>, size: u64) -> ByteRange {
        let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
            return ByteRange::Whole;
        };
        if spec.contains(',') {
            return ByteRange::Whole;
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return ByteRange::Whole;
        };
        let number = |text: &str| {
            let text = text.trim();
            (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u64>().ok())
                .flatten()
        };
        match (first.trim().is_empty(), number(first), number(last)) {
            // bytes=-n: the last n bytes.
            (true, _, Some(suffix)) => {
                if suffix == 0 || size == 0 {
                    ByteRange::Unsatisfiable
                } else {
                    ByteRange::Part {
                        start: size.saturating_sub(suffix),
                        end: size - 1,
                    }
                }
            }
            (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
                let end = end.map_or(size.saturating_sub(1), |e| e.min(size.saturating_sub(1)));
                if start >= size {
                    ByteRange::Unsatisfiable
                } else if end < start {
                    // A syntactically invalid range (last < first) is ignored.
                    ByteRange::Whole
                } else {
                    ByteRange::Part { start, end }
                }
            }
            _ => ByteRange::Whole,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges() {
        let part = |start, end| ByteRange::Part { start, end };
        assert_eq!(ByteRange::parse(Some("bytes=0-99"), 1000), part(0, 99));
        assert_eq!(ByteRange::parse(Some("bytes=500-"), 1000), part(500, 999));
        assert_eq!(ByteRange::parse(Some("bytes=-100"), 1000), part(900, 999));
        assert_eq!(ByteRange::parse(Some("bytes=-5000"), 1000), part(0, 999));
        assert_eq!(
            ByteRange::parse(Some("bytes=900-5000"), 1000),
            part(900, 999)
        );
        assert_eq!(
            ByteRange::parse(Some("bytes=999-999"), 1000),
            part(999, 999)
        );
    }

    #[test]
    fn unsatisfiable_and_ignored_ranges() {
        for header in ["bytes=1000-", "bytes=1000-2000", "bytes=-0"] {
            assert_eq!(
                ByteRange::parse(Some(header), 1000),
                ByteRange::Unsatisfiable,
                "{header}"
            );
        }
        for header in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=a-b",
            "bytes=-",
            "bytes=1",
            "bytes=+1-2",
        ] {
            assert_eq!(
                ByteRange::parse(Some(header), 1000),
                ByteRange::Whole,
                "{header}"
            );
        }
        assert_eq!(ByteRange::parse(None, 1000), ByteRange::Whole);
    }
}
