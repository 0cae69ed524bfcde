//! Rich results: what a run shows as a notebook cell would, as MIME
//! bundles (Jupyter's display data). The value of the code's last
//! expression, each `display(obj)` call and each matplotlib figure becomes
//! one bundle: `{"text/plain": "42"}`, `{"image/png": "<base64>",
//! "text/plain": "<Figure size 640x480 with 1 Axes>"}`.
//!
//! Bundles come from inside the sandbox, so [`MimeBundle::from_report`]
//! takes only what a bundle can be: a bounded object of MIME types to
//! strings (and JSON values for `+json` types).

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Most MIME types one bundle may carry.
pub const MAX_BUNDLE_TYPES: usize = 32;

/// Longest MIME type name accepted.
const MAX_MIME_LEN: usize = 127;

/// One displayed object: MIME type to its representation. Text types
/// (`text/plain`, `text/html`, `text/markdown`, `image/svg+xml`, ...) are
/// strings; binary ones (`image/png`, `image/jpeg`) are base64 strings;
/// JSON types (`application/json`, `...+json`) are JSON values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        value_type = Object,
        example = json!({"text/plain": "42"})
    )
)]
pub struct MimeBundle(pub BTreeMap<String, serde_json::Value>);

/// Why a bundle from the sandbox was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a display bundle is not valid: {0}")]
pub struct BundleError(String);

impl MimeBundle {
    /// A bundle of one plain-text representation.
    pub fn text(text: impl Into<String>) -> Self {
        Self(BTreeMap::from([(
            "text/plain".to_owned(),
            serde_json::Value::String(text.into()),
        )]))
    }

    /// The representation of `mime` as text, when it is a string.
    pub fn get(&self, mime: &str) -> Option<&str> {
        self.0.get(mime).and_then(serde_json::Value::as_str)
    }

    /// The plain-text representation (`repr` of the object).
    pub fn plain(&self) -> Option<&str> {
        self.get("text/plain")
    }

    /// The HTML representation.
    pub fn html(&self) -> Option<&str> {
        self.get("text/html")
    }

    /// The PNG image, decoded.
    pub fn png(&self) -> Option<Vec<u8>> {
        self.image("image/png")
    }

    /// A binary representation (`image/png`, `image/jpeg`, ...), decoded
    /// from its base64.
    pub fn image(&self, mime: &str) -> Option<Vec<u8>> {
        let encoded = self.get(mime)?;
        // Encoders wrap lines; the standard alphabet has no whitespace.
        let compact: String = encoded.split_ascii_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()
    }

    /// The binary (base64) types this bundle carries, such as `image/png`.
    pub fn images(&self) -> impl Iterator<Item = (&str, Vec<u8>)> {
        self.0
            .keys()
            .filter(|mime| is_binary(mime))
            .filter_map(|mime| Some((mime.as_str(), self.image(mime)?)))
    }

    /// A bundle the sandbox reported (a JSON object), checked: at most
    /// [`MAX_BUNDLE_TYPES`] entries, each a well-formed MIME type; text and
    /// binary types must be strings, JSON types any JSON value (its depth
    /// is bounded by the JSON parser).
    ///
    /// # Errors
    /// [`BundleError`] naming what is wrong.
    pub fn from_report(bytes: &[u8]) -> Result<Self, BundleError> {
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(bytes).map_err(|e| BundleError(e.to_string()))?;
        if map.is_empty() {
            return Err(BundleError("it is empty".into()));
        }
        if map.len() > MAX_BUNDLE_TYPES {
            return Err(BundleError(format!(
                "it has {} MIME types, at most {MAX_BUNDLE_TYPES} are allowed",
                map.len()
            )));
        }
        for (mime, value) in &map {
            if !is_mime_type(mime) {
                return Err(BundleError(format!(
                    "{:?} is not a MIME type",
                    mime.chars().take(40).collect::<String>()
                )));
            }
            if !is_json(mime) && !value.is_string() {
                return Err(BundleError(format!("{mime} is not a string")));
            }
        }
        Ok(Self(map))
    }
}

/// `type/subtype` of lowercase letters, digits and `.+-_`, each part
/// starting with a letter or digit.
fn is_mime_type(mime: &str) -> bool {
    let ok = |part: &str| {
        part.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && part.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'+' | b'-' | b'_')
            })
    };
    mime.len() <= MAX_MIME_LEN
        && mime
            .split_once('/')
            .is_some_and(|(kind, sub)| ok(kind) && ok(sub))
}

/// Whether a type's value is JSON rather than text.
fn is_json(mime: &str) -> bool {
    mime == "application/json" || mime.ends_with("+json")
}

/// Whether a type's value is base64 of binary data.
fn is_binary(mime: &str) -> bool {
    (mime.starts_with("image/") && mime != "image/svg+xml") || mime == "application/pdf"
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bundles_from_the_sandbox_are_checked() {
        let ok = MimeBundle::from_report(
            br#"{"text/plain": "42", "application/json": {"a": [1]}, "image/png": "iVBORw0K"}"#,
        )
        .unwrap();
        assert_eq!(ok.plain(), Some("42"));
        assert_eq!(ok.png().unwrap()[..4], *b"\x89PNG");
        assert_eq!(ok.images().count(), 1);
        for (bad, why) in [
            (&b"[1]"[..], "invalid type"),
            (b"{}", "empty"),
            (br#"{"text/plain": 1}"#, "not a string"),
            (br#"{"../x": "a"}"#, "not a MIME type"),
            (br#"{"Text/Plain": "a"}"#, "not a MIME type"),
            (br#"{"text/": "a"}"#, "not a MIME type"),
            (b"{\"text/plain\": \"a\"", "EOF"),
        ] {
            let err = MimeBundle::from_report(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        let many: BTreeMap<String, &str> = (0..33).map(|i| (format!("text/x{i}"), "a")).collect();
        let err = MimeBundle::from_report(&serde_json::to_vec(&many).unwrap()).unwrap_err();
        assert!(err.to_string().contains("33 MIME types"), "{err}");
        let deep = format!(
            "{{\"application/json\": {}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(MimeBundle::from_report(deep.as_bytes()).is_err());
    }

    #[test]
    fn a_bundle_is_its_map_on_the_wire() {
        let bundle = MimeBundle::text("42");
        assert_eq!(
            serde_json::to_string(&bundle).unwrap(),
            r#"{"text/plain":"42"}"#
        );
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = MimeBundle::from_report(&bytes);
        }

        #[test]
        fn hostile_shapes_are_taken_only_when_well_formed(
            entries in proptest::collection::btree_map("[a-zA-Z/+.]{0,12}", "[ -~]{0,8}", 0..40)
        ) {
            let bytes = serde_json::to_vec(&entries).unwrap();
            if let Ok(bundle) = MimeBundle::from_report(&bytes) {
                prop_assert!(!bundle.0.is_empty() && bundle.0.len() <= MAX_BUNDLE_TYPES);
                prop_assert!(bundle.0.keys().all(|k| is_mime_type(k)));
            }
        }
    }
}
