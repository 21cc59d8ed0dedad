//! [`PostgresConfig`]: which server, database and schema, and how to connect.

use crate::config::{self, config_error, decode, millis, setters};
use crate::url::{percent_decode, split_userinfo};
use benchcore::{Secret, StoreError};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `sslmode` values libpq knows, in order of strictness.
const SSL_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// The URL query settings [`PostgresConfig::from_url`] reads.
const SETTINGS: &str = "schema, create_schema, pool_size, connect_timeout_ms, sslmode, \
     sslrootcert, application_name, host";

/// Settings of a [`PostgresStore`](super::PostgresStore): which server, database and schema,
/// and how to connect to it.
///
/// `Debug` never shows the password.
///
/// ```
/// use benchcore_store::PostgresConfig;
///
/// let config = PostgresConfig::from_url(
///     "postgres://bench:s3cret@db.internal:5433/results?schema=team_a&pool_size=4",
/// )
/// .unwrap();
/// assert_eq!((config.host.as_str(), config.port), ("db.internal", 5433));
/// assert_eq!(config.database.as_deref(), Some("results"));
/// assert_eq!(config.schema.as_deref(), Some("team_a"));
/// assert_eq!(config.password.as_ref().map(|p| p.expose()), Some("s3cret"));
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
// `Debug` is derived: the password is a `Secret`, which prints `***`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct PostgresConfig {
    /// The server's host name or IP address, or the folder of its Unix socket when it starts
    /// with `/` (default `localhost`).
    pub host: String,
    /// The server's port (default 5432).
    pub port: u16,
    /// The user to connect as (default `postgres`).
    pub user: String,
    /// The user's password; `None` leaves it to `PGPASSWORD` or to a server that asks for
    /// none (trust or peer authentication).
    pub password: Option<Secret>,
    /// The database (default: the server's default, a database named after the user).
    pub database: Option<String>,
    /// The schema that holds the tables, set as the connections' `search_path`
    /// (default: the server's `search_path`, normally `public`). Lowercase letters, digits
    /// and `_`, starting with a letter or `_`, at most 63 characters.
    pub schema: Option<String>,
    /// Create the schema when missing (default `true`).
    pub create_schema: bool,
    /// Most connections open at once (default 8).
    pub pool_size: u32,
    /// How long connecting, or waiting for a free connection, may take, in milliseconds
    /// (default 10 000).
    pub connect_timeout_ms: u64,
    /// libpq's `sslmode`: `disable`, `allow`, `prefer` (the default), `require`, `verify-ca`
    /// or `verify-full`. TLS goes through rustls with the Mozilla root certificates.
    pub ssl_mode: String,
    /// A PEM file of the certificate authority to trust instead, for `verify-ca` and
    /// `verify-full`.
    pub ssl_root_cert: Option<String>,
    /// The name the server shows for these connections (default `benchcore`).
    pub application_name: String,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: 5432,
            user: "postgres".to_owned(),
            password: None,
            database: None,
            schema: None,
            create_schema: true,
            pool_size: 8,
            connect_timeout_ms: 10_000,
            ssl_mode: "prefer".to_owned(),
            ssl_root_cert: None,
            application_name: "benchcore".to_owned(),
        }
    }
}

impl PostgresConfig {
    /// Defaults for the server at `host`.
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            ..Self::default()
        }
    }

    /// Reads `postgres://[user[:password]@][host][:port][/database][?settings]` (or
    /// `postgresql://…`). User, password and database may be percent-encoded; an IPv6 host
    /// goes in brackets. The user info ends at the URL's last `@`, so a password may hold
    /// `@ : / ? # %` as they are (`%` followed by two hex digits is read as an escape: write a
    /// literal `%` as `%25`); an `@` in a setting's value must be written `%40`. Query
    /// settings: `schema`, `create_schema=true|false`, `pool_size=N`, `connect_timeout_ms=N`,
    /// `sslmode`, `sslrootcert`, `application_name`, and `host` (a Unix socket folder such as
    /// `/var/run/postgresql`).
    ///
    /// # Errors
    /// A `Config` error naming the bad part (never showing the password): another scheme, a
    /// port that is not a number, an unknown setting, or a field [`validate`](Self::validate)
    /// refuses.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let rest = strip_scheme(url).ok_or_else(|| {
            config_error(
                "store.url",
                "a PostgreSQL URL starts with postgres:// or postgresql://",
            )
        })?;
        let (userinfo, rest) = split_userinfo(rest);
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        if rest.contains('#') || query.is_some_and(|q| q.contains('#')) {
            return Err(config_error("store.url", "has a fragment (`#…`)"));
        }
        let (hostport, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut config = Self::default();
        if let Some(userinfo) = userinfo {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                config.user = decode(user, "store.url.user")?;
            }
            if let Some(password) = password {
                // Never echo the value: it is the password.
                let password = percent_decode(password)
                    .ok_or_else(|| config_error("store.url.password", "is not valid UTF-8"))?;
                config.password = Some(Secret::new(password));
            }
        }
        let (host, port) = split_host_port(hostport)?;
        if !host.is_empty() {
            config.host = decode(host, "store.url.host")?;
        }
        if let Some(port) = port {
            config.port = port
                .parse()
                .map_err(|_| config_error("store.url.port", format!("{port:?} is not a port")))?;
        }
        if !path.is_empty() {
            config.database = Some(decode(path, "store.url.database")?);
        }
        for setting in config::settings(query)? {
            let value = setting.value.clone();
            match setting.key.as_str() {
                "schema" => config.schema = Some(value),
                "create_schema" => config.create_schema = setting.parse("true or false")?,
                "pool_size" => config.pool_size = setting.parse("a number")?,
                "connect_timeout_ms" => config.connect_timeout_ms = setting.parse("a number")?,
                "sslmode" => config.ssl_mode = value,
                "sslrootcert" => config.ssl_root_cert = Some(value),
                "application_name" => config.application_name = value,
                "host" => config.host = value,
                _ => return Err(setting.unknown(SETTINGS)),
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Reads the store URL from `BENCHCORE_STORE` when it is set (it must be a PostgreSQL
    /// URL), and otherwise builds the config from libpq's variables `PGHOST`, `PGPORT`,
    /// `PGUSER`, `PGPASSWORD`, `PGDATABASE` and `PGSSLMODE`, with `BENCHCORE_PG_SCHEMA` for
    /// the schema. Unset variables keep their defaults.
    ///
    /// # Errors
    /// As [`from_url`](Self::from_url), or a variable that does not parse (named).
    pub fn from_env() -> Result<Self, StoreError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any source of variables.
    fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        if let Some(url) = var("BENCHCORE_STORE").filter(|u| !u.trim().is_empty()) {
            return Self::from_url(&url).map_err(|mut e| {
                e.message = format!("BENCHCORE_STORE: {}", e.message);
                e
            });
        }
        let mut config = Self::default();
        if let Some(host) = var("PGHOST") {
            config.host = host;
        }
        if let Some(port) = var("PGPORT") {
            config.port = port
                .parse()
                .map_err(|_| config_error("PGPORT", format!("{port:?} is not a port")))?;
        }
        if let Some(user) = var("PGUSER") {
            config.user = user;
        }
        config.password = var("PGPASSWORD").map(Secret::new);
        config.database = var("PGDATABASE");
        if let Some(mode) = var("PGSSLMODE") {
            config.ssl_mode = mode;
        }
        config.schema = var("BENCHCORE_PG_SCHEMA");
        config.validate()?;
        Ok(config)
    }

    setters! {
        /// Sets the port.
        port(port: u16) => port = port;
        /// Sets the user.
        user(user: impl Into<String>) => user = user.into();
        /// Sets the password.
        password(password: impl Into<String>) => password = Some(Secret::new(password));
        /// Sets the database.
        database(database: impl Into<String>) => database = Some(database.into());
        /// Sets the schema that holds the tables.
        schema(schema: impl Into<String>) => schema = Some(schema.into());
        /// Sets whether to create a missing schema.
        create_schema(create: bool) => create_schema = create;
        /// Sets the most connections open at once.
        pool_size(connections: u32) => pool_size = connections;
        /// Sets how long connecting may take.
        connect_timeout(timeout: Duration) => connect_timeout_ms = millis(timeout);
        /// Sets libpq's `sslmode`.
        ssl_mode(mode: impl Into<String>) => ssl_mode = mode.into();
    }

    /// Checks every field.
    ///
    /// # Errors
    /// A `Config` error naming the bad field: an empty host or user, port 0, a pool of no
    /// connections, no connect time, an unknown `sslmode`, or a schema name that is not a
    /// plain lowercase identifier.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.host.is_empty() {
            return Err(config_error("store.postgres.host", "is empty"));
        }
        if self.port == 0 {
            return Err(config_error("store.postgres.port", "must not be 0"));
        }
        if self.user.is_empty() {
            return Err(config_error("store.postgres.user", "is empty"));
        }
        if self.database.as_deref() == Some("") {
            return Err(config_error("store.postgres.database", "is empty"));
        }
        if let Some(schema) = &self.schema {
            check_schema(schema)?;
        }
        if self.pool_size == 0 {
            return Err(config_error(
                "store.postgres.pool_size",
                "must be at least 1",
            ));
        }
        if self.connect_timeout_ms == 0 {
            return Err(config_error(
                "store.postgres.connect_timeout_ms",
                "must be at least 1",
            ));
        }
        if !SSL_MODES.contains(&self.ssl_mode.as_str()) {
            return Err(config_error(
                "store.postgres.ssl_mode",
                format!("{:?} is not one of {}", self.ssl_mode, SSL_MODES.join(", ")),
            ));
        }
        Ok(())
    }

    /// How messages name the database: `postgres user@host:port/database`, plus the
    /// schema when one is set. It never holds the password.
    pub fn label(&self) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('/') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let mut label = format!(
            "postgres {}@{host}:{}/{}",
            self.user,
            self.port,
            self.database.as_deref().unwrap_or(&self.user)
        );
        if let Some(schema) = &self.schema {
            label.push_str(&format!(" schema {schema}"));
        }
        label
    }
}

/// The part after `postgres://` or `postgresql://` (any case).
fn strip_scheme(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    (scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql"))
        .then_some(rest)
}

/// `host[:port]` or `[v6]:port` into host and port text.
fn split_host_port(hostport: &str) -> Result<(&str, Option<&str>), StoreError> {
    if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| config_error("store.url.host", "an IPv6 address lacks its `]`"))?;
        return match after {
            "" => Ok((host, None)),
            _ => after
                .strip_prefix(':')
                .map(|p| (host, Some(p)))
                .ok_or_else(|| {
                    config_error("store.url.host", "expected `:port` after the IPv6 address")
                }),
        };
    }
    Ok(match hostport.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (hostport, None),
    })
}

/// A schema name the store can put in `search_path` and DDL without quoting.
fn check_schema(schema: &str) -> Result<(), StoreError> {
    let valid = !schema.is_empty()
        && schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !schema.starts_with("pg_");
    if valid {
        Ok(())
    } else {
        Err(config_error(
            "store.postgres.schema",
            format!(
                "{schema:?} is not a schema name (1-63 of a-z 0-9 _, starting with a letter \
                 or _, not pg_…)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::StoreErrorKind;

    #[test]
    fn urls() {
        let c = PostgresConfig::from_url("postgres://postgres@127.0.0.1:5432/test").unwrap();
        assert_eq!(
            (c.user.as_str(), c.host.as_str(), c.port),
            ("postgres", "127.0.0.1", 5432)
        );
        assert_eq!(c.database.as_deref(), Some("test"));
        assert_eq!((c.password, c.schema), (None, None));

        let c = PostgresConfig::from_url(
            "PostgreSQL://u%40x:p%3Aw@rd@[::1]:6000/my%20db?schema=s_1&create_schema=false\
             &pool_size=3&connect_timeout_ms=250&sslmode=require&application_name=ci",
        )
        .unwrap();
        assert_eq!(c.user, "u@x");
        assert_eq!(c.password.as_ref().unwrap().expose(), "p:w@rd");
        assert_eq!((c.host.as_str(), c.port), ("::1", 6000));
        assert_eq!(c.database.as_deref(), Some("my db"));
        assert_eq!(c.schema.as_deref(), Some("s_1"));
        assert!(!c.create_schema);
        assert_eq!((c.pool_size, c.connect_timeout_ms), (3, 250));
        assert_eq!(
            (c.ssl_mode.as_str(), c.application_name.as_str()),
            ("require", "ci")
        );
        assert_eq!(c.label(), "postgres u@x@[::1]:6000/my db schema s_1");

        let socket =
            PostgresConfig::from_url("postgres:///bench?host=%2Fvar%2Frun%2Fpostgresql").unwrap();
        assert_eq!(socket.host, "/var/run/postgresql");
        assert_eq!(socket.database.as_deref(), Some("bench"));
        let bare = PostgresConfig::from_url("postgres://").unwrap();
        assert_eq!(bare, PostgresConfig::default());
    }

    /// Passwords with URL-special characters, as they are or percent-encoded.
    #[test]
    fn passwords_may_hold_any_character() {
        let cases = [
            (
                "postgres://user:p@ss:w/rd%21@127.0.0.1:1/nope",
                "p@ss:w/rd!",
            ),
            (
                "postgres://user:p%40ss%3Aw%2Frd%2521@127.0.0.1:1/nope",
                "p@ss:w/rd%21",
            ),
            ("postgres://user:a?b#c@127.0.0.1:1/nope", "a?b#c"),
        ];
        for (url, password) in cases {
            let c = PostgresConfig::from_url(url).unwrap();
            assert_eq!(c.password.as_ref().unwrap().expose(), password, "{url}");
            assert_eq!(
                (c.user.as_str(), c.host.as_str(), c.port),
                ("user", "127.0.0.1", 1)
            );
            assert_eq!(c.database.as_deref(), Some("nope"), "{url}");
            assert!(!format!("{c:?} {}", c.label()).contains(password), "{url}");
        }
        let err = PostgresConfig::from_url("postgres://user:p@ss:w/rd%21@127.0.0.1/nope?bogus=1")
            .unwrap_err();
        assert!(
            err.message.contains("store.url.bogus: unknown setting"),
            "{err}"
        );
        let text = format!("{err} {err:?}");
        assert!(!text.contains("p@ss") && !text.contains("w/rd"), "{text}");
    }

    #[test]
    fn bad_urls_name_the_part_and_hide_the_password() {
        let cases = [
            ("postgres://u:hunter2@h:port/db", "store.url.port"),
            (
                "postgres://u:hunter2@h/db?schema=Team",
                "store.postgres.schema",
            ),
            (
                "postgres://u:hunter2@h/db?schema=pg_x",
                "store.postgres.schema",
            ),
            ("postgres://u:hunter2@h/db?pool=3", "store.url.pool"),
            (
                "postgres://u:hunter2@h/db?pool_size=0",
                "pool_size: must be at least 1",
            ),
            (
                "postgres://u:hunter2@h/db?sslmode=maybe",
                "store.postgres.ssl_mode",
            ),
            ("postgres://u:hunter2@[::1/db", "store.url.host"),
            ("mysql://u:hunter2@h/db", "postgres://"),
        ];
        for (url, want) in cases {
            let err = PostgresConfig::from_url(url).unwrap_err();
            assert_eq!(err.kind(), StoreErrorKind::Config, "{url}");
            assert!(err.message.contains(want), "{url}: {err}");
            assert!(!err.message.contains("hunter2"), "{url}: leaks: {err}");
        }
    }

    #[test]
    fn debug_redacts_the_password() {
        let c = PostgresConfig::new("db").password("hunter2").schema("x");
        let text = format!("{c:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("password: Some(***)"), "{text}");
        assert!(!c.label().contains("hunter2"));
    }

    #[test]
    fn environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let c = PostgresConfig::from_lookup(env(&[
            ("PGHOST", "db"),
            ("PGPORT", "5433"),
            ("PGUSER", "u"),
            ("PGPASSWORD", "pw"),
            ("PGDATABASE", "d"),
            ("BENCHCORE_PG_SCHEMA", "s"),
        ]))
        .unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str()),
            ("db", 5433, "u")
        );
        assert_eq!(c.password.unwrap().expose(), "pw");
        assert_eq!(
            (c.database.as_deref(), c.schema.as_deref()),
            (Some("d"), Some("s"))
        );
        let c = PostgresConfig::from_lookup(env(&[
            ("BENCHCORE_STORE", "postgres://x@h/db2"),
            ("PGHOST", "ignored"),
        ]))
        .unwrap();
        assert_eq!((c.host.as_str(), c.database.as_deref()), ("h", Some("db2")));
        let err = PostgresConfig::from_lookup(env(&[("PGPORT", "x")])).unwrap_err();
        assert!(err.message.starts_with("PGPORT"), "{err}");
        let err =
            PostgresConfig::from_lookup(env(&[("BENCHCORE_STORE", "sqlite://a.db")])).unwrap_err();
        assert!(err.message.starts_with("BENCHCORE_STORE"), "{err}");
    }
}
