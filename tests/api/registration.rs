//! Registration that reveals nothing, and email verification: the same answer for new and
//! taken addresses, a mailed link that activates the account, logs in and continues the
//! sign-in that led to the registration; no login before it; `accounts.registration` and
//! `accounts.require_verified_email`.
use crate::helpers::*;
use crate::on_both_backends;

/// Registers `email` (name "Test User") in a fresh browser: the status and the page with
/// its per-browser CSRF token and the address taken out.
async fn register_answer(app: &TestApp, email: &str) -> (u16, String) {
    let response = app.browser().register(email, PASSWORD).await;
    let status = response.status().as_u16();
    assert!(set_cookie(response.headers(), "ferrid_session").is_none());
    let body = response.text().await.unwrap();
    let csrf = extract_csrf(&body).unwrap_or_default();
    (status, body.replace(&csrf, "").replace(email, "EMAIL"))
}

async fn new_and_existing_addresses_get_the_same_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let existing = app.new_user().await;
    let (new_status, new_page) = register_answer(&app, "newcomer@example.com").await;
    let (old_status, old_page) = register_answer(&app, &existing.email).await;
    assert_eq!((new_status, old_status), (200, 200));
    assert_eq!(new_page, old_page);
    assert!(new_page.contains("Check your inbox"), "{new_page}");
    assert_eq!(app.user_count(), 2);

    // The owner of the taken address learns how to get in, at their own address.
    let told = app.last_mail_to(&existing.email).await;
    assert!(told.subject.contains("already have"), "{told:?}");
    told.link("/login");
    told.link("/forgot-password");
    assert!(
        !told.body.contains("token="),
        "no live link to a stranger's request"
    );
    let welcome = app.last_mail_to("newcomer@example.com").await;
    assert!(
        welcome.subject.contains("Confirm your email"),
        "{welcome:?}"
    );
    assert_eq!(
        app.last_mail().await.to,
        existing.email,
        "queued last, sent last"
    );
    let kinds = app.audit_kinds();
    for kind in ["duplicate_registration", "email_verification_sent"] {
        assert!(kinds.contains(&kind.to_string()), "{kinds:?}");
    }
}

/// The href of the login page's "Create one" link, as the browser reads it.
fn register_href(login_page: &str) -> String {
    let end = login_page
        .find("\">Create one")
        .expect("a link to register");
    let start = login_page[..end].rfind("href=\"").unwrap() + "href=\"".len();
    unescape(&login_page[start..end])
}

fn unescape(html: &str) -> String {
    html.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x3f;", "?")
}

/// A sign-in that needs an account: from the login page to registration, carrying the
/// pending request; returns the browser (with its binding cookie) and the request.
async fn register_during_sign_in(app: &TestApp, rp: &Rp, email: &str) -> (Browser, AuthRequest) {
    let browser = app.browser();
    let request = rp.request("openid email").with_pkce();
    let login = location_of(&browser.get(&request.url()).await);
    assert!(login.starts_with("/login?"), "{login}");
    let register = register_href(&browser.page(&login).await);
    let page = browser.page(&register).await;
    let return_to = extract_field(&page, "return_to").unwrap();
    assert!(
        return_to.starts_with("/authorize/continue?request="),
        "{return_to}"
    );
    let fields = [
        ("email", email),
        ("password", PASSWORD),
        ("name", "Test User"),
        ("return_to", &return_to),
    ];
    let response = browser.submit(&page, "/register", &fields).await;
    assert_eq!(response.status(), 200);
    (browser, request)
}

async fn verification_continues_the_sign_in_to_a_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let (browser, request) = register_during_sign_in(&app, &rp, "ann@example.com").await;
    let confirmed = app.verify_email(&browser, "ann@example.com").await;
    assert_eq!(confirmed.status(), 303);
    assert!(
        set_cookie(confirmed.headers(), "ferrid_session").is_some(),
        "logged in"
    );
    let next = location_of(&confirmed);
    assert!(next.starts_with("/authorize/continue?request="), "{next}");

    let end = browser.follow(&next, Consent::Allow).await;
    assert_eq!(end.state(), Some("st4te"));
    let (status, tokens) = rp.exchange(&end.code(), request.verifier.as_deref()).await;
    assert_eq!(status, 200, "{tokens}");
    let (_, claims, _) = app.userinfo(tokens.access_token()).await;
    assert_eq!(claims["email"], "ann@example.com");
    assert_eq!(claims["email_verified"], true, "{claims}");
    assert!(app.audit_kinds().contains(&"email_verified".to_string()));
}

/// The pending sign-in is bound to the browser that started it: a link opened elsewhere
/// logs in there and lands on the account page.
async fn verification_in_another_browser_lands_on_the_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let _ = register_during_sign_in(&app, &rp, "ann@example.com").await;
    let phone = app.browser();
    let confirmed = app.verify_email(&phone, "ann@example.com").await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(location_of(&confirmed), "/account");
    assert_eq!(phone.status("/account").await, 200);
}

/// A verification link opened twice: the page does not spend it (mail scanners open
/// links), the confirmation does, once; and it expires after 24 hours.
async fn a_verification_link_works_once_and_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.browser()
            .register("ann@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    let link = app
        .last_mail_to("ann@example.com")
        .await
        .link("/verify-email");
    assert_eq!(app.browser().status(&link).await, 200);
    assert_eq!(app.browser().confirm_link(&link).await.status(), 303);
    let again = app.browser().get(&link).await;
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("no longer works"));

    assert_eq!(
        app.browser()
            .register("bob@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    let link = app
        .last_mail_to("bob@example.com")
        .await
        .link("/verify-email");
    app.clock.advance(24 * 3600 + 1);
    assert_eq!(app.browser().status(&link).await, 400);
}

/// Before verification the right password gets "verify your email" with a button to send
/// the link again; a wrong one gets the usual answer, which says nothing of verification.
async fn an_unverified_account_cannot_log_in(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.browser()
            .register("ann@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    let browser = app.browser();
    let refused = browser.login("ann@example.com", PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(set_cookie(refused.headers(), "ferrid_session").is_none());
    let page = refused.text().await.unwrap();
    assert!(page.contains("not verified"), "{page}");
    assert!(page.contains("action=\"/verify-email/resend\""), "{page}");

    let wrong = app
        .browser()
        .login("ann@example.com", "not the password")
        .await;
    assert_eq!(wrong.status(), 400);
    let wrong = wrong.text().await.unwrap();
    assert!(
        !wrong.contains("verif"),
        "nothing said before the password is right: {wrong}"
    );

    let resent = browser
        .submit(
            &page,
            "/verify-email/resend",
            &[("email", "ann@example.com")],
        )
        .await;
    assert_eq!(resent.status(), 200);
    assert_eq!(
        app.mails_to("ann@example.com").await.len(),
        2,
        "a second link"
    );
    assert_eq!(
        app.verify_email(&browser, "ann@example.com").await.status(),
        303
    );
    let login = app.browser().login("ann@example.com", PASSWORD).await;
    assert_eq!(login.status(), 303, "verified: logs in");
}

/// Asks for the verification link again for `email`: the status and the page, with its
/// CSRF token and the address taken out.
async fn resend(app: &TestApp, email: &str) -> (u16, String) {
    let response = app
        .browser()
        .form_on("/register", "/verify-email/resend", &[("email", email)])
        .await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    let csrf = extract_csrf(&body).unwrap();
    (status, body.replace(&csrf, "").replace(email, "EMAIL"))
}

/// Sending the link again answers alike for any address, and mails only an account that
/// waits for verification.
async fn resending_answers_alike_for_any_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let verified = app.new_user().await;
    let mails = app.mails().await.len();
    let unknown = resend(&app, "nobody@example.com").await;
    let known = resend(&app, &verified.email).await;
    assert_eq!(unknown, known);
    assert_eq!(unknown.0, 200);
    assert_eq!(app.mails().await.len(), mails, "nothing to send");
    assert_eq!(
        app.one_time_tokens("email_verification"),
        1,
        "decoys rolled back"
    );
}

/// `accounts.require_verified_email = false`: logged in at once; the link is still mailed,
/// and `email_verified` becomes true only when it is opened.
async fn without_verification_registration_logs_in_at_once(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.accounts.require_verified_email = false).await;
    let rp = app.confidential_client();
    let browser = Browser::new(
        &app.address,
        Some(User {
            email: "ann@example.com".into(),
            password: PASSWORD.into(),
        }),
    );
    let response = browser.register("ann@example.com", PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location_of(&response), "/account");
    assert!(browser.page("/account").await.contains("not verified"));
    let request = rp.request("openid email").with_pkce();
    let tokens = rp
        .authorization_code_flow(&browser, &request, Consent::Allow)
        .await;
    assert_eq!(
        app.userinfo(tokens.access_token()).await.1["email_verified"],
        false
    );

    assert_eq!(
        app.verify_email(&browser, "ann@example.com").await.status(),
        303
    );
    assert_eq!(
        app.userinfo(tokens.access_token()).await.1["email_verified"],
        true
    );
    assert!(!browser.page("/account").await.contains("not verified"));
}

/// `accounts.registration = "closed"`: the page says so, a post makes nothing, the login
/// page offers no registration, and administrators still make (verified) accounts.
async fn closed_registration_makes_no_accounts(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.accounts.registration = ferrid::config::RegistrationMode::Closed;
    })
    .await;
    let page = app.browser().get("/register").await;
    assert_eq!(page.status(), 403);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Registration is closed"));
    let browser = app.browser();
    let csrf = browser.csrf("/login").await;
    let fields = [
        ("email", "ann@example.com"),
        ("password", PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    assert_eq!(browser.post("/register", &fields).await.status(), 403);
    assert_eq!(app.user_count(), 0);
    assert!(!app.browser().page("/login").await.contains("Create one"));

    let out = app.ferrid(
        &[
            "user",
            "add",
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let login = app.browser().login("bob@example.com", PASSWORD).await;
    assert_eq!(login.status(), 303, "the CLI's accounts are verified");
}

on_both_backends!(
    new_and_existing_addresses_get_the_same_answer,
    verification_continues_the_sign_in_to_a_code,
    verification_in_another_browser_lands_on_the_account,
    a_verification_link_works_once_and_expires,
    an_unverified_account_cannot_log_in,
    resending_answers_alike_for_any_address,
    without_verification_registration_logs_in_at_once,
    closed_registration_makes_no_accounts,
);
