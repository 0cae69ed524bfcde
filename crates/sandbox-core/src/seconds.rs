//! Seconds as people and programs write them (`--timeout 2.5`,
//! `SANDBOX_TIMEOUT=30`, `"timeout": 0.5`, a model's `"30"`): one check
//! of what a number of seconds may be, which every place that reads one
//! uses, each wording the refusal for its own source.

use std::time::Duration;

/// Why a value is not an accepted number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// Not a number at all (text that does not parse, NaN).
    NotANumber,
    /// Zero or negative.
    NotPositive,
    /// Past the given maximum, or past what a `Duration` holds.
    TooLarge,
}

/// `secs` as a `Duration`: finite, more than zero, and at most `max` when
/// one is given.
///
/// # Errors
///
/// [`Invalid`] when `secs` is not a number, not above zero, or too large.
pub fn from_f64(secs: f64, max: Option<Duration>) -> Result<Duration, Invalid> {
    if secs.is_nan() {
        return Err(Invalid::NotANumber);
    }
    if secs <= 0.0 {
        return Err(Invalid::NotPositive);
    }
    let duration = Duration::try_from_secs_f64(secs).map_err(|_| Invalid::TooLarge)?;
    if duration.is_zero() {
        // Below a nanosecond: nothing could run in it.
        return Err(Invalid::NotPositive);
    }
    match max {
        Some(max) if duration > max => Err(Invalid::TooLarge),
        _ => Ok(duration),
    }
}

/// [`from_f64`] of text (surrounding blanks ignored).
///
/// # Errors
///
/// [`Invalid`] as [`from_f64`], and [`Invalid::NotANumber`] for text that is
/// not a number.
pub fn parse(text: &str, max: Option<Duration>) -> Result<Duration, Invalid> {
    let secs: f64 = text.trim().parse().map_err(|_| Invalid::NotANumber)?;
    from_f64(secs, max)
}

/// `secs` for a message: as written for ordinary values, in exponent form
/// for huge or tiny ones (whose plain form prints every digit).
pub fn shown(secs: f64) -> String {
    if secs.is_finite() && (secs.abs() >= 1e9 || (secs != 0.0 && secs.abs() < 1e-6)) {
        format!("{secs:e}")
    } else {
        format!("{secs}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_edges() {
        let max = Some(Duration::from_secs(10));
        assert_eq!(from_f64(2.5, max), Ok(Duration::from_millis(2500)));
        assert_eq!(from_f64(10.0, max), Ok(Duration::from_secs(10)));
        assert_eq!(from_f64(10.001, max), Err(Invalid::TooLarge));
        assert_eq!(from_f64(0.0, max), Err(Invalid::NotPositive));
        assert_eq!(from_f64(-1.0, None), Err(Invalid::NotPositive));
        assert_eq!(from_f64(1e-12, None), Err(Invalid::NotPositive));
        assert_eq!(from_f64(f64::NAN, None), Err(Invalid::NotANumber));
        assert_eq!(from_f64(f64::INFINITY, None), Err(Invalid::TooLarge));
        assert_eq!(from_f64(f64::NEG_INFINITY, None), Err(Invalid::NotPositive));
        assert_eq!(from_f64(1e300, None), Err(Invalid::TooLarge));
        assert_eq!(parse(" 30 ", None), Ok(Duration::from_secs(30)));
        assert_eq!(parse("soon", None), Err(Invalid::NotANumber));
        assert_eq!(parse("", None), Err(Invalid::NotANumber));
        assert_eq!(shown(1e300), "1e300");
        assert_eq!(shown(2.5), "2.5");
    }

    proptest! {
        /// Whatever the number, an accepted one is in range and round-trips.
        #[test]
        fn accepted_values_are_in_range(secs in any::<f64>(), max_ms in 1u64..100_000_000) {
            let max = Duration::from_millis(max_ms);
            if let Ok(duration) = from_f64(secs, Some(max)) {
                prop_assert!(!duration.is_zero() && duration <= max);
                prop_assert!((duration.as_secs_f64() - secs).abs() <= 1e-9 * secs.max(1.0));
            }
        }

        /// No text makes parsing panic.
        #[test]
        fn any_text_parses_or_is_refused(text in ".{0,40}") {
            let _ = parse(&text, Some(Duration::from_secs(86_400)));
        }
    }
}
