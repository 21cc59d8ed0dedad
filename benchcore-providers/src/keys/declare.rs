//! [`config_fields!`]: declares an agent config struct from the shared keys it takes and
//! its own fields, with setters, a redacting `Debug` and its [`Keys`](super::Keys) view.

/// Declares a config struct: `#[derive(Clone, Default, PartialEq, Serialize, Deserialize,
/// JsonSchema)]`, `#[serde(default, deny_unknown_fields)]`, `#[non_exhaustive]`, in the
/// field order written.
///
/// Each entry (comma-terminated) is either a shared key group, declared here once with its
/// docs and setter:
///
/// | entry | fields | setters |
/// | --- | --- | --- |
/// | `name` | `name` | `with_name` |
/// | `api_key` | `api_key_env`, `api_key` (never serialized) | `with_api_key_env`, `with_api_key` |
/// | `headers` | `headers` (credentials print as `***`) | `with_header` |
/// | `sampling` | `temperature`, `max_tokens`, `seed` | `with_temperature`, … |
/// | `temperature`, `max_tokens` | one of them | its setter |
/// | `limits` | `timeout_ms`, `max_response_bytes` | `with_timeout`, `with_max_response_bytes` |
/// | `system_prompt`, `stream` | that field | `with_system_prompt`, `with_stream` |
///
/// or one of the config's own fields, `/// docs`, attributes, `pub field: Type`, optionally
/// followed by `=> setter` (generated for `Option<String>`, `Option<Secret>`,
/// `BTreeMap<String, String>` (adds one entry) and any type a value converts `Into`). With a
/// setter, an `Option<String>` is left out of the serialized form when `None`, a map when
/// empty, and a `Secret` always, so a stored config never holds one.
macro_rules! config_fields {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $crate::keys::config_fields!(@entry self [$(#[$meta])* pub struct $name] [] [] [] [] $($body)*);
    };

    // Shared keys. State: `self` token, header, declarations, setters, Debug entries, Keys
    // initializers; then the entries left.
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] name, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// The agent's name in records and reports, unique within a run; by default
                /// the model, or the kind's own default for an agent without one.
                #[serde(skip_serializing_if = "Option::is_none")]
                pub name: Option<String>,
            ]
            [$($set)*
                /// Sets the agent's name.
                pub fn with_name(mut self, name: impl Into<String>) -> Self {
                    self.name = Some(name.into());
                    self
                }
            ]
            [$($dbg)* (name plain)]
            [$($key)* name: $this.name.as_deref(),]
            $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] api_key, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// The environment variable holding the API key, when not the kind's default
                /// one (`OPENAI_API_KEY` …). A kind without a default (`openai_compatible`)
                /// sends no key when neither this nor `api_key` is set.
                #[serde(skip_serializing_if = "Option::is_none")]
                pub api_key_env: Option<String>,
                /// The API key itself, for library users who hold it in memory. It wins over
                /// the environment and is never serialized, so it never reaches a stored run
                /// spec.
                #[serde(skip_serializing)]
                pub api_key: Option<benchcore::Secret>,
            ]
            [$($set)*
                /// Sets the API key itself.
                pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
                    self.api_key = Some(benchcore::Secret::new(key));
                    self
                }

                /// Sets the environment variable holding the API key.
                pub fn with_api_key_env(mut self, var: impl Into<String>) -> Self {
                    self.api_key_env = Some(var.into());
                    self
                }
            ]
            [$($dbg)* (api_key_env plain) (api_key plain)]
            [$($key)* api_key_env: $this.api_key_env.as_deref(), api_key: $this.api_key.as_ref(),]
            $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] headers, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// Extra HTTP headers sent with every request.
                #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
                pub headers: std::collections::BTreeMap<String, String>,
            ]
            [$($set)*
                /// Adds an HTTP header sent with every request.
                pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
                    self.headers.insert(name.into(), value.into());
                    self
                }
            ]
            [$($dbg)* (headers redacted)]
            [$($key)* headers: Some(&$this.headers),]
            $($rest)*);
    };
    (@entry $this:ident $head:tt $decl:tt $set:tt $dbg:tt $key:tt sampling, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head $decl $set $dbg $key temperature, max_tokens, seed, $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] temperature, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// Default sampling temperature (0 to 2; 0 to 1 for Anthropic); a request's own
                /// sampling wins.
                #[serde(skip_serializing_if = "Option::is_none")]
                pub temperature: Option<f64>,
            ]
            [$($set)*
                /// Sets the default temperature.
                pub fn with_temperature(mut self, temperature: f64) -> Self {
                    self.temperature = Some(temperature);
                    self
                }
            ]
            [$($dbg)* (temperature plain)]
            [$($key)* temperature: $this.temperature,]
            $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] max_tokens, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// Default largest number of tokens to generate; a request's own sampling wins.
                /// (Anthropic's API requires one: 1024 is sent when neither sets it.)
                #[serde(skip_serializing_if = "Option::is_none")]
                pub max_tokens: Option<u32>,
            ]
            [$($set)*
                /// Sets the default largest number of tokens to generate.
                pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
                    self.max_tokens = Some(max_tokens);
                    self
                }
            ]
            [$($dbg)* (max_tokens plain)]
            [$($key)* max_tokens: $this.max_tokens,]
            $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] seed, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// Default sampling seed; a request's own sampling wins.
                #[serde(skip_serializing_if = "Option::is_none")]
                pub seed: Option<u64>,
            ]
            [$($set)*
                /// Sets the default seed.
                pub fn with_seed(mut self, seed: u64) -> Self {
                    self.seed = Some(seed);
                    self
                }
            ]
            [$($dbg)* (seed plain)]
            [$($key)* seed: $this.seed,]
            $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] limits, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// A client-side limit on each exchange, in milliseconds, on top of the
                /// request's deadline (the shorter wins).
                #[serde(skip_serializing_if = "Option::is_none")]
                pub timeout_ms: Option<u64>,
                /// The largest reply body accepted, in bytes (default 8 MiB), streamed or not;
                /// a longer one is a malformed reply.
                #[serde(skip_serializing_if = "Option::is_none")]
                pub max_response_bytes: Option<u64>,
            ]
            [$($set)*
                /// Sets the client-side limit on each exchange.
                pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
                    self.timeout_ms = Some(timeout.as_millis().try_into().unwrap_or(u64::MAX));
                    self
                }

                /// Sets the largest reply body accepted.
                pub fn with_max_response_bytes(mut self, bytes: u64) -> Self {
                    self.max_response_bytes = Some(bytes);
                    self
                }
            ]
            [$($dbg)* (timeout_ms plain) (max_response_bytes plain)]
            [$($key)* timeout_ms: $this.timeout_ms, max_response_bytes: $this.max_response_bytes,]
            $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] system_prompt, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// The agent's own system prompt, sent before each conversation (a case's own
                /// system messages follow it).
                #[serde(skip_serializing_if = "Option::is_none")]
                pub system_prompt: Option<String>,
            ]
            [$($set)*
                /// Sets the agent's own system prompt.
                pub fn with_system_prompt(mut self, prompt: impl Into<String>) -> Self {
                    self.system_prompt = Some(prompt.into());
                    self
                }
            ]
            [$($dbg)* (system_prompt plain)]
            [$($key)* system_prompt: $this.system_prompt.as_deref(),]
            $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] [$($key:tt)*] stream, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)*
                /// Streams each reply as server-sent events, which records the time to the
                /// first token.
                #[serde(skip_serializing_if = "std::ops::Not::not")]
                pub stream: bool,
            ]
            [$($set)*
                /// Turns streaming on or off.
                pub fn with_stream(mut self, stream: bool) -> Self {
                    self.stream = stream;
                    self
                }
            ]
            [$($dbg)* (stream plain)]
            [$($key)* stream: $this.stream,]
            $($rest)*);
    };

    // The config's own fields, with a setter of a known shape, any `Into`, or none.
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] $key:tt
        $(#[$m:meta])* $vis:vis $f:ident: Option<String> => $setter:ident, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)* $(#[$m])* #[serde(skip_serializing_if = "Option::is_none")] $vis $f: Option<String>,]
            [$($set)*
                #[doc = concat!("Sets [`", stringify!($f), "`](Self::", stringify!($f), ").")]
                pub fn $setter(mut self, $f: impl Into<String>) -> Self {
                    self.$f = Some($f.into());
                    self
                }
            ]
            [$($dbg)* ($f plain)] $key $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] $key:tt
        $(#[$m:meta])* $vis:vis $f:ident: Option<Secret> => $setter:ident, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)* $(#[$m])* #[serde(skip_serializing)] $vis $f: Option<benchcore::Secret>,]
            [$($set)*
                #[doc = concat!("Sets [`", stringify!($f), "`](Self::", stringify!($f), ").")]
                pub fn $setter(mut self, $f: impl Into<String>) -> Self {
                    self.$f = Some(benchcore::Secret::new($f));
                    self
                }
            ]
            [$($dbg)* ($f plain)] $key $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] $key:tt
        $(#[$m:meta])* $vis:vis $f:ident: BTreeMap<String, String> => $setter:ident, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)* $(#[$m])* #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
                $vis $f: std::collections::BTreeMap<String, String>,]
            [$($set)*
                #[doc = concat!("Adds one entry to [`", stringify!($f), "`](Self::", stringify!($f), ").")]
                pub fn $setter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
                    self.$f.insert(name.into(), value.into());
                    self
                }
            ]
            [$($dbg)* ($f plain)] $key $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] [$($set:tt)*] [$($dbg:tt)*] $key:tt
        $(#[$m:meta])* $vis:vis $f:ident: $t:ty => $setter:ident, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)* $(#[$m])* $vis $f: $t,]
            [$($set)*
                #[doc = concat!("Sets [`", stringify!($f), "`](Self::", stringify!($f), ").")]
                pub fn $setter(mut self, $f: impl Into<$t>) -> Self {
                    self.$f = $f.into();
                    self
                }
            ]
            [$($dbg)* ($f plain)] $key $($rest)*);
    };
    (@entry $this:ident $head:tt [$($decl:tt)*] $set:tt [$($dbg:tt)*] $key:tt
        $(#[$m:meta])* $vis:vis $f:ident: $t:ty, $($rest:tt)*) => {
        $crate::keys::config_fields!(@entry $this $head
            [$($decl)* $(#[$m])* $vis $f: $t,] $set [$($dbg)* ($f plain)] $key $($rest)*);
    };

    // Every entry read: the struct, its setters and `keys()`, and `Debug`.
    (@entry $this:ident [$(#[$meta:meta])* pub struct $name:ident] [$($decl:tt)*] [$($set:tt)*]
        [$(($f:ident $how:ident))*] [$($key:tt)*]) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #[serde(default, deny_unknown_fields)]
        #[non_exhaustive]
        pub struct $name {
            $($decl)*
        }

        impl $name {
            $($set)*

            /// The shared keys, borrowed, for the shared checks and the agent's endpoint.
            #[allow(dead_code, clippy::needless_update)]
            pub(crate) fn keys(&$this) -> $crate::keys::Keys<'_> {
                $crate::keys::Keys { $($key)* ..$crate::keys::Keys::default() }
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&$this, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($f), $crate::keys::config_fields!(@debug $how $this.$f)))*
                    .finish()
            }
        }
    };
    (@debug plain $value:expr) => { &$value };
    (@debug redacted $value:expr) => { &$crate::keys::RedactedHeaders(&$value) };
}

pub(crate) use config_fields;
