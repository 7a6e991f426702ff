//! The sign-in an application starts: the login page names the application, and the
//! consent page says in words what it may see.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_login_page_names_the_application,
    a_login_link_from_another_browser_names_no_application,
    consent_lists_descriptions_first,
);

/// Where /authorize sends a browser without a session: the login page, continuing it.
async fn login_location(browser: &Browser, request: &AuthRequest) -> String {
    let r = browser.get(&request.url()).await;
    assert_eq!(r.status(), 303);
    let location = location_of(&r);
    assert!(location.starts_with("/login?return_to="), "{location}");
    location
}

async fn the_login_page_names_the_application(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let browser = app.browser_of(&user);
    let location = login_location(&browser, &rp.request("openid")).await;
    let page = browser.page(&location).await;
    assert!(
        page.contains("to continue to <strong>Test RP</strong>"),
        "{page}"
    );

    // A wrong password shows the form again, still naming the application.
    let fields = [
        ("email", user.email.as_str()),
        ("password", "not the password at all"),
        ("return_to", &extract_field(&page, "return_to").unwrap()),
    ];
    let again = browser.submit(&page, "/login", &fields).await;
    assert_eq!(again.status(), 400);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("to continue to <strong>Test RP</strong>"));

    // A plain login names nothing.
    assert!(!app
        .browser()
        .page("/login")
        .await
        .contains("to continue to"));
}

/// The pending request is bound to the browser that started it: someone else's login link
/// must not make this login page claim to lead to that application.
async fn a_login_link_from_another_browser_names_no_application(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let location = login_location(&app.browser(), &rp.request("openid")).await;
    let page = app.browser().page(&location).await;
    assert!(page.contains("<h1>Log in</h1>"), "{page}");
    assert!(
        !page.contains("Test RP") && !page.contains("to continue to"),
        "{page}"
    );
}

async fn consent_lists_descriptions_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let browser = app.logged_in_browser(&user).await;
    let request = rp.request("openid email").with(
        "claims",
        r#"{"userinfo":{"phone_number":null,"name":null}}"#,
    );
    let page = browser.consent_page_for(&request.url()).await.body;
    for item in [
        "<li>Know that it is you when you sign in",
        "<li>See your email address <small>(email)</small></li>",
        "<li>Your phone number <small>(phone_number)</small></li>",
        "<li>Your full name <small>(name)</small></li>",
    ] {
        assert!(page.contains(item), "{item}: {page}");
    }
    assert!(
        page.contains("<h1>Test RP wants access to your account</h1>"),
        "{page}"
    );
}
