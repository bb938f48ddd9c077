//! Addresses lexset sends requests to (model endpoints, webhook receivers): the one syntax
//! both accept, so a pattern in the API document states it exactly.

/// `http(s)://host[:port][/path][?query]`: a host of letters, digits, `.` and `-`; a port
/// from 1 to 65535; a path of unreserved characters, `%` and `/`; a query (only where
/// `query` allows one) of those and `&`, `=`, `+`. No user, password or fragment. Whether the
/// host resolves is the request's business.
pub fn is_http_url(raw: &str, query: bool) -> bool {
    let Some(rest) = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
    else {
        return false;
    };
    let (rest, query_part) = match rest.split_once('?') {
        Some((rest, query_part)) => (rest, Some(query_part)),
        None => (rest, None),
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port_ok = port.is_none_or(|port| {
        (1..=5).contains(&port.len())
            && !port.starts_with('0')
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|n| n <= 65_535)
    });
    let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~%".contains(c);
    let path_ok = path.chars().all(|c| unreserved(c) || c == '/');
    let query_ok = match query_part {
        None => true,
        Some(text) => query && text.chars().all(|c| unreserved(c) || "/&=+".contains(c)),
    };
    host_ok && port_ok && path_ok && query_ok
}

/// [`is_http_url`]'s syntax without a query, as a regular expression for the API document.
pub const HTTP_URL_PATTERN: &str = "^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?(/[A-Za-z0-9._~%/-]*)?$";

/// [`is_http_url`]'s syntax with a query.
pub const HTTP_URL_WITH_QUERY_PATTERN: &str = "^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?(/[A-Za-z0-9._~%/-]*)?(\\?[A-Za-z0-9._~%/&=+-]*)?$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_only_in_the_documented_form() {
        for good in [
            "http://127.0.0.1:8080",
            "https://models.example.cn/v1",
            "https://hooks.example.cn/lexset/",
        ] {
            assert!(is_http_url(good, false), "{good}");
        }
        assert!(is_http_url(
            "https://oapi.dingtalk.com/robot/send?access_token=ab12",
            true
        ));
        assert!(!is_http_url(
            "https://oapi.dingtalk.com/robot/send?access_token=ab12",
            false
        ));
        for bad in [
            "ftp://x",
            "https://user:pw@x",
            "https://x:0",
            "https://x:65536",
            "https://x/a b",
            "https://x/#frag",
            "https://",
            "no url",
        ] {
            assert!(!is_http_url(bad, true), "{bad}");
        }
    }

    #[test]
    fn the_patterns_say_what_the_parser_does() {
        let plain = regex::Regex::new(HTTP_URL_PATTERN).unwrap();
        let with_query = regex::Regex::new(HTTP_URL_WITH_QUERY_PATTERN).unwrap();
        for url in [
            "http://127.0.0.1:8080",
            "https://x/a?b=c&d=e",
            "https://x:65535/p",
            "https://x:65536/p",
            "https://x/a b",
            "https://u@x",
        ] {
            assert_eq!(plain.is_match(url), is_http_url(url, false), "{url}");
            assert_eq!(with_query.is_match(url), is_http_url(url, true), "{url}");
        }
    }
}
