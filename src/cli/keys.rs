//! `ferrid keys list` and `ferrid keys rotate`.
use super::{open_pool, CliError};
use crate::config::Settings;
use crate::keys::{load_master_key, KeyPolicy, KeyStore};
use crate::store::keys;
use crate::store::StoreError;

fn failed(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(e.to_string())
}

pub fn list(settings: &Settings, json: bool) -> Result<(), CliError> {
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let stored = keys::all(&mut conn)?;
    if json {
        let rows: Vec<serde_json::Value> = stored
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kid": k.kid,
                    "alg": k.alg.as_str(),
                    "state": k.state.as_str(),
                    "created_at": k.created_at,
                    "activate_after": k.activate_after,
                    "activated_at": k.activated_at,
                    "retired_at": k.retired_at,
                    "drop_after": k.drop_after,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    println!(
        "{:<45} {:<6} {:<8} {:<12} {:<12} {:<12}",
        "KID", "ALG", "STATE", "CREATED", "ACTIVATED", "DROP AFTER"
    );
    let time = |t: Option<i64>| t.map_or_else(|| "-".to_string(), utc);
    for k in stored {
        println!(
            "{:<45} {:<6} {:<8} {:<20} {:<20} {:<20}",
            k.kid,
            k.alg.as_str(),
            k.state.as_str(),
            utc(k.created_at),
            time(k.activated_at),
            time(k.drop_after)
        );
    }
    Ok(())
}

/// Creates the next keys; running servers publish them within `keys.poll_interval`
/// seconds, and they start signing after `keys.publish_ahead`.
pub fn rotate(settings: &Settings, now: i64) -> Result<(), CliError> {
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let (master, _) = load_master_key(settings).map_err(failed)?;
    let store = KeyStore::open(&mut conn, master, KeyPolicy::from_settings(settings), now)
        .map_err(failed)?;
    let created = store.rotate(&mut conn, now).map_err(failed)?;
    if created.is_empty() {
        println!("a rotation is already under way: the next keys are published and waiting to become active");
    }
    for kid in created {
        println!(
            "created next key {kid}: published now, active in {} seconds",
            settings.keys.publish_ahead
        );
    }
    Ok(())
}

/// Unix seconds as UTC, `2026-11-27T14:02:11Z`.
fn utc(t: i64) -> String {
    crate::domain::utc::format(t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::utc(1_795_788_458), "2026-11-27T14:07:38Z");
    }
}
