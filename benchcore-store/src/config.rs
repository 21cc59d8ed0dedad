//! What every backend's config shares: reading a URL's `?key=value` settings, errors that
//! name the bad field, and setters that consume and return the config.

use crate::url::percent_decode;
use benchcore::{StoreError, StoreErrorKind};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Setters that consume and return the config (`name(value: Type) => field = value;`), each
/// with its doc comment.
macro_rules! setters {
    ($($(#[doc = $doc:literal])* $name:ident($value:ident: $ty:ty) => $field:ident = $set:expr;)*) => {
        $(
            $(#[doc = $doc])*
            pub fn $name(mut self, $value: $ty) -> Self {
                self.$field = $set;
                self
            }
        )*
    };
}
pub(crate) use setters;

/// A duration in whole milliseconds, as configs keep it.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// One `key=value` setting of a store URL's query, its value percent-decoded.
#[derive(Debug)]
pub(crate) struct Setting {
    /// The setting's name as written.
    pub(crate) key: String,
    /// Its value, percent-decoded.
    pub(crate) value: String,
}

impl Setting {
    /// How errors name the setting.
    fn field(&self) -> String {
        format!("store.url.{}", self.key)
    }

    /// The value as a `T`, or a `Config` error saying it is not `what`.
    pub(crate) fn parse<T: FromStr>(&self, what: &str) -> Result<T, StoreError> {
        self.value
            .parse()
            .map_err(|_| config_error(&self.field(), format!("{:?} is not {what}", self.value)))
    }

    /// The error for a setting the backend does not know; it never repeats the value.
    pub(crate) fn unknown(&self, known: &str) -> StoreError {
        config_error(&self.field(), format!("unknown setting (known: {known})"))
    }
}

/// The settings of a URL query (`a=1&b=2`), in order.
///
/// # Errors
/// A value that is not UTF-8 once percent-decoded.
pub(crate) fn settings(query: Option<&str>) -> Result<Vec<Setting>, StoreError> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok(Setting {
                key: key.to_owned(),
                value: decode(value, &format!("store.url.{key}"))?,
            })
        })
        .collect()
}

/// Percent-decodes a URL part, naming `field` when it is not UTF-8.
pub(crate) fn decode(text: &str, field: &str) -> Result<String, StoreError> {
    percent_decode(text).ok_or_else(|| {
        config_error(
            field,
            format!("{text:?} is not valid UTF-8 once percent-decoded"),
        )
    })
}

/// A `Config` error naming the bad field.
pub(crate) fn config_error(field: &str, message: impl fmt::Display) -> StoreError {
    StoreError::new(StoreErrorKind::Config, format!("{field}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_decode_their_values() {
        let parsed = settings(Some("schema=a_b&host=%2Fvar%2Frun&flag")).unwrap();
        let pairs: Vec<(&str, &str)> = parsed
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("schema", "a_b"), ("host", "/var/run"), ("flag", "")]
        );
        let err = parsed[2].parse::<u32>("a number").unwrap_err();
        assert!(err.message.starts_with("store.url.flag:"), "{err}");
        assert!(settings(Some("x=%ff")).is_err());
        assert!(settings(None).unwrap().is_empty());
    }
}
