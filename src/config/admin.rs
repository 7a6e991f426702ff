//! `[admin]`: the web console.
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// "Sudo mode": seconds after a login (or a password re-entry) during which an
    /// administrator may make changes in the console without typing the password again. A
    /// session left open on an unattended machine then cannot be used to change accounts.
    #[serde(default = "default_sudo_window")]
    pub sudo_window: i64,
}

fn default_sudo_window() -> i64 {
    900
}

impl Default for AdminSettings {
    fn default() -> Self {
        AdminSettings {
            sudo_window: default_sudo_window(),
        }
    }
}

/// A day: past that, sudo mode protects nothing a login does not.
const MAX_SUDO_WINDOW: i64 = 86_400;

impl AdminSettings {
    pub(super) fn problems(&self) -> Vec<String> {
        if (1..=MAX_SUDO_WINDOW).contains(&self.sudo_window) {
            Vec::new()
        } else {
            vec![format!(
                "admin.sudo_window: must be between 1 and {MAX_SUDO_WINDOW} seconds"
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
    fn sudo_window_defaults_to_fifteen_minutes() {
        assert_eq!(Settings::defaults().admin.sudo_window, 900);
        let s = load(&[("FERRID__ADMIN__SUDO_WINDOW", "300")]).unwrap();
        assert_eq!(s.admin.sudo_window, 300);
    }

    #[test]
    fn sudo_window_must_be_positive_and_at_most_a_day() {
        for bad in ["0", "-5", "86401"] {
            let e = load(&[("FERRID__ADMIN__SUDO_WINDOW", bad)]).unwrap_err();
            assert!(e.contains("admin.sudo_window"), "{bad}: {e}");
        }
    }
}
