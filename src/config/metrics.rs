//! `[metrics]` and `[log]`: what operators watch. Metrics are served in Prometheus's text
//! format on a listener of their own, off unless `metrics.bind` is set, so they are never
//! on the public port by accident.
use std::net::SocketAddr;

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Where `/metrics` is served, e.g. `127.0.0.1:9090`. Unset (the default): no metrics
    /// listener.
    #[serde(default)]
    pub bind: Option<SocketAddr>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` (the default) or `json`: one JSON object per line, for log collectors.
    #[serde(default)]
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl TryFrom<String> for LogFormat {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        match raw.as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("'{raw}' must be text or json")),
        }
    }
}
