//! `[ui]`: what the pages and messages call the service, and its accent colour.
use serde::Deserialize;

use super::values;
use crate::domain::Color;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    /// The name on every page (title, header) and in every message ("Reset your Acme ID
    /// password").
    pub product_name: String,
    /// Buttons, links and the brand mark; `#rgb` or `#rrggbb` only, so the value cannot
    /// carry anything else into the stylesheet or the mail.
    #[serde(deserialize_with = "values::color")]
    pub accent_color: Color,
}

/// Longer names do not fit the header at 390 px, nor a mail subject.
const MAX_PRODUCT_NAME: usize = 60;

impl UiSettings {
    pub(super) fn problems(&self) -> Vec<String> {
        let name = &self.product_name;
        let mut problems = Vec::new();
        if name.trim().is_empty() {
            problems.push("ui.product_name: must not be empty".into());
        } else if name.chars().count() > MAX_PRODUCT_NAME {
            problems.push(format!(
                "ui.product_name: at most {MAX_PRODUCT_NAME} characters"
            ));
        }
        // A line break would end a mail header (the subject names the product).
        if name.chars().any(char::is_control) {
            problems.push("ui.product_name: must not contain control characters".into());
        }
        problems
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
    fn defaults_name_ferrid() {
        let s = Settings::defaults();
        assert_eq!(s.ui.product_name, "Ferrid");
        assert_eq!(s.ui.accent_color.to_string(), "#b7410e");
    }

    #[test]
    fn a_deployment_names_itself() {
        let s = load(&[
            ("FERRID__UI__PRODUCT_NAME", "Acme ID"),
            ("FERRID__UI__ACCENT_COLOR", "#0A5"),
        ])
        .unwrap();
        assert_eq!(s.ui.product_name, "Acme ID");
        assert_eq!(s.ui.accent_color.to_string(), "#00aa55");
    }

    /// Each case: the variables, and the key the refusal must name.
    #[test]
    fn bad_ui_settings_are_refused_naming_the_key() {
        let long = "x".repeat(61);
        for (vars, key) in [
            (vec![("FERRID__UI__ACCENT_COLOR", "red")], "ui.accent_color"),
            (
                vec![("FERRID__UI__ACCENT_COLOR", "#fff; } body { display: none")],
                "ui.accent_color",
            ),
            (
                vec![("FERRID__UI__ACCENT_COLOR", "123456")],
                "ui.accent_color",
            ),
            (vec![("FERRID__UI__PRODUCT_NAME", " ")], "ui.product_name"),
            (vec![("FERRID__UI__PRODUCT_NAME", &long)], "ui.product_name"),
            (
                vec![("FERRID__UI__PRODUCT_NAME", "Acme\r\nBcc: x@evil.example")],
                "ui.product_name",
            ),
        ] {
            let err = load(&vars).unwrap_err();
            assert!(err.contains(key), "{vars:?}: {err}");
        }
    }
}
