//! Private keys at rest: sealed with the master key, never in plain; a start with another
//! master key is refused and changes nothing.
use ferrid::config::Secret;
use ferrid::crypto::master_key::MasterKey;
use ferrid::keys::KeyStoreError;
use ferrid::startup::Application;
use ferrid::store::keys;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    no_plain_private_key_in_the_database,
    a_wrong_master_key_is_refused_and_nothing_changes,
);

async fn no_plain_private_key_in_the_database(backend: Backend) {
    use base64::Engine as _;
    let master = MasterKey::generate();
    let encoded = master.to_base64();
    let app = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(Secret::new(encoded.clone()))
    })
    .await;
    app.state
        .keys
        .rotate(&mut app.conn(), app.clock.now())
        .unwrap();
    let stored = keys::all(&mut app.conn()).unwrap();
    assert_eq!(stored.len(), 4);
    for key in stored {
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&key.sealed_private_key)
            .unwrap();
        let pem = String::from_utf8(master.open(&sealed, key.kid.as_bytes()).unwrap()).unwrap();
        assert!(pem.contains("PRIVATE KEY"));
        // The body of the PEM (the key itself) appears nowhere in the row, in any column.
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .unwrap();
        let row = format!("{key:?}");
        assert!(!row.contains("PRIVATE KEY"));
        assert!(!row.contains(&body[..40]));
        assert!(!sealed.windows(32).any(|w| der.windows(32).any(|d| d == w)));
        assert!(!key.public_jwk.contains("\"d\""));
    }
}

async fn a_wrong_master_key_is_refused_and_nothing_changes(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(Secret::new(MasterKey::generate().to_base64()))
    })
    .await;
    let before = format!("{:?}", keys::all(&mut app.conn()).unwrap());
    let mut settings = test_settings(Backend::Sqlite, app.dir.path());
    settings.database.url = app.database_url.clone();
    settings.secrets.master_key = Some(Secret::new(MasterKey::generate().to_base64()));
    let err = Application::build(settings)
        .await
        .err()
        .expect("start refused");
    let message = format!("{err:#}");
    assert!(message.contains("master key"), "{message}");
    assert!(err
        .downcast_ref::<KeyStoreError>()
        .is_some_and(|e| matches!(e, KeyStoreError::WrongMasterKey { .. })));
    assert_eq!(
        before,
        format!("{:?}", keys::all(&mut app.conn()).unwrap()),
        "no key touched"
    );
}
