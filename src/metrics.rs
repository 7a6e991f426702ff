//! Counters and histograms in Prometheus's text exposition format (version 0.0.4), written
//! by hand: a few series do not need a metrics framework. [`Metrics`] holds what the
//! handlers count (requests, tokens, logins); `web::metrics` adds, at each scrape, what is
//! read from elsewhere (the database pool, the mail queue, the keys).
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds (Prometheus's defaults).
pub const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A histogram of durations over [`LATENCY_BUCKETS`], lock-free to observe.
#[derive(Debug)]
pub struct Histogram {
    /// Observations per bucket (not cumulative), the last one above every bound.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    pub const fn new() -> Self {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; LATENCY_BUCKETS.len() + 1],
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The `_bucket`, `_sum` and `_count` samples of `name` with `labels`.
    pub fn write(&self, out: &mut Exposition, name: &str, labels: &[(&str, &str)]) {
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let le = bound.to_string();
            out.sample_with(&format!("{name}_bucket"), labels, ("le", &le), cumulative);
        }
        cumulative += self.buckets[LATENCY_BUCKETS.len()].load(Ordering::Relaxed);
        out.sample_with(
            &format!("{name}_bucket"),
            labels,
            ("le", "+Inf"),
            cumulative,
        );
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.sample(&format!("{name}_sum"), labels, sum);
        out.sample(&format!("{name}_count"), labels, self.count() as f64);
    }
}

/// How a login attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    Ok,
    Failed,
    /// Refused by throttling before the password was checked.
    Throttled,
}

impl LoginOutcome {
    fn as_str(self) -> &'static str {
        match self {
            LoginOutcome::Ok => "ok",
            LoginOutcome::Failed => "failed",
            LoginOutcome::Throttled => "throttled",
        }
    }
}

/// What the handlers of one application count. Routes are their patterns
/// (`/admin/users/{id}`), never raw paths, so the number of series stays bounded whatever
/// paths clients send.
#[derive(Debug, Default)]
pub struct Metrics {
    /// By (method, route pattern, status).
    requests: Mutex<BTreeMap<(String, String, u16), Arc<Histogram>>>,
    tokens_issued: Mutex<BTreeMap<String, u64>>,
    logins: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let key = (method.to_string(), route.to_string(), status);
        let histogram = {
            let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            requests.entry(key).or_default().clone()
        };
        histogram.observe(elapsed);
    }

    /// A token response was sent for `grant` (one of the grant types served).
    pub fn token_issued(&self, grant: &str) {
        let mut tokens = self.tokens_issued.lock().unwrap_or_else(|e| e.into_inner());
        *tokens.entry(grant.to_string()).or_default() += 1;
    }

    pub fn login(&self, outcome: LoginOutcome) {
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        *logins.entry(outcome.as_str()).or_default() += 1;
    }

    /// The counted series, with their HELP and TYPE lines.
    pub fn write(&self, out: &mut Exposition) {
        out.header(
            "ferrid_http_requests",
            "HTTP requests by method, route pattern and status, and their latency in seconds.",
            "histogram",
        );
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for ((method, route, status), histogram) in &requests {
            let status = status.to_string();
            let labels = [
                ("method", method.as_str()),
                ("route", route.as_str()),
                ("status", status.as_str()),
            ];
            histogram.write(out, "ferrid_http_requests", &labels);
        }
        out.header(
            "ferrid_tokens_issued_total",
            "Token responses sent, by grant type.",
            "counter",
        );
        for (grant, n) in self
            .tokens_issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            out.sample(
                "ferrid_tokens_issued_total",
                &[("grant_type", grant.as_str())],
                *n as f64,
            );
        }
        out.header(
            "ferrid_logins_total",
            "Password logins by outcome: ok, failed, throttled.",
            "counter",
        );
        let logins = self
            .logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for outcome in [
            LoginOutcome::Ok,
            LoginOutcome::Failed,
            LoginOutcome::Throttled,
        ] {
            let n = logins.get(outcome.as_str()).copied().unwrap_or(0);
            out.sample(
                "ferrid_logins_total",
                &[("result", outcome.as_str())],
                n as f64,
            );
        }
    }
}

/// A text exposition being written.
#[derive(Debug, Default)]
pub struct Exposition(String);

impl Exposition {
    pub fn header(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        self.labels(labels, None);
        let _ = writeln!(self.0, " {value}");
    }

    fn sample_with(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        extra: (&str, &str),
        value: u64,
    ) {
        self.0.push_str(name);
        self.labels(labels, Some(extra));
        let _ = writeln!(self.0, " {value}");
    }

    fn labels(&mut self, labels: &[(&str, &str)], extra: Option<(&str, &str)>) {
        let mut all = labels.iter().copied().chain(extra).peekable();
        if all.peek().is_none() {
            return;
        }
        self.0.push('{');
        for (i, (key, value)) in all.enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            let _ = write!(self.0, "{key}=\"{}\"", escape(value));
        }
        self.0.push('}');
    }

    pub fn finish(self) -> String {
        self.0
    }
}

/// A label value as the text format needs it: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_is_cumulative_with_sum_and_count() {
        let histogram = Histogram::new();
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_millis(30));
        histogram.observe(Duration::from_secs(20));
        let mut out = Exposition::default();
        histogram.write(&mut out, "x", &[("route", "/token")]);
        let text = out.finish();
        for line in [
            "x_bucket{route=\"/token\",le=\"0.005\"} 1",
            "x_bucket{route=\"/token\",le=\"0.025\"} 1",
            "x_bucket{route=\"/token\",le=\"0.05\"} 2",
            "x_bucket{route=\"/token\",le=\"10\"} 2",
            "x_bucket{route=\"/token\",le=\"+Inf\"} 3",
            "x_sum{route=\"/token\"} 20.033",
            "x_count{route=\"/token\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::default();
        out.sample("x", &[("route", "a\"b\\c\nd")], 1.0);
        assert_eq!(out.finish(), "x{route=\"a\\\"b\\\\c\\nd\"} 1\n");
    }

    #[test]
    fn every_login_outcome_is_a_series_from_the_start() {
        let metrics = Metrics::default();
        metrics.login(LoginOutcome::Failed);
        let mut out = Exposition::default();
        metrics.write(&mut out);
        let text = out.finish();
        assert!(
            text.contains("ferrid_logins_total{result=\"ok\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("ferrid_logins_total{result=\"failed\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("ferrid_logins_total{result=\"throttled\"} 0\n"),
            "{text}"
        );
    }
}
