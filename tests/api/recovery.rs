//! A forgotten password, end to end through the outbox: /forgot-password answers alike for
//! every address, the mailed link sets a new password under the policy once and for a
//! limited time, and ends every login of the account; `ferrid user reset-link` prints one.
use crate::helpers::*;
use crate::on_both_backends;

const NEW_PASSWORD: &str = "a brand new lighthouse keeper";

/// Asks for a reset link for `email` in a fresh browser: the status and the page.
async fn ask_for_reset(app: &TestApp, email: &str) -> (u16, String) {
    let response = app
        .browser()
        .form("/forgot-password", &[("email", email)])
        .await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Sets `password` through the reset link, in a fresh browser.
async fn reset_with(app: &TestApp, link: &str, password: &str, again: &str) -> (u16, String) {
    let fields = [("password", password), ("confirm_password", again)];
    let browser = app.browser();
    let page = browser.page(link).await;
    let token = extract_field(&page, "token").unwrap_or_else(|| panic!("no form:\n{page}"));
    let mut fields = fields.to_vec();
    fields.push(("token", &token));
    let response = browser.submit(&page, "/reset-password", &fields).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The reset link mailed to `user` after asking for one.
async fn reset_link_for(app: &TestApp, user: &User) -> String {
    let (status, _) = ask_for_reset(app, &user.email).await;
    assert_eq!(status, 200);
    let mail = app.last_mail_to(&user.email).await;
    assert!(mail.subject.contains("Reset your"), "{mail:?}");
    mail.link("/reset-password")
}

async fn reset_end_to_end_through_the_outbox(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    let logged_in = app.logged_in_browser(&user).await;
    let tokens = rp.offline_tokens(&user).await;

    let link = reset_link_for(&app, &user).await;
    assert!(link.starts_with(&format!("{}/reset-password?token=", app.address)));
    let (status, body) = reset_with(&app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Your password was changed"), "{body}");
    assert!(body.contains("href=\"/login\""), "a way to log in: {body}");

    let old = app.browser().login(&user.email, &user.password).await;
    assert_eq!(old.status(), 400, "the old password is gone");
    let new = app.browser().login(&user.email, NEW_PASSWORD).await;
    assert_eq!(new.status(), 303, "the new one works");

    assert_eq!(logged_in.status("/account").await, 303, "the session died");
    assert_error(
        &rp.refresh(tokens.refresh_token(), None).await,
        400,
        "invalid_grant",
    );
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 401);

    let notice = app.last_mail_to(&user.email).await;
    assert!(
        notice.subject.contains("password was changed"),
        "{notice:?}"
    );
    assert!(
        !notice.body.contains("token="),
        "the notice holds no live link"
    );
    let kinds = app.audit_kinds();
    for kind in ["password_reset_requested", "password_reset_completed"] {
        assert!(kinds.contains(&kind.to_string()), "{kinds:?}");
    }
}

async fn a_reset_link_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let link = reset_link_for(&app, &user).await;
    let (status, _) = reset_with(&app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 200);

    let again = app.browser().get(&link).await;
    assert_eq!(again.status(), 400);
    let body = again.text().await.unwrap();
    assert!(body.contains("no longer works"), "{body}");
    assert!(
        body.contains("href=\"/forgot-password\""),
        "a way to ask again: {body}"
    );
    // Posting the spent token (a form kept open in another tab) is refused too.
    let browser = app.browser();
    let csrf = browser.csrf("/forgot-password").await;
    let token = query_of(&link)["token"].clone();
    let fields = [
        ("token", token.as_str()),
        ("password", "yet another lighthouse keeper"),
        ("confirm_password", "yet another lighthouse keeper"),
        ("csrf_token", csrf.as_str()),
    ];
    assert_eq!(browser.post("/reset-password", &fields).await.status(), 400);
    let login = app.browser().login(&user.email, NEW_PASSWORD).await;
    assert_eq!(login.status(), 303, "the first reset stands");
}

/// `accounts.reset_token_lifetime` (30 minutes by default), on the server's clock.
async fn a_reset_link_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let link = reset_link_for(&app, &user).await;
    app.clock.advance(1799);
    assert_eq!(app.browser().status(&link).await, 200, "still valid");
    app.clock.advance(2);
    let late = app.browser().get(&link).await;
    assert_eq!(late.status(), 400);
    assert!(late.text().await.unwrap().contains("no longer works"));
    let login = app.browser().login(&user.email, &user.password).await;
    assert_eq!(login.status(), 303, "nothing changed");
}

/// The same status and page for an address with an account and one without; a message
/// only to the first, and nothing stored for the second.
async fn known_and_unknown_addresses_get_the_same_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let (known_status, known) = ask_for_reset(&app, &user.email).await;
    let (unknown_status, unknown) = ask_for_reset(&app, "nobody@example.com").await;
    assert_eq!(known_status, 200);
    assert_eq!(unknown_status, known_status);
    assert_eq!(
        unknown.replace("nobody@example.com", "EMAIL"),
        known.replace(&user.email, "EMAIL")
    );
    assert!(known.contains("If an account exists"), "{known}");
    assert!(app.mails_to("nobody@example.com").await.is_empty());
    let links = app.one_time_tokens("password_reset");
    assert_eq!(links, 1, "the decoy of the unknown address was rolled back");
    assert!(app
        .last_mail_to(&user.email)
        .await
        .subject
        .contains("Reset"));
    // Malformed input is said to be malformed, alike for any address.
    let (status, body) = ask_for_reset(&app, "not an address").await;
    assert_eq!(status, 400);
    assert!(body.contains("valid email address"), "{body}");
}

async fn forged_links_get_a_page_with_a_way_to_ask_again(backend: Backend) {
    let app = spawn_app(backend).await;
    for token in [
        "",
        "short",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "x' OR '1'='1",
    ] {
        let response = app
            .browser()
            .get(&format!("/reset-password?token={token}"))
            .await;
        assert_eq!(response.status(), 400, "{token:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("href=\"/forgot-password\""), "{body}");
    }
}

/// Each rule of the policy, by its own message; a refusal leaves the link usable.
async fn each_policy_rule_is_named_at_reset(backend: Backend) {
    let app = spawn_app(backend).await;
    let fields = [
        ("email", "zq@example.com"),
        ("password", PASSWORD),
        ("name", "Zoe Quinn"),
    ];
    let browser = app.browser();
    assert_eq!(browser.form("/register", &fields).await.status(), 200);
    assert_eq!(
        app.verify_email(&browser, "zq@example.com").await.status(),
        303
    );
    let user = User {
        email: "zq@example.com".into(),
        password: PASSWORD.into(),
    };
    let link = reset_link_for(&app, &user).await;
    for (password, again, message) in [
        ("fourteen chars", "fourteen chars", "at least 15 characters"),
        ("passwordpassword", "passwordpassword", "is too common"),
        (
            "a long walk with quinn",
            "a long walk with quinn",
            "must not contain your name",
        ),
        (NEW_PASSWORD, "something else entirely", "do not match"),
    ] {
        let (status, body) = reset_with(&app, &link, password, again).await;
        assert_eq!(status, 400, "{password:?}");
        assert!(body.contains(message), "{password:?}: {body}");
    }
    let (status, _) = reset_with(&app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 200, "the link survived the refusals");
}

/// `ferrid user reset-link --email E` prints a working link (nothing is mailed); an unknown
/// address exits 1.
async fn the_cli_prints_a_reset_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let mails_before = app.mails().await.len();
    let mut cmd = app.ferrid_command();
    cmd.env("FERRID__SERVER__ISSUER", &app.address).args([
        "user",
        "reset-link",
        "--email",
        &user.email,
    ]);
    let out = run_with_stdin(cmd, "");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let link = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(
        link.starts_with(&format!("{}/reset-password?token=", app.address)),
        "{link}"
    );
    assert_eq!(app.mails().await.len(), mails_before, "nothing mailed");
    let (status, _) = reset_with(&app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.browser()
            .login(&user.email, NEW_PASSWORD)
            .await
            .status(),
        303
    );

    let out = app.ferrid(&["user", "reset-link", "--email", "nobody@example.com"], "");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user has the email"));
}

async fn the_login_page_links_to_the_reset(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = app.browser().page("/login").await;
    assert!(login.contains("href=\"/forgot-password\""), "{login}");
    let form = app
        .browser()
        .page("/forgot-password?email=ann%40example.com")
        .await;
    assert!(
        form.contains("value=\"ann@example.com\""),
        "prefilled: {form}"
    );
}

on_both_backends!(
    reset_end_to_end_through_the_outbox,
    a_reset_link_works_once,
    a_reset_link_expires,
    known_and_unknown_addresses_get_the_same_answer,
    forged_links_get_a_page_with_a_way_to_ask_again,
    each_policy_rule_is_named_at_reset,
    the_cli_prints_a_reset_link,
    the_login_page_links_to_the_reset,
);
