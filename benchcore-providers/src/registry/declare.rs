//! [`agent_kinds!`]: turns the kind table into [`AgentConfig`](crate::AgentConfig) and
//! everything that dispatches on `kind`.

/// Declares the `AgentConfig` enum from the kind table, one line a kind:
///
/// ```text
/// /// Docs (the variant's, and its description in the JSON Schema).
/// #[cfg(feature = "anthropic")] "anthropic" => Anthropic(crate::anthropic::AnthropicConfig),
/// "replay" => Replay(crate::replay::ReplayConfig),
/// "gold" => Gold = crate::reference::GoldKind,
/// ```
///
/// `Variant(Config)` holds the kind's config, which implements
/// [`AgentKind`](super::kind::AgentKind); `Variant = UnitStruct` is a kind that takes no
/// fields, its `AgentKind` implemented on a unit struct. A `#[cfg(feature = "…")]` line is
/// compiled in with its feature and otherwise still listed, so files and specs naming it
/// get an error that names the feature; any other `#[cfg(…)]` line (`#[cfg(test)]`) exists
/// only when its condition holds.
///
/// It generates the enum (`Serialize` and `JsonSchema` derived, tagged by `kind`), its
/// `TABLE` of [`Kind`](super::kind::Kind) rows, `COMPILED` kind names, and `kind`,
/// `as_kind`, `deserialize_kind` and `from_spec_of`, which the rest of the registry builds
/// on.
macro_rules! agent_kinds {
    (
        $(#[$meta:meta])*
        pub enum AgentConfig { $($lines:tt)* }
    ) => {
        $crate::registry::agent_kinds!(@line [$(#[$meta])*] [] $($lines)*);
    };

    // Each line becomes `{docs (cfg) (listed-when) feature name variant [type] [unit]}`.
    (@line $head:tt [$($done:tt)*]
        $(#[doc = $doc:expr])* #[cfg(feature = $feature:literal)]
        $name:literal => $variant:ident($ty:ty), $($rest:tt)*) => {
        $crate::registry::agent_kinds!(@line $head [$($done)*
            {[$($doc)*] (feature = $feature) (all()) Some($feature), $name $variant [$ty] []}
        ] $($rest)*);
    };
    (@line $head:tt [$($done:tt)*]
        $(#[doc = $doc:expr])* #[cfg($cfg:meta)]
        $name:literal => $variant:ident($ty:ty), $($rest:tt)*) => {
        $crate::registry::agent_kinds!(@line $head [$($done)*
            {[$($doc)*] ($cfg) ($cfg) None, $name $variant [$ty] []}
        ] $($rest)*);
    };
    (@line $head:tt [$($done:tt)*]
        $(#[doc = $doc:expr])* $name:literal => $variant:ident($ty:ty), $($rest:tt)*) => {
        $crate::registry::agent_kinds!(@line $head [$($done)*
            {[$($doc)*] (all()) (all()) None, $name $variant [$ty] []}
        ] $($rest)*);
    };
    (@line $head:tt [$($done:tt)*]
        $(#[doc = $doc:expr])* $name:literal => $variant:ident = $unit:path, $($rest:tt)*) => {
        $crate::registry::agent_kinds!(@line $head [$($done)*
            {[$($doc)*] (all()) (all()) None, $name $variant [] [$unit]}
        ] $($rest)*);
    };

    (@line [$($head:tt)*] [$(
        {[$($doc:expr)*] ($($cfg:tt)*) ($($listed:tt)*) $feature:expr, $name:literal $variant:ident
            [$($ty:ty)?] [$($unit:path)?]}
    )*]) => {
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::schemars::JsonSchema)]
        $($head)*
        #[serde(tag = "kind")]
        #[non_exhaustive]
        pub enum AgentConfig {
            $(
                $(#[doc = $doc])*
                #[cfg($($cfg)*)]
                #[serde(rename = $name)]
                $variant $(($ty))?,
            )*
        }

        impl AgentConfig {
            /// Every kind this version knows, in table order, compiled in or not.
            pub(crate) const TABLE: &'static [$crate::registry::Kind] = &[$(
                #[cfg($($listed)*)]
                $crate::registry::Kind {
                    name: $name,
                    feature: $feature,
                    #[cfg($($cfg)*)]
                    info: Some($crate::registry::agent_kinds!(@info [$($ty)?] [$($unit)?])),
                    #[cfg(not($($cfg)*))]
                    info: None,
                },
            )*];

            /// The kinds compiled in.
            pub(crate) const COMPILED: &'static [&'static str] = &[$(
                #[cfg($($cfg)*)]
                $name,
            )*];

            /// The `kind` tag (`openai`, `gold` …).
            pub fn kind(&self) -> &'static str {
                match self {
                    $(
                        #[cfg($($cfg)*)]
                        Self::$variant { .. } => $name,
                    )*
                }
            }

            /// The kind's config, for the dispatch every other method does.
            pub(crate) fn as_kind(&self) -> &dyn $crate::registry::kind::DynKind {
                match self {
                    $(
                        #[cfg($($cfg)*)]
                        $crate::registry::agent_kinds!(@pattern $variant [$($ty)?] config) =>
                            $crate::registry::agent_kinds!(@value [$($ty)?] [$($unit)?] config),
                    )*
                }
            }

            /// Reads the config of a compiled-in `kind` from the rest of its object.
            pub(crate) fn deserialize_kind<'de, D: ::serde::Deserializer<'de>>(
                kind: &str,
                rest: D,
            ) -> Option<Result<Self, D::Error>> {
                $(
                    #[cfg($($cfg)*)]
                    if kind == $name {
                        return Some($crate::registry::agent_kinds!(@deserialize rest $variant [$($ty)?] [$($unit)?]));
                    }
                )*
                None
            }

            /// The config of a compiled-in `kind` from the rest of a short spec (what
            /// follows `kind:`); the error is why the spec is wrong.
            pub(crate) fn from_spec_of(kind: &str, arg: Option<&str>) -> Option<Result<Self, String>> {
                $(
                    #[cfg($($cfg)*)]
                    if kind == $name {
                        return Some($crate::registry::agent_kinds!(@spec arg $variant [$($ty)?] [$($unit)?]));
                    }
                )*
                None
            }
        }
    };

    (@pattern $variant:ident [$ty:ty] $config:ident) => { Self::$variant($config) };
    (@pattern $variant:ident [] $config:ident) => { Self::$variant };
    (@value [$ty:ty] [] $config:ident) => { $config };
    (@value [] [$unit:path] $config:ident) => { &$unit };
    (@info [$ty:ty] []) => { <$ty as $crate::registry::kind::AgentKind>::INFO };
    (@info [] [$unit:path]) => { <$unit as $crate::registry::kind::AgentKind>::INFO };
    (@deserialize $rest:ident $variant:ident [$ty:ty] []) => {
        <$ty as ::serde::Deserialize>::deserialize($rest).map(Self::$variant)
    };
    (@deserialize $rest:ident $variant:ident [] [$unit:path]) => {
        <$crate::registry::kind::NoFields as ::serde::Deserialize>::deserialize($rest)
            .map(|_| Self::$variant)
    };
    (@spec $arg:ident $variant:ident [$ty:ty] []) => {
        <$ty as $crate::registry::kind::AgentKind>::from_spec($arg).map(Self::$variant)
    };
    (@spec $arg:ident $variant:ident [] [$unit:path]) => {
        <$unit as $crate::registry::kind::AgentKind>::from_spec($arg).map(|_| Self::$variant)
    };
}

pub(crate) use agent_kinds;
