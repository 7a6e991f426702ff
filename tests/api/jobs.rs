//! Background jobs shared by replicas: each runs once per interval across all replicas on one
//! database (a lease in `job_leases`), not once per replica.
use std::sync::{Arc, Barrier};

use ferrid::config::Secret;
use ferrid::crypto::master_key::MasterKey;
use ferrid::startup::jobs::{self, Ran, PURGE_INTERVAL};
use ferrid::store::leases;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    two_replicas_run_each_job_once_per_interval,
    of_many_replicas_asking_at_once_one_gets_the_lease,
    the_mail_queue_is_polled_by_one_replica_until_it_stops,
);

/// Two replicas on one database whose own maintenance threads stay asleep (an hour between
/// rounds): the test runs the rounds, at the times it chooses.
async fn two_replicas(backend: Backend) -> (TestApp, TestApp) {
    let master = MasterKey::generate().to_base64();
    let hour = std::num::NonZeroU64::new(3600).unwrap();
    let first = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(Secret::new(master.clone()));
        s.keys.poll_interval = hour;
    })
    .await;
    let url = first.database_url.clone();
    let second = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(Secret::new(master.clone()));
        s.keys.poll_interval = hour;
        s.database.url = url.clone();
    })
    .await;
    (first, second)
}

fn round(app: &TestApp, holder: &str, at: i64) -> Ran {
    jobs::run_round(&app.state, holder, at).expect("the round runs")
}

async fn two_replicas_run_each_job_once_per_interval(backend: Backend) {
    let (a, b) = two_replicas(backend).await;
    let t = a.clock.now();
    // The purge: whoever asks first runs it; the other does not, until the interval is over.
    assert!(round(&a, "a", t).purge);
    assert!(!round(&b, "b", t).purge);
    assert!(
        !round(&a, "a", t + PURGE_INTERVAL - 1).purge,
        "not twice by one"
    );
    assert!(!round(&b, "b", t + PURGE_INTERVAL - 1).purge);
    assert!(round(&b, "b", t + PURGE_INTERVAL).purge, "then by either");
    assert!(!round(&a, "a", t + PURGE_INTERVAL).purge);
    assert_eq!(
        leases::holder(&mut a.conn(), jobs::PURGE).unwrap(),
        Some(("b".to_string(), t + 2 * PURGE_INTERVAL))
    );

    // Key maintenance: both are due at the rotation; one rotates, and the other loads what
    // it made rather than maintaining too.
    let rotation = t + a.state.settings.keys.rotation_interval;
    assert!(a.state.keys.is_due(rotation) && b.state.keys.is_due(rotation));
    let (ra, rb) = (round(&a, "a", rotation), round(&b, "b", rotation));
    assert!(ra.key_maintenance && !rb.key_maintenance, "{ra:?} {rb:?}");
    assert_eq!(
        a.state.keys.current().jwks_bytes(),
        b.state.keys.current().jwks_bytes(),
        "both publish the same keys"
    );
    assert!(
        !round(&b, "b", rotation + 1).key_maintenance,
        "nothing left due"
    );
    assert!(!round(&a, "a", rotation + 1).key_maintenance);
}

/// The lease itself, under contention: eight replicas asking at the same moment.
async fn of_many_replicas_asking_at_once_one_gets_the_lease(backend: Backend) {
    // A connection for each at once (the test default of 3 would leave five waiting).
    let app = spawn_app_with(backend, |s| {
        s.database.pool_size = std::num::NonZeroU32::new(8).unwrap()
    })
    .await;
    let now = app.clock.now();
    for (job, at) in [("race", now), ("race", now + 60)] {
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (pool, barrier) = (app.state.pool.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut conn = pool.get().unwrap();
                    barrier.wait();
                    leases::try_take(&mut conn, job, &format!("r{i}"), at, 60).unwrap()
                })
            })
            .collect();
        let won = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|&w| w)
            .count();
        assert_eq!(won, 1, "{job} at {at}");
    }
}

/// One replica polls the queue and keeps the lease while it runs; another takes over only
/// once it has been silent for the lease's length.
async fn the_mail_queue_is_polled_by_one_replica_until_it_stops(backend: Backend) {
    use ferrid::mail::{worker, Mailer};
    let (a, b) = two_replicas(backend).await;
    let settings = a.state.settings.mail.clone();
    let mailer = move || Mailer::from_settings(&settings, false).unwrap();
    let (pool_a, pool_b) = (a.state.pool.clone(), b.state.pool.clone());
    let t = a.clock.now();
    let polled = tokio::task::spawn_blocking(move || {
        let (ma, mb) = (mailer(), mailer());
        let at = |pool: &ferrid::store::Pool, m: &Mailer, who: &str, now: i64| {
            worker::deliver_if_leader(pool, m, who, now, 30)
                .unwrap()
                .is_some()
        };
        [
            at(&pool_a, &ma, "a", t),
            at(&pool_b, &mb, "b", t),
            at(&pool_a, &ma, "a", t + 10),
            at(&pool_b, &mb, "b", t + 39),
            at(&pool_b, &mb, "b", t + 40),
            at(&pool_a, &ma, "a", t + 41),
        ]
    })
    .await
    .unwrap();
    assert_eq!(polled, [true, false, true, false, true, false]);
}
