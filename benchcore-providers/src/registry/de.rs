//! Reading an [`AgentConfig`]: the `kind` tag first, then the rest of the object straight
//! into that kind's config, so errors keep their exact line, column and field.

use super::AgentConfig;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Reads the `kind` tag, then the rest of the object straight into that kind's config when
/// `kind` comes first (so errors keep their exact line and column), else from a buffered
/// copy.
impl<'de> Deserialize<'de> for AgentConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AgentConfigVisitor)
    }
}

struct AgentConfigVisitor;

impl<'de> Visitor<'de> for AgentConfigVisitor {
    type Value = AgentConfig;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an agent config: an object with a `kind`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AgentConfig, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field("kind"));
        };
        if first == "kind" {
            let kind: String = map.next_value()?;
            return of_kind(&kind, MapAccessDeserializer::new(map));
        }
        let mut buffered = serde_json::Map::new();
        buffered.insert(first, map.next_value()?);
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            buffered.insert(key, value);
        }
        let kind = match buffered.remove("kind") {
            Some(serde_json::Value::String(kind)) => kind,
            Some(other) => {
                return Err(de::Error::custom(format!(
                    "`kind` must be a string, not {other}"
                )))
            }
            None => return Err(de::Error::missing_field("kind")),
        };
        of_kind(&kind, serde_json::Value::Object(buffered)).map_err(de::Error::custom)
    }
}

/// The config of `kind` from the rest of its object; a kind compiled out names its feature.
fn of_kind<'de, D: Deserializer<'de>>(kind: &str, rest: D) -> Result<AgentConfig, D::Error> {
    if let Some(config) = AgentConfig::deserialize_kind(kind, rest) {
        return config;
    }
    Err(match AgentConfig::compiled_out(kind) {
        Some(why) => de::Error::custom(format!(
            "unknown variant `{kind}`, expected one of the kinds compiled in ({why})"
        )),
        None => de::Error::unknown_variant(kind, AgentConfig::COMPILED),
    })
}
