//! `ui.product_name` and `ui.accent_color`: on every page, in the generated theme and
//! favicon, in mail; a colour that is not `#rgb`/`#rrggbb` stops the start.
use ferrid::domain::{Color, Email};
use ferrid::mail::{Links, Mail};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_product_name_is_on_every_page_and_in_mail,
    the_favicons_and_stylesheets_answer,
);

async fn acme(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| {
        s.ui.product_name = "Acme ID".into();
        s.ui.accent_color = Color::parse("#06c").unwrap();
    })
    .await
}

async fn the_product_name_is_on_every_page_and_in_mail(backend: Backend) {
    let app = acme(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    for path in ["/account", "/account/connections", "/no/such/page"] {
        let page = browser.page(path).await;
        assert!(page.contains("· Acme ID</title>"), "{path}: {page}");
        assert!(
            page.contains("class=\"brand\" href=\"/\">Acme ID</a>"),
            "{path}"
        );
        assert!(!page.contains("Ferrid"), "{path}: {page}");
    }
    for path in ["/login", "/register"] {
        assert!(app.browser().page(path).await.contains("Acme ID</title>"));
    }
    let theme = app.browser().page("/static/theme.css").await;
    assert!(theme.contains("--accent: #0066cc"), "{theme}");
    let favicon = app.browser().page("/static/favicon.svg").await;
    assert!(favicon.contains("fill=\"#0066cc\""), "{favicon}");

    // Mail names the product and wears the accent (a render through the running settings).
    let link = Links::new(&app.state.issuer).reset_password("t0ken");
    let to = Email::parse("ann@example.com").unwrap();
    let mail = Mail::PasswordReset { link: &link }
        .render(&to, &app.state.settings.ui)
        .unwrap();
    assert_eq!(mail.subject, "Reset your Acme ID password");
    assert!(mail.text.contains("Acme ID"), "{}", mail.text);
    assert!(mail.html.contains("Acme ID") && mail.html.contains("#0066cc"));
}

/// Browsers ask for /favicon.ico on every site: 200, not a 404 logged per page. Every page
/// links the SVG icon, the stylesheet and the theme.
async fn the_favicons_and_stylesheets_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    for (path, content_type) in [
        ("/favicon.ico", "image/x-icon"),
        ("/static/favicon.svg", "image/svg+xml"),
        ("/static/style.css", "text/css; charset=utf-8"),
        ("/static/theme.css", "text/css; charset=utf-8"),
    ] {
        let r = browser.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], content_type, "{path}");
        assert!(!r.bytes().await.unwrap().is_empty(), "{path}");
    }
    let ico = browser.get("/favicon.ico").await.bytes().await.unwrap();
    assert_eq!(&ico[..4], &[0, 0, 1, 0], "an ICO header");
    let login = browser.page("/login").await;
    for link in [
        "<link rel=\"icon\" href=\"/static/favicon.svg\"",
        "href=\"/static/style.css\"",
        "href=\"/static/theme.css\"",
    ] {
        assert!(login.contains(link), "{link}: {login}");
    }
}

/// The colour goes into a stylesheet: anything but a plain hex colour stops `ferrid serve`
/// before it binds, naming the key.
#[test]
fn a_bad_accent_color_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["red", "#b7410e; } body { display: none", "#12345"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrid"))
            .args(["serve"])
            .env("FERRID__SERVER__BIND", "127.0.0.1:0")
            .env("FERRID__SERVER__DATA_DIR", dir.path())
            .env(
                "FERRID__DATABASE__URL",
                format!("sqlite://{}", dir.path().join("f.db").display()),
            )
            .env("FERRID__UI__ACCENT_COLOR", bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("ui.accent_color"), "{bad}: {err}");
    }
}
