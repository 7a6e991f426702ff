//! Confirmations after changes: the redirect leaves a flash cookie naming one of a fixed set
//! of messages; the next page shows it once.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    saving_the_profile_says_saved_once,
    logging_out_says_so_on_the_login_page,
    removing_an_application_says_so,
    a_forged_flash_cookie_shows_nothing,
);

const SAVED: &str = "<p class=\"flash success\" role=\"status\">Saved.</p>";

async fn saving_the_profile_says_saved_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    assert!(!browser.page("/account").await.contains("Saved."));
    let r = browser.form("/account", &[("name", "Ann Lee")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location_of(&r), "/account");
    let cookie = set_cookie(r.headers(), "ferrid_flash").expect("a flash cookie");
    assert!(cookie.starts_with("ferrid_flash=saved;"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(cookie.contains("Max-Age=60"), "{cookie}");

    let shown = browser.get("/account").await;
    let cleared = set_cookie(shown.headers(), "ferrid_flash").expect("dropped once shown");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let page = shown.text().await.unwrap();
    assert!(page.contains(SAVED), "{page}");
    assert!(page.contains("Ann Lee"), "{page}");
    assert!(
        !browser.page("/account").await.contains("Saved."),
        "shown once"
    );
}

async fn logging_out_says_so_on_the_login_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let r = browser.form_on("/account", "/logout", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location_of(&r), "/login");
    let page = browser.page("/login").await;
    assert!(
        page.contains("<p class=\"flash info\" role=\"status\">You are logged out.</p>"),
        "{page}"
    );
    assert!(!browser.page("/login").await.contains("logged out"));
}

async fn removing_an_application_says_so(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    rp.offline_tokens(&user).await;
    let browser = app.logged_in_browser(&user).await;
    let fields = [("client_id", rp.client_id.as_str())];
    let r = browser
        .form_on(
            "/account/connections",
            "/account/connections/revoke",
            &fields,
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = browser.page(&location_of(&r)).await;
    assert!(page.contains("Access removed."), "{page}");
    assert!(!page.contains("Test RP"), "{page}");
}

/// The cookie names a message, it cannot carry one: unknown values show nothing.
async fn a_forged_flash_cookie_shows_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let http = reqwest::Client::new();
    for value in [
        "<script>alert(1)</script>",
        "Your account was deleted",
        "saved2",
    ] {
        let page = http
            .get(app.url("/login"))
            .header("cookie", format!("ferrid_flash={value}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains("class=\"flash"), "{value}: {page}");
        assert!(
            !page.contains("alert(1)") && !page.contains("deleted"),
            "{value}"
        );
    }
}
