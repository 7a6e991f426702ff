//! Logger setup: env_logger (`RUST_LOG`, default `info`), behind a filter that keeps clients'
//! mistakes out of the error level. actix-http logs every connection that ends in an error
//! at error level, including a malformed request line or header, a client that reset the
//! connection or let a timeout pass: under attack that was one ERROR line per bad request,
//! burying real failures. Those lines are demoted to debug and counted instead. The requests
//! never reach the application, so the count is process-wide (see `AppState::client_errors`).
use std::sync::atomic::{AtomicU64, Ordering};

use log::{Level, Log, Metadata, Record};

static CLIENT_STREAM_ERRORS: AtomicU64 = AtomicU64::new(0);

/// Connections actix ended because of the client (malformed requests, resets, timeouts).
pub fn client_stream_errors() -> u64 {
    CLIENT_STREAM_ERRORS.load(Ordering::Relaxed)
}

/// How actix-http words connection errors a client caused (`DispatchError`'s messages).
const CLIENT_CAUSED: [&str; 5] = [
    "request parse error",
    "I/O error",
    "request did not complete within the specified timeout",
    "connection shutdown timeout",
    "handler dropped payload before reading EOF",
];

/// Whether an actix-http error line describes a client's fault.
pub fn is_client_caused(target: &str, message: &str) -> bool {
    if target.starts_with("actix_http::h1::decoder") {
        return message.starts_with("MAX_BUFFER_SIZE unprocessed data reached");
    }
    target.starts_with("actix_http::h1::dispatcher")
        && message
            .strip_prefix("stream error: ")
            .is_some_and(|rest| CLIENT_CAUSED.iter().any(|p| rest.starts_with(p)))
}

/// Passes records on to `inner`, client-caused actix-http errors at debug.
pub struct ClientErrorFilter<L> {
    inner: L,
}

impl<L: Log> ClientErrorFilter<L> {
    pub fn new(inner: L) -> Self {
        ClientErrorFilter { inner }
    }
}

impl<L: Log> Log for ClientErrorFilter<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        // Only actix-http's error lines are looked at (and formatted) here.
        if record.level() == Level::Error && record.target().starts_with("actix_http::") {
            let message = record.args().to_string();
            if is_client_caused(record.target(), &message) {
                CLIENT_STREAM_ERRORS.fetch_add(1, Ordering::Relaxed);
                let metadata = Metadata::builder()
                    .level(Level::Debug)
                    .target(record.target())
                    .build();
                if self.inner.enabled(&metadata) {
                    self.inner.log(
                        &Record::builder()
                            .metadata(metadata)
                            .args(format_args!("{message}"))
                            .module_path(record.module_path())
                            .file(record.file())
                            .line(record.line())
                            .build(),
                    );
                }
                return;
            }
        }
        self.inner.log(record);
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// How log lines are written (`log.format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// env_logger's lines, for people.
    #[default]
    Text,
    /// One JSON object per line (`ts`, `level`, `target`, `message`), for log collectors.
    Json,
}

/// Installs the logger: `RUST_LOG`, else `info`.
pub fn init() {
    init_with_default("info");
}

/// Installs the logger with `filter` unless `RUST_LOG` says otherwise (once per process;
/// later calls do nothing).
pub fn init_with_default(filter: &str) {
    init_with(filter, Format::Text);
}

/// [`init_with_default`] in the given format. Lines say what they said in text; the same
/// rule holds: never a password, secret, token or code in a message.
pub fn init_with(filter: &str, format: Format) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(filter));
    if format == Format::Json {
        builder.format(|buf, record| {
            use std::io::Write as _;
            let ts = buf.timestamp_millis().to_string();
            writeln!(buf, "{}", json_line(&ts, record))
        });
    }
    let logger = builder.build();
    let max_level = logger.filter();
    if log::set_boxed_logger(Box::new(ClientErrorFilter::new(logger))).is_ok() {
        log::set_max_level(max_level);
    }
}

/// One record as a JSON object on one line (newlines in the message are escaped by JSON).
pub fn json_line(ts: &str, record: &Record<'_>) -> String {
    serde_json::json!({
        "ts": ts,
        "level": record.level().as_str(),
        "target": record.target(),
        "message": record.args().to_string(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Keeps what it is given.
    #[derive(Default)]
    struct Capture(Mutex<Vec<(Level, String)>>);

    impl Log for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &Record<'_>) {
            let line = (record.level(), record.args().to_string());
            self.0.lock().unwrap().push(line);
        }
        fn flush(&self) {}
    }

    fn logged(target: &str, level: Level, message: &str) -> (Level, String) {
        let filter = ClientErrorFilter::new(Capture::default());
        filter.log(
            &Record::builder()
                .level(level)
                .target(target)
                .args(format_args!("{message}"))
                .build(),
        );
        let mut lines = filter.inner.0.into_inner().unwrap();
        assert_eq!(lines.len(), 1);
        lines.remove(0)
    }

    #[test]
    fn client_caused_connection_errors_are_debug_and_counted() {
        const DISPATCHER: &str = "actix_http::h1::dispatcher";
        for message in [
            "stream error: request parse error: invalid Header provided",
            "stream error: request parse error: URI error: invalid uri character",
            "stream error: I/O error: Connection reset by peer (os error 104)",
            "stream error: request did not complete within the specified timeout",
        ] {
            let before = client_stream_errors();
            assert_eq!(
                logged(DISPATCHER, Level::Error, message),
                (Level::Debug, message.to_string())
            );
            assert!(client_stream_errors() > before, "{message}");
        }
        assert_eq!(
            logged(
                "actix_http::h1::decoder",
                Level::Error,
                "MAX_BUFFER_SIZE unprocessed data reached, closing"
            )
            .0,
            Level::Debug
        );
    }

    #[test]
    fn json_lines_parse_and_keep_the_message_whole() {
        let message = "quote \" backslash \\ newline \n tab \t end";
        let line = json_line(
            "2026-12-02T06:00:00.000Z",
            &Record::builder()
                .level(Level::Warn)
                .target("ferrid::startup")
                .args(format_args!("{message}"))
                .build(),
        );
        assert!(!line.contains('\n'), "one line: {line}");
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["message"], message);
        assert_eq!(parsed["level"], "WARN");
        assert_eq!(parsed["target"], "ferrid::startup");
        assert_eq!(parsed["ts"], "2026-12-02T06:00:00.000Z");
    }

    #[test]
    fn server_faults_stay_errors() {
        for (target, message) in [
            (
                "actix_http::h1::dispatcher",
                "Response payload stream error: x",
            ),
            ("actix_http::h1::dispatcher", "stream error: body error: x"),
            ("actix_server::accept", "Error accepting connection: EMFILE"),
            ("ferrid::web::error", "internal error: I/O error"),
        ] {
            assert_eq!(logged(target, Level::Error, message).0, Level::Error);
        }
        assert_eq!(
            logged(
                "actix_http::h1::dispatcher",
                Level::Warn,
                "stream error: I/O error"
            )
            .0,
            Level::Warn
        );
    }
}
