//! RFC 8288 `Link` headers: a tokenizer for the grammar of §3 with the list
//! rules of RFC 9110 §5.6.1 (empty list elements are skipped).
//!
//! ```text
//! Link       = #link-value
//! link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
//! link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
//! ```
//!
//! Hand-written because the crates.io parsers each reject a form servers
//! send: `nom-rfc8288` 0.4 refuses whitespace before `=` (`rel = "next"`, BWS
//! in the grammar) and text beyond Latin-1 in quoted strings; `http-link`
//! 1.0 refuses empty list elements (`<a>; rel=next,`, which RFC 9110 says a
//! recipient must skip) and any non-ASCII character in a quoted string.

/// One link of a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target as written between `<` and `>` (resolve it against the
    /// request URL: it may be relative).
    pub target: String,
    /// The relation types, lower-cased: `rel="next last"` gives two.
    pub rels: Vec<String>,
    /// The `anchor` parameter: when present, the link is about another
    /// resource than the response it came with.
    pub anchor: Option<String>,
}

impl Link {
    /// Whether `rel` (lower case) is one of the link's relation types.
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rels.iter().any(|r| r == rel)
    }
}

/// A `Link` header value that does not follow RFC 8288.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at character {at}")]
pub struct LinkError {
    /// Where (1-based, in characters).
    pub at: usize,
    /// What was expected there.
    pub reason: &'static str,
}

/// Every link of a `Link` header value, in order. Several `Link` headers are
/// one list: join their values with `", "` first.
///
/// ```
/// let links = holdfast_records::parse_links(
///     r#"<https://api.test/x?page=2>; rel="next", </x?page=34>; rel=last"#,
/// ).unwrap();
/// assert_eq!(links[0].target, "https://api.test/x?page=2");
/// assert!(links[1].has_rel("last"));
/// ```
///
/// # Errors
/// The value is not a list of `<target>; param=value` links.
pub fn parse_links(value: &str) -> Result<Vec<Link>, LinkError> {
    let mut s = Scanner { s: value, pos: 0 };
    let mut links = Vec::new();
    loop {
        s.skip_ows();
        if s.eat(',') {
            continue; // an empty list element
        }
        if s.at_end() {
            return Ok(links);
        }
        links.push(s.link()?);
        s.skip_ows();
        if s.at_end() {
            return Ok(links);
        }
        if !s.eat(',') {
            return Err(s.error("expected `;` or `,` after a link"));
        }
    }
}

struct Scanner<'a> {
    s: &'a str,
    /// Byte offset.
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn link(&mut self) -> Result<Link, LinkError> {
        if !self.eat('<') {
            return Err(self.error("expected `<` to start a link"));
        }
        let rest = &self.s[self.pos..];
        let Some(close) = rest.find('>') else {
            return Err(self.error("expected `>` to close the link target"));
        };
        let target = rest[..close].trim().to_owned();
        if target.contains(['<', '"']) {
            return Err(self.error("expected `>` to close the link target"));
        }
        self.pos += close + 1;
        let mut link = Link {
            target,
            rels: Vec::new(),
            anchor: None,
        };
        let (mut rel_seen, mut anchor_seen) = (false, false);
        loop {
            self.skip_ows();
            if !self.eat(';') {
                return Ok(link);
            }
            self.skip_ows();
            if self.at_end() || matches!(self.peek(), Some(';' | ',')) {
                continue; // an empty parameter
            }
            let name = self.token("expected a parameter name after `;`")?;
            self.skip_ows();
            let value = if self.eat('=') {
                self.skip_ows();
                Some(self.value()?)
            } else {
                None
            };
            // Only the first `rel` and `anchor` count (RFC 8288 §3.3, B.3).
            if name.eq_ignore_ascii_case("rel") && !rel_seen {
                rel_seen = true;
                link.rels = value
                    .unwrap_or_default()
                    .split_ascii_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect();
            } else if name.eq_ignore_ascii_case("anchor") && !anchor_seen {
                anchor_seen = true;
                link.anchor = value;
            }
        }
    }

    /// A quoted string (unescaped) or a bare value. Bare values may hold any
    /// visible character but the delimiters, a little more than a token.
    fn value(&mut self) -> Result<String, LinkError> {
        if !self.eat('"') {
            let rest = &self.s[self.pos..];
            let end = rest
                .find(|c: char| c.is_ascii_whitespace() || matches!(c, ';' | ',' | '"'))
                .unwrap_or(rest.len());
            if end == 0 {
                return Err(self.error("expected a value after `=`"));
            }
            self.pos += end;
            return Ok(rest[..end].to_owned());
        }
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.s[start..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = start + i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.pos = start - 1;
        Err(self.error("expected `\"` to close the quoted string starting"))
    }

    fn token(&mut self, reason: &'static str) -> Result<&'a str, LinkError> {
        let s = self.s;
        let rest = &s[self.pos..];
        let end = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        if end == 0 {
            return Err(self.error(reason));
        }
        self.pos += end;
        Ok(&rest[..end])
    }

    fn skip_ows(&mut self) {
        let rest = &self.s[self.pos..];
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += c.len_utf8();
        }
        hit
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn error(&self, reason: &'static str) -> LinkError {
        LinkError {
            at: self.s[..self.pos].chars().count() + 1,
            reason,
        }
    }
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests;
