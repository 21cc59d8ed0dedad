//! The reference agents' kinds, `gold` and `null`: they take no fields and no model.

use crate::registry::{AgentKind, KindInfo};
use benchcore::agent::reference::{Gold, Null};
use benchcore::{Agent, ConfigError};
use std::sync::Arc;

/// Declares a reference kind: a unit struct whose short spec is its name alone.
macro_rules! reference_kind {
    ($(#[$meta:meta])* $kind:ident => $agent:ident as $name:literal) => {
        $(#[$meta])*
        pub(crate) struct $kind;

        impl AgentKind for $kind {
            const INFO: KindInfo = KindInfo {
                spec: Some($name),
                ..KindInfo::LOCAL
            };

            fn from_spec(arg: Option<&str>) -> Result<Self, String> {
                match arg {
                    None => Ok($kind),
                    Some(_) => Err("the reference agents take no model".to_owned()),
                }
            }

            fn agent_name(&self) -> String {
                $name.to_owned()
            }

            fn validate(&self) -> Result<(), ConfigError> {
                Ok(())
            }

            fn build(&self) -> Result<Arc<dyn Agent>, ConfigError> {
                Ok(Arc::new($agent))
            }
        }
    };
}

reference_kind! {
    /// The `gold` kind: the agent that answers each case's target.
    GoldKind => Gold as "gold"
}

reference_kind! {
    /// The `null` kind: the agent that answers nothing.
    NullKind => Null as "null"
}
