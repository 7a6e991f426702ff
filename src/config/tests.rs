//! Loading and checking settings: every existing key, its defaults, and how a bad value is
//! named.
use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_are_development() {
    let s = Settings::defaults();
    assert_eq!(s.server.bind.to_string(), "127.0.0.1:8080");
    assert!(s.server.issuer.is_none());
    assert!(!s.is_production());
    assert_eq!(
        s.database_kind(),
        Some(DatabaseKind::Sqlite("data/ferrid.db".into()))
    );
    assert_eq!(s.password.memory_kib, 19456);
    assert_eq!(s.password.policy().min_length(), 15);
}

#[test]
fn password_min_length_is_bounded() {
    for (value, ok) in [
        ("7", false),
        ("8", true),
        ("15", true),
        ("64", true),
        ("65", false),
    ] {
        let result = Settings::load(None, vars(&[("FERRID__PASSWORD__MIN_LENGTH", value)]));
        assert_eq!(result.is_ok(), ok, "{value}: {result:?}");
        if let Err(e) = result {
            assert!(e.to_string().contains("password.min_length"), "{e}");
        }
    }
}

#[test]
fn environment_overrides_any_key() {
    let s = Settings::load(
        None,
        vars(&[
            ("FERRID__SERVER__BIND", "0.0.0.0:9000"),
            // An http issuer: an https one would make this production, wanting a master key.
            ("FERRID__SERVER__ISSUER", "http://192.0.2.10:9000"),
            ("FERRID__DATABASE__URL", "postgres://u@h/db"),
            ("FERRID__PASSWORD__ITERATIONS", "3"),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(s.server.bind.to_string(), "0.0.0.0:9000");
    assert_eq!(s.password.iterations, 3);
    assert!(matches!(s.database_kind(), Some(DatabaseKind::Postgres(_))));
}

#[test]
fn bad_values_are_named() {
    let err = Settings::load(
        None,
        vars(&[
            ("FERRID__SERVER__BIND", "nonsense"),
            ("FERRID__SERVER__ISSUER", "example.com/x"),
            ("FERRID__DATABASE__URL", "mysql://x"),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("server.bind"), "{err}");
    assert!(err.contains("server.issuer"), "{err}");
    assert!(err.contains("database.url"), "{err}");
}

#[test]
fn production_refuses_development_secrets() {
    let err = Settings::load(
        None,
        vars(&[("FERRID__SERVER__ISSUER", "https://id.example.com")]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("secrets.master_key"), "{err}");
    let ok = Settings::load(
        None,
        vars(&[
            ("FERRID__SERVER__ISSUER", "https://id.example.com"),
            ("FERRID__SECRETS__MASTER_KEY", "AAAA"),
        ]),
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn refresh_reuse_grace_defaults_to_30_and_refuses_negatives() {
    assert_eq!(Settings::defaults().tokens.refresh_reuse_grace, 30);
    let off = Settings::load(None, vars(&[("FERRID__TOKENS__REFRESH_REUSE_GRACE", "0")]));
    assert_eq!(off.unwrap().tokens.refresh_reuse_grace, 0);
    let err = Settings::load(None, vars(&[("FERRID__TOKENS__REFRESH_REUSE_GRACE", "-1")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("tokens.refresh_reuse_grace"), "{err}");
}

#[test]
fn outage_timeouts_are_checked() {
    let s = Settings::defaults();
    assert_eq!(s.database.pool_timeout_ms, 1000);
    assert!(s.rate_limit.redis_timeout_ms <= 100);
    let err = Settings::load(
        None,
        vars(&[
            ("FERRID__DATABASE__POOL_TIMEOUT_MS", "0"),
            ("FERRID__SERVER__REQUEST_TIMEOUT_MS", "10"),
            ("FERRID__RATE_LIMIT__REDIS_TIMEOUT_MS", "5000"),
            ("FERRID__RATE_LIMIT__REDIS_RETRY_INTERVAL", "0"),
        ]),
    )
    .unwrap_err()
    .to_string();
    for key in [
        "database.pool_timeout_ms",
        "server.request_timeout_ms",
        "rate_limit.redis_timeout_ms",
        "rate_limit.redis_retry_interval",
    ] {
        assert!(err.contains(key), "{key}: {err}");
    }
}

#[test]
fn secrets_do_not_print() {
    let s = Secret::new("hunter2");
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn passwords_in_database_urls_are_masked() {
    assert_eq!(
        redact_url("postgres://u:pw@h/db"),
        "postgres://u:***@h/db".to_string()
    );
}

/// Each case: a variable, and the key and words the refusal must have. Serde refuses these
/// as they are read (an address, a word from a list, a URL, a non-zero count).
const REFUSED: &[(&str, &str, &str)] = &[
    (
        "FERRID__SERVER__BIND",
        "nonsense",
        "server.bind: 'nonsense' is not an address",
    ),
    ("FERRID__SERVER__BIND", "localhost:80", "server.bind:"),
    (
        "FERRID__SERVER__ENVIRONMENT",
        "prod",
        "server.environment: 'prod' must be development or production",
    ),
    (
        "FERRID__SERVER__ISSUER",
        "https://id.example.com/",
        "server.issuer: 'https://id.example.com/' must not end with a slash",
    ),
    (
        "FERRID__SERVER__ISSUER",
        "ftp://id.example.com",
        "server.issuer: 'ftp://id.example.com' must be an http or https URL",
    ),
    (
        "FERRID__SERVER__ISSUER",
        "https://id.example.com?x=1",
        "server.issuer: 'https://id.example.com?x=1' must not have a query",
    ),
    (
        "FERRID__KEYS__ALGORITHM",
        "HS256",
        "keys.algorithm: 'HS256' must be RS256 or ES256",
    ),
    (
        "FERRID__KEYS__ALGORITHM",
        "rs256",
        "keys.algorithm: 'rs256' must be RS256 or ES256",
    ),
    (
        "FERRID__DATABASE__POOL_SIZE",
        "0",
        "database.pool_size: 0 must be at least 1",
    ),
    (
        "FERRID__DATABASE__POOL_SIZE",
        "-2",
        "database.pool_size: -2 must be at least 1",
    ),
    (
        "FERRID__DATABASE__POOL_SIZE",
        "5000000000",
        "database.pool_size: 5000000000 is too large",
    ),
    (
        "FERRID__SERVER__BLOCKING_THREADS",
        "0",
        "server.blocking_threads: 0 must be at least 1",
    ),
    (
        "FERRID__KEYS__POLL_INTERVAL",
        "0",
        "keys.poll_interval: 0 must be at least 1",
    ),
    (
        "FERRID__MAIL__POLL_INTERVAL",
        "0",
        "mail.poll_interval: 0 must be at least 1",
    ),
    (
        "FERRID__MAIL__TIMEOUT",
        "0",
        "mail.timeout: 0 must be at least 1",
    ),
    (
        "FERRID__SERVER__CORS_ORIGINS",
        "https://a.example/",
        "server.cors_origins: 'https://a.example/' is not an origin",
    ),
    (
        "FERRID__SERVER__BOGUS",
        "1",
        "server.bogus: unknown key, expected one of `bind`",
    ),
];

#[test]
fn typed_values_are_refused_naming_their_key() {
    for (var, value, expected) in REFUSED {
        let err = Settings::load(None, vars(&[(var, value)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{var}={value}: {err}");
    }
}

/// Serde stops at the first refusal; the loader steps over it, so one start names every
/// refused value and every broken rule (here `database.url`, checked by `validate`).
#[test]
fn every_problem_is_reported_at_once() {
    let err = Settings::load(
        None,
        vars(&[
            ("FERRID__SERVER__BIND", "nonsense"),
            ("FERRID__SERVER__ENVIRONMENT", "prod"),
            ("FERRID__SERVER__BOGUS", "1"),
            ("FERRID__KEYS__ALGORITHM", "HS256"),
            ("FERRID__DATABASE__POOL_SIZE", "0"),
            ("FERRID__DATABASE__URL", "mysql://u:secret@x"),
        ]),
    )
    .unwrap_err()
    .to_string();
    for key in [
        "server.bind",
        "server.environment",
        "server.bogus",
        "keys.algorithm",
        "database.pool_size",
        "database.url",
    ] {
        assert!(err.contains(&format!("  - {key}: ")), "{key}: {err}");
    }
    assert!(
        !err.contains("secret"),
        "the database password is masked: {err}"
    );
}

#[test]
fn typed_values_are_read() {
    let s = Settings::load(
        None,
        vars(&[
            ("FERRID__SERVER__ENVIRONMENT", "production"),
            ("FERRID__SERVER__ISSUER", "https://id.example.com"),
            ("FERRID__SECRETS__MASTER_KEY", "AAAA"),
            ("FERRID__KEYS__ALGORITHM", "ES256"),
            ("FERRID__DATABASE__POOL_SIZE", "12"),
        ]),
    )
    .unwrap();
    assert_eq!(s.server.environment, Environment::Production);
    assert_eq!(
        s.server.issuer.as_ref().unwrap().as_str(),
        "https://id.example.com"
    );
    // No fallback: what is configured is what signs.
    assert_eq!(s.signing_alg(), SigningAlg::ES256);
    assert_eq!(s.database.pool_size.get(), 12);
    assert_eq!(Settings::defaults().signing_alg(), SigningAlg::RS256);
}

/// A list setting from the environment is one comma-separated value; blanks around the
/// commas are fine, and an empty value means none.
#[test]
fn cors_origins_come_from_the_environment_as_a_list() {
    let origins = |value: &str| -> Vec<String> {
        let s = Settings::load(None, vars(&[("FERRID__SERVER__CORS_ORIGINS", value)])).unwrap();
        s.server
            .cors_origins
            .iter()
            .map(|o| o.to_string())
            .collect()
    };
    assert_eq!(
        origins("https://a.example,https://b.example"),
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(
        origins("https://a.example, http://127.0.0.1:3000"),
        ["https://a.example", "http://127.0.0.1:3000"]
    );
    assert_eq!(origins("https://a.example"), ["https://a.example"]);
    assert!(origins("").is_empty());
    assert!(Settings::defaults().server.cors_origins.is_empty());
    // Only the list keys are split: a comma elsewhere stays in the value.
    let s = Settings::load(
        None,
        vars(&[(
            "FERRID__MAIL__FROM",
            "\"Ferrid, the IdP\" <no-reply@localhost>",
        )]),
    )
    .unwrap();
    assert_eq!(s.mail.from, "\"Ferrid, the IdP\" <no-reply@localhost>");
}

/// In a file, a list is a TOML array, read through the same rules.
#[test]
fn cors_origins_come_from_a_file_as_an_array() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferrid.toml");
    std::fs::write(
        &path,
        "[server]\ncors_origins = [\"https://a.example\", \"https://b.example\"]\n",
    )
    .unwrap();
    let s = Settings::load(Some(&path), Vec::new()).unwrap();
    assert_eq!(s.server.cors_origins.len(), 2);
    std::fs::write(
        &path,
        "[server]\ncors_origins = [\"https://a.example/app\"]\n",
    )
    .unwrap();
    let err = Settings::load(Some(&path), Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("server.cors_origins: 'https://a.example/app'"),
        "{err}"
    );
}

/// `server.trusted_proxies`: addresses and CIDR blocks, from the environment as a list.
#[test]
fn trusted_proxies_are_networks() {
    let load =
        |value: &str| Settings::load(None, vars(&[("FERRID__SERVER__TRUSTED_PROXIES", value)]));
    let nets = load("10.0.0.0/8, 192.0.2.7,::1")
        .unwrap()
        .server
        .trusted_proxies;
    let shown: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
    assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "::1/128"]);
    assert!(Settings::defaults().server.trusted_proxies.is_empty());
    let err = load("10.0.0.0/33").unwrap_err().to_string();
    assert!(
        err.contains("server.trusted_proxies: '10.0.0.0/33'"),
        "{err}"
    );
}

/// The old name of the per-(account, IP) limit is refused with the new one in the message
/// (it changed meaning); limits of 0 and a cap below the first delay are refused by name.
#[test]
fn rate_limit_keys() {
    let err = Settings::load(
        None,
        vars(&[("FERRID__RATE_LIMIT__LOGIN_PER_ACCOUNT", "7")]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("login_per_account_ip"), "{err}");
    let err = Settings::load(None, vars(&[("FERRID__RATE_LIMIT__REGISTER_PER_IP", "0")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rate_limit.register_per_ip: must be at least 1"),
        "{err}"
    );
    let err = Settings::load(None, vars(&[("FERRID__RATE_LIMIT__MAX_DELAY", "10")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("rate_limit.max_delay"), "{err}");
}

#[test]
fn all_interfaces_without_an_issuer_are_refused() {
    for bind in ["0.0.0.0:8080", "[::]:8080"] {
        let err = Settings::load(None, vars(&[("FERRID__SERVER__BIND", bind)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("server.issuer: must be set when server.bind listens on all interfaces"),
            "{bind}: {err}"
        );
        assert!(
            err.contains("FERRID__SERVER__ISSUER="),
            "says how to set it: {err}"
        );
        let ok = Settings::load(
            None,
            vars(&[
                ("FERRID__SERVER__BIND", bind),
                ("FERRID__SERVER__ISSUER", "http://192.0.2.10:8080"),
            ]),
        );
        assert!(ok.is_ok(), "{bind} with an issuer: {:?}", ok.err());
    }
    // A specific address keeps the fallback issuer (http://<bound address>).
    let local = Settings::load(None, vars(&[("FERRID__SERVER__BIND", "127.0.0.1:0")]));
    assert!(local.is_ok(), "{:?}", local.err());
}
