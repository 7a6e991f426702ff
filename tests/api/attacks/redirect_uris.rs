//! Redirect URIs match exactly, or no redirect at all (RFC 9700 §4.1; RFC 6749 §4.1.2.1).
use super::setup;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(redirect_uri_variants_get_an_error_page);

async fn redirect_uri_variants_get_an_error_page(backend: Backend) {
    let (_app, user, rp) = setup(backend).await;
    // A browser that has consented: a loose match would send a code straight away.
    let (browser, _) = rp.sign_in(&user).await;
    assert_eq!(rp.redirect_uri, "https://rp.example/callback");
    let variants = [
        "https://rp.example/callback/extra",
        "https://rp.example/callback?extra=1",
        "https://attacker.example/callback",
        "http://rp.example/callback",
        "https://rp.example/callback/",
        "https://RP.EXAMPLE/callback",
    ];
    for variant in variants {
        let request = rp.request("openid").with("redirect_uri", variant);
        let response = browser.get(&request.url()).await;
        assert_eq!(response.status(), 400, "{variant}");
        assert!(response.headers().get("location").is_none(), "{variant}");
    }
}
