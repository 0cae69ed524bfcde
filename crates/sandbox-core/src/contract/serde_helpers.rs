//! Serde adapters for the wire format: file contents as base64 strings and
//! durations as (fractional) seconds, as the JSON contract specifies.

/// `BTreeMap<String, Vec<u8>>` as a JSON object of base64 strings.
pub(crate) mod base64_map {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub(crate) fn serialize<S: Serializer>(
        map: &BTreeMap<String, Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            map.iter()
                .map(|(name, bytes)| (name, STANDARD.encode(bytes))),
        )
    }

    /// Decodes each file as it is read, from the input where the parser
    /// can lend it: a large file is never held as base64 and as bytes at
    /// once beyond the request body itself.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, Vec<u8>>, D::Error> {
        deserializer.deserialize_map(Files)
    }

    /// Standard base64 with padding, taking unused trailing bits as
    /// encoders other than canonical ones leave them (`00==` is `0x34`).
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );

    struct Files;

    impl<'de> serde::de::Visitor<'de> for Files {
        type Value = BTreeMap<String, Vec<u8>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of file names to base64 contents")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut access: A,
        ) -> Result<Self::Value, A::Error> {
            let mut files = BTreeMap::new();
            while let Some(name) = access.next_key::<String>()? {
                let bytes = access.next_value_seed(Contents { name: &name })?;
                files.insert(name, bytes);
            }
            Ok(files)
        }
    }

    /// One file's base64 contents, decoded straight from the parser's text.
    struct Contents<'n> {
        name: &'n str,
    }

    impl<'de> serde::de::DeserializeSeed<'de> for Contents<'_> {
        type Value = Vec<u8>;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<u8>, D::Error> {
            deserializer.deserialize_str(self)
        }
    }

    impl serde::de::Visitor<'_> for Contents<'_> {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "the base64 contents of file `{}`",
                self.name.escape_debug()
            )
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
            LENIENT.decode(text.as_bytes()).map_err(|err| {
                E::custom(format_args!(
                    "file `{}` is not valid base64: {err}",
                    self.name.escape_debug()
                ))
            })
        }
    }
}

/// `Option<Duration>` as an optional number of seconds.
pub(crate) mod opt_secs {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => serializer.serialize_f64(d.as_secs_f64()),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        match Option::<f64>::deserialize(deserializer)? {
            None => Ok(None),
            Some(secs) => Duration::try_from_secs_f64(secs).map(Some).map_err(|_| {
                D::Error::custom(format_args!(
                    "timeout {secs} is not a valid number of seconds (expected a positive number)"
                ))
            }),
        }
    }
}
