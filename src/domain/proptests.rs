//! Property tests of the domain parsers, which see every byte an anonymous caller sends:
//! no input panics, and whatever is accepted parses again to itself (the round-trip that
//! storing a value as text and reading it back relies on). `strategies` also serves the
//! property tests of the layers above. fuzz/ runs the same parsers under cargo-fuzz.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use proptest::prelude::*;

use super::*;

pub(crate) mod strategies {
    use proptest::prelude::*;

    /// Characters that have broken parsers before: separators and escapes of URIs, forms,
    /// cookies and JWTs, whitespace and controls of every kind, invisible and formatting
    /// characters, look-alikes, characters whose case mapping or NFKC form changes their
    /// length (`İ`, `ß`, `ﬁ`, `Σ`), combining marks, and astral-plane characters.
    const NASTY: &[char] = &[
        ' ',
        '\t',
        '\n',
        '\r',
        '\u{0}',
        '\u{7f}',
        '\u{85}',
        '\u{a0}',
        '\u{ad}',
        '\u{200b}',
        '\u{200d}',
        '\u{202e}',
        '\u{2028}',
        '\u{3000}',
        '\u{feff}',
        '\u{fe0f}',
        '\u{e000}',
        '\u{10ffff}',
        '%',
        '+',
        '#',
        '?',
        '&',
        '=',
        ';',
        ':',
        '/',
        '\\',
        '@',
        '.',
        ',',
        '"',
        '\'',
        '<',
        '>',
        '*',
        '[',
        ']',
        '{',
        '}',
        '~',
        '_',
        '-',
        'A',
        'z',
        '0',
        '9',
        'İ',
        'ı',
        'ß',
        'ẞ',
        'ﬁ',
        'Σ',
        'ς',
        '\u{430}',
        '\u{435}',
        'Ａ',
        'ｚ',
        '\u{301}',
        '\u{307}',
        'é',
        'K',
        'Å',
        '\u{1d41a}',
        '\u{1f600}',
        'ü',
        'Ü',
        '。',
        '．',
        '＠',
        '\u{fb01}',
    ];

    pub fn nasty_char() -> impl Strategy<Value = char> {
        prop_oneof![
            3 => prop::sample::select(NASTY),
            1 => any::<char>(),
        ]
    }

    /// Text mostly made of `NASTY`, up to `max` characters.
    pub fn nasty_string(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(nasty_char(), 0..=max).prop_map(|cs| cs.into_iter().collect())
    }

    /// Any text: arbitrary Unicode, printable ASCII, or `nasty_string`.
    pub fn text(max: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            prop::collection::vec(0x20u8..0x7f, 0..=max)
                .prop_map(|b| b.into_iter().map(char::from).collect()),
            nasty_string(max),
        ]
    }

    /// A valid-looking email address with nasty parts, so the checks after the first pass
    /// (NFKC, IDNA, lengths, case folding) are reached.
    pub fn email_like() -> impl Strategy<Value = String> {
        let local = prop_oneof!["[a-zA-Z0-9.+_-]{1,20}", nasty_string(12)];
        let domain = prop_oneof![
            "[a-z0-9-]{1,12}\\.[a-z]{2,6}",
            "xn--[a-z0-9-]{1,12}\\.[a-z]{2,4}",
            (nasty_string(8), "[a-z]{2,6}").prop_map(|(l, tld)| format!("{l}.{tld}")),
            nasty_string(16),
        ];
        (local, domain, prop::bool::ANY).prop_map(|(l, d, pad)| match pad {
            true => format!(" {l}@{d} "),
            false => format!("{l}@{d}"),
        })
    }

    /// Something shaped like a URI: a scheme, maybe an authority, a path and a query built
    /// from URI characters and nasty ones.
    pub fn uri_like() -> impl Strategy<Value = String> {
        let scheme = prop_oneof![
            Just("https".to_string()),
            Just("http".to_string()),
            Just("HTTPS".to_string()),
            Just("com.example.app".to_string()),
            Just("javascript".to_string()),
            "[a-zA-Z][a-zA-Z0-9+.-]{0,10}",
        ];
        let sep = prop_oneof![Just("://"), Just(":/"), Just(":"), Just(":///"), Just("//")];
        let host = prop_oneof![
            "[a-z0-9.-]{0,20}(:[0-9]{1,5})?",
            Just("[::1]:3000".to_string()),
            Just("127.0.0.1".to_string()),
            nasty_string(10),
        ];
        let rest = prop_oneof![
            "[-a-zA-Z0-9._~:/?\\[\\]@!$&'()*+,;=%]{0,40}",
            nasty_string(20),
        ];
        (scheme, sep, host, rest).prop_map(|(s, sep, h, r)| format!("{s}{sep}{h}{r}"))
    }

    /// Scope tokens (RFC 6749 §3.3 `scope-token`) and a few that break the grammar.
    pub fn scope_like() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            3 => prop::sample::select(vec!["openid", "profile", "email", "offline_access", "api:read"])
                .prop_map(str::to_string),
            3 => "[!#-\\[\\]-~]{1,12}",
            1 => nasty_string(6),
        ];
        let sep = prop::sample::select(vec![" ", " ", " ", "  ", "\t", "+"]);
        prop::collection::vec((token, sep), 0..8).prop_map(|parts| {
            let mut out = String::new();
            for (i, (token, sep)) in parts.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(&token);
            }
            out
        })
    }

    /// A PKCE verifier or challenge as RFC 7636 §4.1 allows (43 to 128 unreserved).
    pub fn pkce_string() -> impl Strategy<Value = String> {
        "[A-Za-z0-9._~-]{43,128}"
    }
}

use strategies::*;

/// Proptest's default is 256 cases; said here so `cargo test` stays quick if it changes.
fn config() -> ProptestConfig {
    ProptestConfig::with_cases(256)
}

proptest! {
    #![proptest_config(config())]

    /// Email: parsing never panics; what is accepted is a fixed point (display, normal form
    /// and skeleton all survive being parsed again), the normal form is idempotent, and an
    /// address read back from the database is the one that was stored.
    #[test]
    fn email_normalisation_is_idempotent(raw in prop_oneof![email_like(), text(40)]) {
        let Ok(email) = Email::parse(&raw) else { return Ok(()) };
        let again = Email::parse(email.as_str());
        prop_assert_eq!(again.as_ref(), Ok(&email));
        prop_assert_eq!(Email::from_trusted(email.as_str().to_string()), email.clone());
        let normal = Email::parse(email.normalized())
            .map_err(|e| TestCaseError::fail(format!("normal form refused: {e}")))?;
        prop_assert_eq!(normal.normalized(), email.normalized());
        prop_assert_eq!(normal.as_str(), email.normalized());
        prop_assert_eq!(normal.skeleton(), email.skeleton());
        prop_assert!(email.as_str().len() <= 254 && email.normalized().len() <= 254);
        prop_assert!(!email.as_str().chars().any(|c| c.is_control() || c.is_whitespace()));
    }

    /// Case never separates two addresses: an upper-cased address is the same account or
    /// refused, never a different account.
    #[test]
    fn email_case_does_not_make_another_account(raw in email_like()) {
        let (Ok(a), Ok(b)) = (Email::parse(&raw), Email::parse(&raw.to_uppercase())) else {
            return Ok(());
        };
        prop_assert_eq!(a.skeleton(), b.skeleton());
    }

    /// Redirect URIs: kept exactly as given, so parse → to string → parse is the identity,
    /// and nothing accepted has a fragment, whitespace, or a dangerous scheme.
    #[test]
    fn redirect_uri_round_trips(raw in prop_oneof![3 => uri_like(), 1 => text(60)]) {
        let Ok(uri) = RedirectUri::parse(&raw) else { return Ok(()) };
        prop_assert_eq!(uri.as_str(), raw.as_str());
        // Through its string form, as it is stored.
        let text = uri.to_string();
        prop_assert_eq!(RedirectUri::parse(&text), Ok(uri.clone()));
        prop_assert!(uri.matches(&raw));
        let json = serde_json::to_string(&uri).unwrap();
        prop_assert_eq!(serde_json::from_str::<RedirectUri>(&json).unwrap(), uri.clone());
        prop_assert!(!raw.contains('#') && raw.is_ascii());
        prop_assert!(!raw.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()));
        let url = url::Url::parse(&raw).unwrap();
        let scheme = url.scheme();
        prop_assert!(scheme == "http" || scheme == "https" || scheme.contains('.'), "{}", scheme);
        if scheme.starts_with("http") {
            prop_assert!(url.host_str().is_some_and(|h| !h.is_empty() && !h.contains('*')));
        }
    }

    /// Post-logout and CORS origins: an accepted origin is its own serialization.
    #[test]
    fn origin_round_trips(raw in prop_oneof![uri_like(), text(40)]) {
        if let Ok(origin) = Origin::parse(&raw) {
            prop_assert_eq!(origin.as_str(), raw.as_str());
            prop_assert_eq!(Origin::parse(origin.as_str()), Ok(origin.clone()));
        }
        let _ = Origin::of(&raw);
    }

    /// Scopes: the string form parses back to the same set; tokens are unique, within the
    /// grammar, and the whole stays within the bound.
    #[test]
    fn scope_round_trips(raw in prop_oneof![3 => scope_like(), 1 => text(40)]) {
        let Ok(set) = ScopeSet::parse(&raw) else { return Ok(()) };
        let text = set.to_string();
        prop_assert_eq!(ScopeSet::parse(&text), Ok(set.clone()));
        prop_assert!(text.len() <= ScopeSet::MAX_LEN);
        let tokens: Vec<&str> = set.iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            prop_assert!(!tokens[..i].contains(token), "duplicate {}", token);
            prop_assert!(set.contains(token));
        }
        prop_assert!(set.is_subset(&set) && set.intersection(&set) == set);
        prop_assert_eq!(set.union(&set), set.clone());
        let json = serde_json::to_string(&set).unwrap();
        prop_assert_eq!(serde_json::from_str::<ScopeSet>(&json).unwrap(), set);
    }

    /// Scope sets: set algebra agrees with membership, whatever the two sides.
    #[test]
    fn scope_algebra(a in scope_like(), b in scope_like()) {
        let (Ok(a), Ok(b)) = (ScopeSet::parse(&a), ScopeSet::parse(&b)) else { return Ok(()) };
        let both = a.intersection(&b);
        prop_assert!(both.is_subset(&a) && both.is_subset(&b));
        let either = a.union(&b);
        prop_assert!(a.is_subset(&either) && b.is_subset(&either));
        prop_assert_eq!(either.len(), a.len() + b.len() - both.len());
    }

    /// PKCE: a verifier from the grammar matches the S256 challenge made from it and no
    /// other; no challenge or verifier, however odd, panics or matches by accident.
    #[test]
    fn pkce_s256_matches_only_its_verifier(
        verifier in pkce_string(),
        other in prop_oneof![pkce_string(), text(130)],
    ) {
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        let challenge = CodeChallenge::parse(&URL_SAFE_NO_PAD.encode(digest), Some("S256")).unwrap();
        prop_assert!(challenge.verify(&verifier));
        prop_assert_eq!(challenge.verify(&other), other == verifier);
        prop_assert!(!challenge.verify(challenge.as_str()) || challenge.as_str() == verifier);
    }

    #[test]
    fn pkce_parsing_never_panics(
        challenge in prop_oneof![pkce_string(), text(140)],
        method in proptest::option::of(prop_oneof![Just("S256".to_string()), text(8)]),
    ) {
        if let Ok(parsed) = CodeChallenge::parse(&challenge, method.as_deref()) {
            prop_assert_eq!(method.as_deref(), Some("S256"));
            prop_assert_eq!(parsed.as_str(), challenge.as_str());
            prop_assert_eq!(CodeChallenge::try_from(challenge.clone()), Ok(parsed));
        }
    }

    /// The `claims` parameter: any text is refused or parsed within bounds, never a panic;
    /// the stored form reads back to the same request; narrowing to a client's scopes is
    /// idempotent and never adds a claim.
    #[test]
    fn claims_request_parses_within_bounds(raw in prop_oneof![claims_json(), text(80)]) {
        let Ok(request) = ClaimsRequest::parse(&raw) else { return Ok(()) };
        prop_assert!(request.userinfo.len() + request.id_token.len() <= claims::MAX_CLAIM_NAMES);
        prop_assert_eq!(ClaimsRequest::from_json(&request.to_json()), Ok(request.clone()));
        let scopes = ScopeSet::parse("openid email profile").unwrap();
        let allowed = request.allowed_by(&scopes);
        prop_assert_eq!(allowed.allowed_by(&scopes), allowed.clone());
        for name in allowed.userinfo.iter().chain(&allowed.id_token) {
            prop_assert!(request.userinfo.contains(name) || request.id_token.contains(name));
            prop_assert!(claims::scope_of(name).is_some_and(|s| scopes.contains(s)));
        }
        prop_assert!(allowed.beyond(&scopes).is_empty());
    }

    #[test]
    fn stored_claims_never_panic(raw in prop_oneof![claims_json(), text(80)]) {
        if let Ok(request) = ClaimsRequest::from_json(&raw) {
            prop_assert_eq!(ClaimsRequest::from_json(&request.to_json()), Ok(request));
        }
    }

    /// Profile fields: an accepted value is trimmed, bounded, without control characters,
    /// and parses again to itself.
    #[test]
    fn profile_fields_round_trip(raw in text(220), field in prop::sample::select(vec![
        LineField::Name, LineField::GivenName, LineField::FamilyName, LineField::Locality,
        LineField::Region, LineField::PostalCode, LineField::Country,
    ])) {
        if let Ok(Some(line)) = ProfileLine::parse(field, &raw) {
            prop_assert_eq!(ProfileLine::parse(field, line.as_str()), Ok(Some(line.clone())));
            prop_assert!(line.as_str().chars().count() <= field.max_chars());
            prop_assert!(!line.as_str().chars().any(char::is_control));
            prop_assert_eq!(line.as_str(), line.as_str().trim());
        }
    }

    #[test]
    fn street_address_round_trips(raw in text(320)) {
        if let Ok(Some(street)) = StreetAddress::parse(&raw) {
            prop_assert_eq!(StreetAddress::parse(street.as_str()), Ok(Some(street.clone())));
            prop_assert!(street.as_str().chars().count() <= StreetAddress::MAX_CHARS);
            prop_assert!(!street.as_str().chars().any(|c| c.is_control() && c != '\n'));
            prop_assert!(street.as_str().split('\n').all(|l| !l.is_empty() && l == l.trim()));
        }
    }

    #[test]
    fn phone_number_round_trips(raw in prop_oneof![
        "\\+[0-9 ().-]{0,20}(;ext=[0-9]{0,11})?",
        text(45),
    ]) {
        if let Ok(Some(phone)) = PhoneNumber::parse(&raw) {
            prop_assert_eq!(PhoneNumber::parse(phone.as_str()), Ok(Some(phone.clone())));
            prop_assert!(phone.as_str().starts_with('+'));
            prop_assert!(phone.as_str().chars().count() <= PhoneNumber::MAX_CHARS);
        }
    }

    /// Identifiers and secrets read back from requests and cookies.
    #[test]
    fn client_ids_and_presented_secrets(raw in text(300)) {
        if let Ok(id) = ClientId::parse(&raw) {
            prop_assert_eq!(id.as_str(), raw.as_str());
            prop_assert!(raw.len() <= ClientId::MAX_LEN);
        }
        if let Some(token) = SecretToken::from_presented(&raw) {
            prop_assert_eq!(token.as_str(), raw.as_str());
            prop_assert!((16..=256).contains(&raw.len()));
            prop_assert!(token.hash().matches(&TokenHash::of(&raw)));
        }
    }

    #[test]
    fn colours_round_trip(raw in prop_oneof!["#[0-9a-fA-F]{3,6}", text(10)]) {
        if let Ok(color) = Color::parse(&raw) {
            prop_assert_eq!(Color::parse(&color.to_string()), Ok(color));
        }
    }
}

/// JSON shaped like a claims request: objects of claim names mapping to null, objects or
/// other values, at the top level and under `userinfo` / `id_token`.
fn claims_json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        text(8).prop_map(serde_json::Value::String),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(claim_name(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    let member = prop_oneof![
        prop::collection::btree_map(
            claim_name(),
            prop_oneof![
                3 => Just(serde_json::Value::Null),
                1 => Just(serde_json::json!({"essential": true})),
                1 => value.clone(),
            ],
            0..40
        )
        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        value,
    ]
    .boxed();
    (
        proptest::option::of(member.clone()),
        proptest::option::of(member),
    )
        .prop_map(|(userinfo, id_token)| {
            let mut object = serde_json::Map::new();
            if let Some(v) = userinfo {
                object.insert("userinfo".into(), v);
            }
            if let Some(v) = id_token {
                object.insert("id_token".into(), v);
            }
            serde_json::Value::Object(object).to_string()
        })
}

fn claim_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "email",
            "email_verified",
            "name",
            "given_name",
            "phone_number",
            "address",
            "sub",
            "acr",
            "profile",
        ])
        .prop_map(str::to_string),
        nasty_string(6),
    ]
}
