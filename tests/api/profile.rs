//! The profile on /account: edited through the form, checked, and released as claims.
use ferrid::domain::Email;
use ferrid::store::users::{self, Profile};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    profile_is_edited_and_read_back,
    clearing_a_profile_field_is_an_edit,
    profile_post_without_csrf_token_is_forbidden_and_writes_nothing,
    bad_profile_input_is_refused_and_writes_nothing,
    account_page_needs_a_login,
    profile_claims_reach_userinfo,
);

fn profile_of(app: &TestApp, email: &str) -> Profile {
    let mut conn = app.conn();
    let user = users::find_by_email(&mut conn, &Email::parse(email).unwrap())
        .unwrap()
        .expect("the user exists");
    users::find_with_profile(&mut conn, &user.id)
        .unwrap()
        .unwrap()
        .1
}

const FIELDS: &[(&str, &str)] = &[
    ("name", " Ann <b>Lee</b> & co "),
    ("given_name", "Ann"),
    ("family_name", "Lee"),
    ("phone_number", "+1 (425) 555-1212"),
    ("street_address", "1 Main St\r\nApt 4"),
    ("locality", "Springfield"),
    ("region", "OR"),
    ("postal_code", "97477"),
    ("country", "US"),
];

/// Posts the profile form (with the page's CSRF token unless `csrf` says otherwise).
async fn post_profile(
    browser: &Browser,
    fields: &[(&str, &str)],
    csrf: Option<&str>,
) -> reqwest::Response {
    match csrf {
        Some(token) => browser.post("/account", &with_csrf(fields, token)).await,
        None => browser.form("/account", fields).await,
    }
}

async fn profile_is_edited_and_read_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;

    let response = post_profile(&browser, FIELDS, None).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/account");

    let saved = profile_of(&app, &user.email);
    assert_eq!(
        saved,
        Profile {
            name: "Ann <b>Lee</b> & co".into(),
            given_name: "Ann".into(),
            family_name: "Lee".into(),
            phone_number: "+1 (425) 555-1212".into(),
            phone_number_verified: false,
            street_address: "1 Main St\nApt 4".into(),
            locality: "Springfield".into(),
            region: "OR".into(),
            postal_code: "97477".into(),
            country: "US".into(),
        }
    );

    let page = browser.get("/account").await;
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(
        body.contains("Ann &#60;b&#62;Lee&#60;/b&#62; &#38; co"),
        "escaped: {body}"
    );
    assert!(!body.contains("<b>Lee"), "{body}");
    for value in [
        "Springfield",
        "97477",
        "+1 (425) 555-1212",
        "1 Main St\nApt 4",
    ] {
        assert!(body.contains(value), "{value:?} in {body}");
    }
    assert!(body.contains("action=\"/logout\""), "the logout form stays");
}

async fn clearing_a_profile_field_is_an_edit(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    assert_eq!(post_profile(&browser, FIELDS, None).await.status(), 303);
    assert_eq!(
        profile_of(&app, &user.email).phone_number,
        "+1 (425) 555-1212"
    );
    let mut cleared = FIELDS.to_vec();
    cleared.retain(|(k, _)| *k != "phone_number");
    cleared.push(("phone_number", ""));
    assert_eq!(post_profile(&browser, &cleared, None).await.status(), 303);
    assert_eq!(profile_of(&app, &user.email).phone_number, "");
}

async fn profile_post_without_csrf_token_is_forbidden_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let before = profile_of(&app, &user.email);
    let _ = browser.csrf("/account").await; // the browser has a CSRF cookie

    let missing = browser.post("/account", FIELDS).await;
    assert_eq!(missing.status(), 403);
    let forged = post_profile(
        &browser,
        FIELDS,
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    )
    .await;
    assert_eq!(forged.status(), 403);
    // A token from another browser is no good either.
    let other = app.browser().csrf("/login").await;
    let foreign = post_profile(&browser, FIELDS, Some(&other)).await;
    assert_eq!(foreign.status(), 403);

    assert_eq!(profile_of(&app, &user.email), before);
}

async fn bad_profile_input_is_refused_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let before = profile_of(&app, &user.email);

    let long_country = "x".repeat(65);
    let long_name = "x".repeat(101);
    let cases: &[(&str, &str, &str)] = &[
        ("phone_number", "555-1212", "international format"),
        ("phone_number", "+1 555 CALL NOW", "international format"),
        ("country", &long_country, "country must be at most 64"),
        ("given_name", "Ann\u{7}", "given name must be"),
        ("family_name", &long_name, "family name must be"),
        ("street_address", "1 Main St\u{0}", "street address must be"),
    ];
    for (field, value, message) in cases {
        let mut fields = FIELDS.to_vec();
        fields.retain(|(k, _)| k != field);
        fields.push((field, value));
        let response = post_profile(&browser, &fields, None).await;
        assert_eq!(response.status(), 400, "{field} = {value:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{field}: {message:?} in {body}");
        // The form comes back with what was typed, so nothing has to be typed again.
        assert!(body.contains("Springfield"), "{body}");
        assert!(body.contains("name=\"csrf_token\""), "{body}");
        assert_eq!(profile_of(&app, &user.email), before, "{field}");
    }
}

async fn account_page_needs_a_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let before = profile_of(&app, &user.email);
    let browser = app.browser();

    let page = browser.get("/account").await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login?return_to=%2Faccount");

    // A valid CSRF token is not a login.
    let csrf = browser.csrf("/login").await;
    let response = post_profile(&browser, FIELDS, Some(&csrf)).await;
    assert_eq!(response.status(), 303);
    assert!(response.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    assert_eq!(profile_of(&app, &user.email), before);
}

async fn profile_claims_reach_userinfo(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    assert_eq!(post_profile(&browser, FIELDS, None).await.status(), 303);

    let rp = app.confidential_client();
    let tokens = rp.tokens_for(&user, "openid profile address phone").await;
    let (status, claims, _) = app.userinfo(tokens.access_token()).await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["name"], "Ann <b>Lee</b> & co");
    assert_eq!(claims["given_name"], "Ann");
    assert_eq!(claims["family_name"], "Lee");
    assert_eq!(claims["phone_number"], "+1 (425) 555-1212");
    assert_eq!(claims["phone_number_verified"], false);
    let address = &claims["address"];
    assert_eq!(address["street_address"], "1 Main St\nApt 4");
    assert_eq!(address["locality"], "Springfield");
    assert_eq!(address["region"], "OR");
    assert_eq!(address["postal_code"], "97477");
    assert_eq!(address["country"], "US");
    assert_eq!(
        address["formatted"],
        "1 Main St\nApt 4\n97477 Springfield OR\nUS"
    );
    assert!(claims["updated_at"].as_i64().is_some(), "{claims}");
}
