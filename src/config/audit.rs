//! `[audit]`: how long the audit log keeps its events.
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// Events older than this many days are deleted by the maintenance job's purge.
    pub retention_days: u32,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings { retention_days: 90 }
    }
}

/// A hundred years: beyond that a typo is more likely than a policy.
const MAX_RETENTION_DAYS: u32 = 36_500;

impl AuditSettings {
    /// Seconds an event is kept.
    pub fn retention_seconds(&self) -> i64 {
        i64::from(self.retention_days) * 86_400
    }

    pub(super) fn problems(&self) -> Vec<String> {
        if (1..=MAX_RETENTION_DAYS).contains(&self.retention_days) {
            Vec::new()
        } else {
            vec![format!(
                "audit.retention_days: from 1 to {MAX_RETENTION_DAYS} (days the audit log keeps an event)"
            )]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let vars = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load(None, vars).map_err(|e| e.to_string())
    }

    #[test]
    fn retention_defaults_to_ninety_days_and_is_bounded() {
        assert_eq!(Settings::defaults().audit.retention_days, 90);
        let s = load(&[("FERRID__AUDIT__RETENTION_DAYS", "30")]).unwrap();
        assert_eq!(s.audit.retention_seconds(), 30 * 86_400);
        for bad in ["0", "36501"] {
            let e = load(&[("FERRID__AUDIT__RETENTION_DAYS", bad)]).unwrap_err();
            assert!(e.contains("audit.retention_days"), "{bad}: {e}");
        }
    }
}
