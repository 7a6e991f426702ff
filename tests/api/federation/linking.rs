//! Identities and linking: found by (provider, issuer, subject), never by email; linked to
//! an existing account only after a proof of it (its password, or a mailed link bound to
//! the identity, single use, dead on unlink), or by `trust_email` for a verified address;
//! never by an unverified upstream address. Unlinking keeps a way to log in.
use super::*;
use crate::on_both_backends;

on_both_backends!(
    first_login_creates_the_user_and_the_second_maps_to_the_same,
    linking_by_password_proof,
    linking_by_mailed_proof_which_dies_on_unlink_and_fits_one_subject,
);

/// A logged-in browser's user, as /account shows them.
async fn account_page(browser: &Browser) -> String {
    let response = browser.get("/account").await;
    assert_eq!(response.status(), 200, "logged in");
    response.text().await.unwrap()
}

async fn first_login_creates_the_user_and_the_second_maps_to_the_same(backend: Backend) {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(backend, with_corp(&corp)).await;
    let before = app.user_count();
    let address = email();

    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "corp-sub-1", &address, true).await;
    assert_eq!(response.status(), 303, "logged in");
    assert_eq!(location_of(&response), "/account");
    assert!(set_cookie(response.headers(), "ferrid_session").is_some());
    assert!(account_page(&browser).await.contains(&address));
    assert_eq!(app.user_count(), before + 1);
    assert_eq!(app.audit_of("federated_login").len(), 1);

    // Another browser, the same identity (even with another address upstream): the same user.
    let again = app.browser();
    let response = corp_login(&app, &corp, &again, "corp-sub-1", &email(), true).await;
    assert_eq!(response.status(), 303);
    assert!(account_page(&again).await.contains(&address));
    assert_eq!(app.user_count(), before + 1, "no second user");

    // The account has no password: password login refuses it like a wrong password.
    let page = app.browser();
    let refused = page
        .form_on(
            "/login",
            "/login",
            &[("email", &address), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status(), 400);
}

/// An account with a verified address; a browser that comes through corp with the same
/// address, is asked for a proof, and is at the proof page.
async fn at_proof_page(app: &TestApp, corp: &FakeOidc, subject: &str) -> (User, Browser) {
    let user = app.new_user().await;
    let browser = app.browser();
    let response = corp_login(app, corp, &browser, subject, &user.email, true).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location_of(&response),
        "/login/corp/link",
        "asked for a proof"
    );
    assert!(
        set_cookie(response.headers(), "ferrid_session").is_none(),
        "not logged in yet"
    );
    (user, browser)
}

async fn linking_by_password_proof(backend: Backend) {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(backend, with_corp(&corp)).await;
    let (user, browser) = at_proof_page(&app, &corp, "corp-pw").await;
    let users = app.user_count();

    let page = browser.page("/login/corp/link").await;
    assert!(page.contains(&user.email), "{page}");
    // A wrong password links nothing.
    let wrong = browser
        .submit(
            &page,
            "/login/corp/link",
            &[("password", "not the right password at all")],
        )
        .await;
    assert_eq!(wrong.status(), 400);
    assert!(app.audit_of("account_linked").is_empty());

    let page = browser.page("/login/corp/link").await;
    let linked = browser
        .submit(&page, "/login/corp/link", &[("password", &user.password)])
        .await;
    assert_eq!(linked.status(), 303);
    assert!(set_cookie(linked.headers(), "ferrid_session").is_some());
    assert_eq!(app.audit_of("account_linked").len(), 1);

    // From now on corp alone logs in to that account, in any browser.
    let other = app.browser();
    let response = corp_login(&app, &corp, &other, "corp-pw", &user.email, true).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location_of(&response), "/account");
    let account = account_page(&other).await;
    assert!(account.contains(&user.email));
    assert!(
        account.contains("Corp SSO"),
        "the linked provider is listed"
    );
    assert_eq!(app.user_count(), users, "no new user");
}

async fn linking_by_mailed_proof_which_dies_on_unlink_and_fits_one_subject(backend: Backend) {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(backend, with_corp(&corp)).await;
    let (user, browser) = at_proof_page(&app, &corp, "corp-mail").await;

    // Two proofs mailed for the same identity.
    for _ in 0..2 {
        let sent = browser
            .form_on("/login/corp/link", "/login/corp/link/mail", &[])
            .await;
        assert_eq!(sent.status(), 200);
    }
    assert_eq!(app.audit_of("link_proof_sent").len(), 2);
    let mails = app.mails_to(&user.email).await;
    let links: Vec<String> = mails
        .iter()
        .filter(|m| m.subject.contains("Corp SSO"))
        .map(|m| m.link("/login/corp/link/confirm"))
        .collect();
    assert_eq!(links.len(), 2, "{mails:?}");

    // Opened in another browser: refused (bound to the browser that asked).
    let stranger = app.browser();
    assert_eq!(stranger.get(&links[0]).await.status(), 400);

    // Opened here: a button, then linked and logged in.
    let confirm = browser.page(&links[0]).await;
    let token = extract_field(&confirm, "token").unwrap();
    let linked = browser
        .submit(&confirm, "/login/corp/link/confirm", &[("token", &token)])
        .await;
    assert_eq!(linked.status(), 303);
    assert!(set_cookie(linked.headers(), "ferrid_session").is_some());
    assert_eq!(app.audit_of("account_linked").len(), 1);
    // Single use.
    let again = browser
        .submit(&confirm, "/login/corp/link/confirm", &[("token", &token)])
        .await;
    assert_eq!(again.status(), 400);

    // Unlink (the account has a password): the second proof dies with the link.
    let account = account_page(&browser).await;
    let unlinked = browser
        .submit(
            &account,
            "/account/linked/unlink",
            &[
                ("provider", "corp"),
                ("issuer", &corp.issuer),
                ("subject", "corp-mail"),
            ],
        )
        .await;
    assert_eq!(unlinked.status(), 303);
    assert_eq!(app.audit_of("account_unlinked").len(), 1);
    // The same browser comes through corp again: a new pending link, but the old mail's
    // proof is dead.
    let response = corp_login(&app, &corp, &browser, "corp-mail", &user.email, true).await;
    assert_eq!(location_of(&response), "/login/corp/link");
    let second = browser.get(&links[1]).await;
    assert_eq!(
        second.status(),
        400,
        "a proof mailed before the unlink is dead"
    );

    // A proof for one subject does not link another: ask a proof for this pending link,
    // then come back as another corp subject with the same address in this browser.
    let sent = browser
        .form_on("/login/corp/link", "/login/corp/link/mail", &[])
        .await;
    assert_eq!(sent.status(), 200);
    let link = app
        .last_mail_to(&user.email)
        .await
        .link("/login/corp/link/confirm");
    let confirm = browser.page(&link).await;
    let token = extract_field(&confirm, "token").unwrap();
    let response = corp_login(&app, &corp, &browser, "corp-intruder", &user.email, true).await;
    assert_eq!(location_of(&response), "/login/corp/link");
    let refused = browser
        .submit(&confirm, "/login/corp/link/confirm", &[("token", &token)])
        .await;
    assert_eq!(
        refused.status(),
        400,
        "bound to the subject it was mailed for"
    );
    assert_eq!(
        app.audit_of("account_linked").len(),
        1,
        "nothing more linked"
    );
}

#[tokio::test]
async fn trust_email_links_a_verified_address_directly() {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        let mut provider = corp_provider(&corp.issuer);
        provider.trust_email = true;
        s.federation.insert("corp".into(), provider);
    })
    .await;
    let user = app.new_user().await;
    let users = app.user_count();
    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "trusted", &user.email, true).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location_of(&response), "/account");
    assert!(account_page(&browser).await.contains(&user.email));
    assert_eq!(app.audit_of("account_linked").len(), 1);
    assert_eq!(app.user_count(), users);

    // Trusted or not, an address the upstream did not verify links nothing.
    let other = app.new_user().await;
    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "unverified", &other.email, false).await;
    assert_failure_page(&app, response, 403, "address taken").await;
    assert_eq!(app.audit_of("account_linked").len(), 1);
}

#[tokio::test]
async fn an_unverified_upstream_address_is_never_used() {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(Backend::Sqlite, with_corp(&corp)).await;
    let user = app.new_user().await;
    let users = app.user_count();
    let mails = app.mails().await.len();

    // Claiming an account's address without verifying it: no link, no proof page, no mail.
    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "nOAuth", &user.email, false).await;
    assert_failure_page(&app, response, 403, "address taken").await;
    assert_eq!(
        browser.get("/login/corp/link").await.status(),
        400,
        "no pending link"
    );
    assert_eq!(app.user_count(), users);
    assert_eq!(app.mails().await.len(), mails, "nothing mailed");
    assert!(app.audit_of("account_linked").is_empty());

    // A new address, unverified upstream: an account, but its address is not verified.
    let address = email();
    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "fresh", &address, false).await;
    assert_eq!(response.status(), 303);
    let page = account_page(&browser).await;
    assert!(
        page.contains(&address) && page.contains("(not verified)"),
        "{page}"
    );
}

#[tokio::test]
async fn a_disabled_user_is_refused_through_any_provider() {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(Backend::Sqlite, with_corp(&corp)).await;
    let address = email();
    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "soon-disabled", &address, true).await;
    assert_eq!(response.status(), 303);
    let id = app.user_id(&User {
        email: address.clone(),
        password: String::new(),
    });
    ferrid::store::users::set_disabled(&mut app.conn(), &id, true, app.clock.now()).unwrap();

    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "soon-disabled", &address, true).await;
    assert_failure_page(&app, response, 403, "account disabled").await;
}

#[tokio::test]
async fn signup_closed_refuses_an_unknown_identity() {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        let mut provider = corp_provider(&corp.issuer);
        provider.allow_signup = false;
        s.federation.insert("corp".into(), provider);
    })
    .await;
    let users = app.user_count();
    let response = corp_login(&app, &corp, &app.browser(), "nobody", &email(), true).await;
    assert_failure_page(&app, response, 403, "signup not allowed").await;
    assert_eq!(app.user_count(), users);
}

#[tokio::test]
async fn unlinking_keeps_the_last_way_to_log_in() {
    let corp = FakeOidc::start().await;
    let github = FakeGithub::start().await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.federation
            .insert("corp".into(), corp_provider(&corp.issuer));
        s.federation.insert("github".into(), github.provider());
    })
    .await;
    // An account made through corp: no password, one link.
    let address = email();
    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "only-way", &address, true).await;
    assert_eq!(response.status(), 303);
    let unlink_corp = [
        ("provider", "corp"),
        ("issuer", corp.issuer.as_str()),
        ("subject", "only-way"),
    ];
    let account = account_page(&browser).await;
    let refused = browser
        .submit(&account, "/account/linked/unlink", &unlink_corp)
        .await;
    assert_eq!(refused.status(), 409);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("only way you can log in"));
    assert!(app.audit_of("account_unlinked").is_empty());

    // Link GitHub too (from the account page, while logged in), then corp may go.
    github.set(|g| {
        g.user = json!({"id": 777, "login": "other-login"});
        g.emails =
            json!([{"email": "someone-else@example.com", "primary": true, "verified": true}]);
    });
    let account = account_page(&browser).await;
    let started = browser
        .submit(&account, "/account/linked/link", &[("provider", "github")])
        .await;
    assert_eq!(started.status(), 303);
    let query = query_of(&location_of(&started));
    let linked = callback(&browser, "github", &query["state"]).await;
    assert_eq!(linked.status(), 303);
    assert_eq!(location_of(&linked), "/account");
    let account = account_page(&browser).await;
    assert!(
        account.contains("GitHub") && account.contains("Corp SSO"),
        "{account}"
    );

    let unlinked = browser
        .submit(&account, "/account/linked/unlink", &unlink_corp)
        .await;
    assert_eq!(unlinked.status(), 303);
    assert_eq!(app.audit_of("account_unlinked").len(), 1);
    // GitHub is now the last one.
    let account = account_page(&browser).await;
    let refused = browser
        .submit(
            &account,
            "/account/linked/unlink",
            &[
                ("provider", "github"),
                ("issuer", github.base.as_str()),
                ("subject", "777"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 409);

    // The corp identity, unlinked, is a stranger now: it would sign up, but its address is
    // the account's, so it must prove the account (which has no password: mail only).
    let again = app.browser();
    let response = corp_login(&app, &corp, &again, "only-way", &address, true).await;
    assert_eq!(location_of(&response), "/login/corp/link");
}

#[tokio::test]
async fn an_identity_linked_elsewhere_cannot_be_linked_again() {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(Backend::Sqlite, with_corp(&corp)).await;
    let first = app.browser();
    let response = corp_login(&app, &corp, &first, "shared", &email(), true).await;
    assert_eq!(response.status(), 303);

    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let account = account_page(&browser).await;
    let started = browser
        .submit(&account, "/account/linked/link", &[("provider", "corp")])
        .await;
    let query = query_of(&location_of(&started));
    corp.answer(Answer::Token(corp.claims(
        &app,
        &query["nonce"],
        "shared",
        &user.email,
        true,
    )));
    let response = callback(&browser, "corp", &query["state"]).await;
    assert_failure_page(&app, response, 403, "linked to another account").await;
}

#[tokio::test]
async fn an_account_without_a_password_sets_one_then_may_unlink() {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(Backend::Sqlite, with_corp(&corp)).await;
    let address = email();
    let browser = app.browser();
    let response = corp_login(&app, &corp, &browser, "wants-password", &address, true).await;
    assert_eq!(response.status(), 303);

    // "Forgot your password?" sets a first password on an account made through corp.
    let asked = app
        .browser()
        .form("/forgot-password", &[("email", &address)])
        .await;
    assert_eq!(asked.status(), 200);
    let link = app.last_mail_to(&address).await.link("/reset-password");
    let reset = app.browser();
    let page = reset.page(&link).await;
    let token = extract_field(&page, "token").unwrap();
    let new_password = "river lantern orchid seventy two";
    let fields = [
        ("password", new_password),
        ("confirm_password", new_password),
        ("token", token.as_str()),
    ];
    let done = reset.submit(&page, "/reset-password", &fields).await;
    let status = done.status();
    let body = done.text().await.unwrap();
    assert!(status.is_redirection() || status == 200, "{status}: {body}");

    let person = User {
        email: address.clone(),
        password: new_password.into(),
    };
    let browser = app.logged_in_browser(&person).await;
    let account = account_page(&browser).await;
    let unlinked = browser
        .submit(
            &account,
            "/account/linked/unlink",
            &[
                ("provider", "corp"),
                ("issuer", corp.issuer.as_str()),
                ("subject", "wants-password"),
            ],
        )
        .await;
    assert_eq!(unlinked.status(), 303);
    assert!(account_page(&browser)
        .await
        .contains("No provider is linked"));
}

#[tokio::test]
async fn mailed_proofs_are_limited_per_pending_link() {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(Backend::Sqlite, with_corp(&corp)).await;
    let (user, browser) = at_proof_page(&app, &corp, "flooder").await;
    for _ in 0..3 {
        let sent = browser
            .form_on("/login/corp/link", "/login/corp/link/mail", &[])
            .await;
        assert_eq!(sent.status(), 200);
    }
    let refused = browser
        .form_on("/login/corp/link", "/login/corp/link/mail", &[])
        .await;
    assert_eq!(refused.status(), 429);
    assert_eq!(app.audit_of("link_proof_sent").len(), 3);
    let proofs = app
        .mails_to(&user.email)
        .await
        .into_iter()
        .filter(|m| m.subject.contains("Corp SSO"))
        .count();
    assert_eq!(proofs, 3);
    // Without a pending link (another browser), nothing is mailed.
    let stranger = app.browser();
    let csrf = stranger.csrf("/login").await;
    let nothing = stranger
        .post("/login/corp/link/mail", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(nothing.status(), 400);
}
