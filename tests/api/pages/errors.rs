//! Error pages: a title in words, no markdown backticks, and a way on; a real 404 and 405;
//! the 429 page says when to try again.
use ferrid::web::error_page::try_again_in;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    an_unknown_path_is_a_404_page_with_a_way_back,
    another_method_is_a_405_page_with_allow,
    error_pages_read_plainly,
    the_429_page_says_when_to_try_again,
);

/// The way on of every page that is not part of an application's sign-in.
const START_PAGE: &str = "<a class=\"button secondary\" href=\"/\">Go to the start page</a>";

fn assert_plain(what: &str, page: &str) {
    assert!(page.starts_with("<!doctype html>"), "{what}: {page}");
    assert!(!page.contains('`'), "{what}: a markdown backtick: {page}");
    for jargon in [
        "Bad request",
        "Forbidden",
        "Not found",
        "Method Not Allowed",
    ] {
        assert!(!page.contains(jargon), "{what}: {jargon}: {page}");
    }
}

async fn an_unknown_path_is_a_404_page_with_a_way_back(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/no/such/page", "/static/missing.css", "/account/nothing"] {
        let r = app.browser().get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
        let page = r.text().await.unwrap();
        assert!(page.contains("<h1>Page not found</h1>"), "{page}");
        assert!(page.contains(START_PAGE), "{page}");
        assert_plain(path, &page);
    }
}

/// A path served for other methods answers 405 with Allow (RFC 9110 §15.5.6), as a page.
async fn another_method_is_a_405_page_with_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    let http = reqwest::Client::new();
    for (path, allowed) in [("/login", ["GET", "POST"]), ("/account", ["GET", "POST"])] {
        let r = http.put(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 405, "{path}");
        let allow = r.headers()["allow"].to_str().unwrap().to_string();
        for method in allowed {
            assert!(allow.contains(method), "{path}: {allow}");
        }
        let page = r.text().await.unwrap();
        assert!(
            page.contains("does not accept that kind of request"),
            "{page}"
        );
        assert!(page.contains(START_PAGE), "{page}");
        assert_plain(path, &page);
    }
}

/// The error pages a person can meet: a dead setup link (whose message used to quote
/// commands in backticks), a form without its token, a refused sign-in request.
async fn error_pages_read_plainly(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();

    let setup = browser
        .get("/setup?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(setup.status(), 400);
    let page = setup.text().await.unwrap();
    assert!(page.contains("<h1>We couldn&#39;t do that</h1>"), "{page}");
    assert!(page.contains("ferrid user add --admin") && page.contains(START_PAGE));
    assert_plain("dead setup link", &page);

    let forged = browser.post("/login", &[("email", "a@example.com")]).await;
    assert_eq!(forged.status(), 403);
    let page = forged.text().await.unwrap();
    assert!(page.contains("We couldn&#39;t accept this form") && page.contains(START_PAGE));
    assert_plain("form without its token", &page);

    // /authorize cannot send the person back to an application it could not verify: the
    // page says to go back there and start over, and links no start page.
    let rp = app.confidential_client();
    let request = rp
        .request("openid")
        .with("redirect_uri", "https://evil.example/cb");
    let refused = browser.get(&request.url()).await;
    assert_eq!(refused.status(), 400);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("We couldn&#39;t continue signing you in"),
        "{page}"
    );
    assert!(
        page.contains("Go back to the application and start over"),
        "{page}"
    );
    assert!(!page.contains(START_PAGE), "{page}");
    assert_plain("refused sign-in", &page);
}

/// The wait comes from Retry-After and reads as a person would say it.
async fn the_429_page_says_when_to_try_again(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.rate_limit.login_per_account_ip = 2).await;
    let user = app.new_user().await;
    let mut attempts = 0;
    let refused = loop {
        let r = app
            .browser()
            .login(&user.email, "wrong guess, wrong guess")
            .await;
        if r.status() == 429 {
            break r;
        }
        attempts += 1;
        assert!(attempts < 20, "no 429 after {attempts} failures");
    };
    let retry_after: i64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let page = refused.text().await.unwrap();
    let words = try_again_in(retry_after);
    assert!(
        words.starts_with("Try again in ") && words.contains("minute"),
        "{words}"
    );
    assert!(page.contains(&words), "{words}: {page}");
    assert!(page.contains("<h1>Too many attempts</h1>"), "{page}");
    assert_eq!(
        page.matches("Too many attempts").count(),
        2,
        "title and heading only"
    );
    assert_plain("429", &page);
}
