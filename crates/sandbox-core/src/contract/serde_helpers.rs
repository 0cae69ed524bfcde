//! Serde adapters for the wire format: file contents as base64 strings and
//! durations as (fractional) seconds, as the JSON contract specifies.

/// `BTreeMap<String, Vec<u8>>` as a JSON object of base64 strings.
pub(crate) mod base64_map {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
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

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, Vec<u8>>, D::Error> {
        let encoded = BTreeMap::<String, String>::deserialize(deserializer)?;
        encoded
            .into_iter()
            .map(|(name, text)| match STANDARD.decode(text.as_bytes()) {
                Ok(bytes) => Ok((name, bytes)),
                Err(err) => Err(D::Error::custom(format_args!(
                    "file `{}` is not valid base64: {err}",
                    name.escape_debug()
                ))),
            })
            .collect()
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
