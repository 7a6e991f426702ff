//! New passwords follow NIST SP 800-63B rev. 4 §3.1.1.2 wherever they are set: 15+
//! characters (`password.min_length`), at most 128, not common or breached, not containing
//! the email address or the name. Each refusal says which rule failed.
use crate::helpers::*;
use crate::on_both_backends;

/// Registers with a name of our choosing; returns the status and the page.
async fn register(app: &TestApp, email: &str, name: &str, password: &str) -> (u16, String) {
    let fields = [("email", email), ("password", password), ("name", name)];
    let response = app.browser().form("/register", &fields).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn each_refusal_at_registration_names_its_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    for (password, message) in [
        ("fourteen chars", "at least 15 characters"),
        (
            "passwordpassword",
            "is too common: it appears in lists of breached passwords",
        ),
        ("Q1W2E3R4T5Y6U7I8", "is too common"),
        (
            "zoe.quinn likes long walks",
            "must not contain your email address",
        ),
        (
            "a long walk with Quinn",
            "must not contain your email address",
        ),
        (
            "Zoe Quinn's own password",
            "must not contain your email address",
        ),
    ] {
        let (status, body) = register(&app, "zoe.quinn@example.com", "", password).await;
        assert_eq!(status, 400, "{password:?}");
        assert!(body.contains(message), "{password:?}: {body}");
    }
    assert_eq!(app.user_count(), 0);
}

async fn a_password_containing_the_name_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = register(
        &app,
        "zq@example.com",
        "Zoe Quinn",
        "a long walk with quinn",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("must not contain your name"), "{body}");
    assert_eq!(app.user_count(), 0);
}

/// No composition rules: fifteen lower-case letters and spaces are fine.
async fn there_are_no_composition_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, _) = register(&app, "zq@example.com", "Zoe Quinn", "a lighthouse at dusk").await;
    assert_eq!(status, 200, "check your inbox");
}

/// `password.min_length` moves the bar.
async fn the_minimum_length_is_configurable(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.password.min_length = 20).await;
    let (status, body) = register(&app, "ann@example.com", "", "nineteen characters").await;
    assert_eq!(status, 400);
    assert!(body.contains("at least 20 characters"), "{body}");
    let (status, _) = register(&app, "ann@example.com", "", "twenty characters ok").await;
    assert_eq!(status, 200, "check your inbox");
}

/// `ferrid user add` applies the same policy.
async fn the_cli_applies_the_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    for (password, message) in [
        ("short password\n", "at least 15 characters"),
        ("1qaz2wsx3edc4rfv\n", "too common"),
        (
            "frank forever and ever\n",
            "must not contain your email address",
        ),
    ] {
        let args = [
            "user",
            "add",
            "--email",
            "frank@example.com",
            "--password-stdin",
        ];
        let out = app.ferrid(&args, password);
        assert_eq!(out.status.code(), Some(2), "{password:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{password:?}: {stderr}");
    }
    assert_eq!(app.user_count(), 0);
}

on_both_backends!(
    each_refusal_at_registration_names_its_rule,
    a_password_containing_the_name_is_refused,
    there_are_no_composition_rules,
    the_minimum_length_is_configurable,
    the_cli_applies_the_policy,
);
