//! Where a page may send the user next. One rule, used by the login form's server answer and by
//! the browser before it navigates: only a path on this site.

/// The longest `next` kept; longer ones are refused rather than cut.
pub const MAX_NEXT_LEN: usize = 512;

/// `next` if it is a path on this site, else `None`.
///
/// A safe path starts with one `/` and holds only printable ASCII without a backslash. Refused:
/// `//host` and `/\host` (browsers read both as another host), a backslash anywhere (Chromium turns
/// it into `/`), control characters and spaces (a tab inside `/\t/host` is dropped by the URL parser,
/// leaving `//host`), percent-encoded slashes, backslashes and control characters (`/%5Chost`,
/// `/%2F%2Fhost`, `/%09/host`: decoded once by a proxy or a router they become the above), and
/// anything not starting with `/` (`javascript:`, `https://…`, a relative path).
pub fn safe_next(next: &str) -> Option<&str> {
    let bytes = next.as_bytes();
    if next.is_empty() || next.len() > MAX_NEXT_LEN || bytes[0] != b'/' {
        return None;
    }
    if matches!(bytes.get(1), Some(b'/' | b'\\')) {
        return None;
    }
    if !bytes.iter().all(|b| b.is_ascii_graphic()) || next.contains('\\') {
        return None;
    }
    // Percent escapes that decode to a separator or a control character.
    let lower = next.to_ascii_lowercase();
    let escapes = lower.match_indices('%').map(|(i, _)| &lower[i + 1..]);
    for rest in escapes {
        let hex = rest.get(..2).unwrap_or(rest);
        let dangerous = hex == "2f"
            || hex == "5c"
            || hex == "7f"
            || hex.starts_with('0')
            || hex.starts_with('1')
            || hex.len() < 2;
        if dangerous {
            return None;
        }
    }
    Some(next)
}

/// [`safe_next`], or the home page.
pub fn next_or_home(next: Option<&str>) -> &str {
    next.and_then(safe_next).unwrap_or("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_this_site_are_kept() {
        for path in [
            "/",
            "/check",
            "/sheets/12?tab=history",
            "/check#new",
            "/a%20b",
        ] {
            assert_eq!(safe_next(path), Some(path), "{path}");
        }
    }

    #[test]
    fn a_next_that_could_leave_the_site_is_refused() {
        for path in [
            "",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%5Cevil.example%2F",
            "/%5cevil",
            "/%09/evil.example",
            "/\t/evil.example",
            "/%2F%2Fevil.example",
            "/%2f%2fevil",
            "/ok/%0d%0aSet-Cookie:x",
            "/ok\n",
            "javascript:alert(1)",
            "https://evil.example/",
            "check",
            "/%",
            "/%2",
            "/检查",
        ] {
            assert_eq!(safe_next(path), None, "{path:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(MAX_NEXT_LEN))), None);
    }

    #[test]
    fn a_refused_next_goes_home() {
        assert_eq!(next_or_home(Some("//evil")), "/");
        assert_eq!(next_or_home(None), "/");
        assert_eq!(next_or_home(Some("/check")), "/check");
    }
}
