//! The API keys a server accepts and who a caller is: a leaf module (the
//! configuration holds keys; the `auth` middleware checks them).
//!
//! Keys are kept only as SHA-256 digests and a presented key is compared
//! with every configured digest in constant time (no early exit, no length
//! leak), so response timing says nothing about how close a guess was.

use std::fmt;
use std::net::IpAddr;

use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq as _};

/// The accepted keys, as digests. Empty means the server is open.
#[derive(Clone, Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl fmt::Debug for ApiKeys {
    // Never prints a key or a digest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeys({} configured)", self.digests.len())
    }
}

/// Who is calling, for rate limits and logs (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// The n-th configured key (0-based).
    Key(usize),
    /// No keys are configured: the client's address.
    Address(IpAddr),
    /// No keys are configured and the address is unknown (in-process use).
    Anonymous,
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(n) => write!(f, "key#{n}"),
            Self::Address(ip) => write!(f, "{ip}"),
            Self::Anonymous => f.write_str("anonymous"),
        }
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl ApiKeys {
    /// Keys from a comma-separated list; blanks are ignored.
    pub fn parse(list: &str) -> Self {
        Self {
            digests: list
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(digest)
                .collect(),
        }
    }

    /// Keys from a key file: one per line, blank lines and `#` comments ignored.
    pub fn parse_file(text: &str) -> Self {
        Self {
            digests: text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(digest)
                .collect(),
        }
    }

    /// Adds the keys of `other`.
    pub fn extend(&mut self, other: Self) {
        self.digests.extend(other.digests);
    }

    /// Whether no key is configured (the server is open).
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// How many keys are configured.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// The index of the configured key equal to `presented`, comparing with
    /// every key in constant time.
    pub fn find(&self, presented: &str) -> Option<usize> {
        let presented = digest(presented);
        let mut found: Option<usize> = None;
        for (index, known) in self.digests.iter().enumerate() {
            let equal: Choice = known.ct_eq(&presented);
            if bool::from(equal) && found.is_none() {
                found = Some(index);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_by_value_and_blanks_ignored() {
        let mut keys = ApiKeys::parse(" alpha, ,beta ");
        keys.extend(ApiKeys::parse_file("# comment\n\ngamma\n  delta  \n"));
        assert_eq!(keys.len(), 4);
        assert_eq!(keys.find("alpha"), Some(0));
        assert_eq!(keys.find("beta"), Some(1));
        assert_eq!(keys.find("delta"), Some(3));
        assert_eq!(keys.find("alph"), None);
        assert_eq!(keys.find(""), None);
        assert!(!format!("{keys:?}").contains("alpha"));
    }
}
