//! The mail the app sent, read back from the outbox (.eml files written by lettre's file
//! transport). Deterministic: tests never wait for the worker's poll (test apps poll once an
//! hour); the helpers deliver what is queued themselves, one message at a time, the way the
//! worker does (claim, send, mark sent), so the order of the files is the order of the queue.
use std::path::PathBuf;

use ferrid::mail::Mailer;
use ferrid::store::mail_queue;

use super::app::TestApp;

/// One delivered message.
#[derive(Clone, Debug)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    /// The whole .eml, quoted-printable undone (both parts, headers included).
    pub body: String,
    /// The links under the app's address, in order of appearance, without repeats.
    pub links: Vec<String>,
}

impl SentMail {
    /// The first link to `path` (like "/reset-password"); fails the test when there is none.
    pub fn link(&self, path: &str) -> String {
        self.links
            .iter()
            .find(|l| {
                let rest = l.splitn(4, '/').nth(3).unwrap_or_default();
                format!("/{rest}").starts_with(path)
            })
            .unwrap_or_else(|| {
                panic!(
                    "no link to {path} in the mail {:?}: {:?}",
                    self.subject, self.links
                )
            })
            .clone()
    }
}

impl TestApp {
    /// Delivers every message due now into the outbox, one at a time.
    pub async fn deliver_mail(&self) {
        let (pool, settings, now) = (
            self.state.pool.clone(),
            self.state.settings.mail.clone(),
            self.clock.now(),
        );
        let dir = settings.outbox_dir.clone();
        let delivered = tokio::task::spawn_blocking(move || {
            let mailer = Mailer::from_settings(&settings, false).unwrap();
            let mut delivered = Vec::new();
            loop {
                let mut conn = pool.get().unwrap();
                let Some(mail) = mail_queue::claim_due(&mut conn, now, 1, 600).unwrap().pop()
                else {
                    return delivered;
                };
                let before = outbox_files(&dir);
                mailer.send(&mail.message).unwrap();
                mail_queue::mark_sent(&mut conn, mail.id, now).unwrap();
                delivered.extend(
                    outbox_files(&dir)
                        .into_iter()
                        .filter(|f| !before.contains(f)),
                );
            }
        })
        .await
        .unwrap();
        self.outbox.lock().unwrap().extend(delivered);
    }

    /// Every message sent so far, oldest first (after delivering what is queued).
    pub async fn mails(&self) -> Vec<SentMail> {
        self.deliver_mail().await;
        let files = self.outbox.lock().unwrap().clone();
        files.iter().map(|f| self.read_mail(f)).collect()
    }

    /// The messages sent to `address` (any letter case), oldest first.
    pub async fn mails_to(&self, address: &str) -> Vec<SentMail> {
        let address = address.to_lowercase();
        let mut mails = self.mails().await;
        mails.retain(|m| m.to.to_lowercase() == address);
        mails
    }

    /// The newest message.
    pub async fn last_mail(&self) -> SentMail {
        self.mails().await.pop().expect("a message was sent")
    }

    /// The newest message to `address`.
    pub async fn last_mail_to(&self, address: &str) -> SentMail {
        self.mails_to(address)
            .await
            .pop()
            .unwrap_or_else(|| panic!("no message to {address}"))
    }

    fn read_mail(&self, file: &PathBuf) -> SentMail {
        let body = quoted_printable_decode(&std::fs::read_to_string(file).unwrap());
        let header = |name: &str| {
            body.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        SentMail {
            to: header("To"),
            subject: header("Subject"),
            links: links_under(&body, &self.address),
            body,
        }
    }
}

fn outbox_files(dir: &std::path::Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Every `base…` link in `text`, up to a space, quote or angle bracket.
fn links_under(text: &str, base: &str) -> Vec<String> {
    let mut links: Vec<String> = Vec::new();
    for (start, _) in text.match_indices(base) {
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || "\"<>".contains(c))
            .map_or(text.len(), |e| start + e);
        let link = text[start..end].to_string();
        if !links.contains(&link) {
            links.push(link);
        }
    }
    links
}

/// Undoes quoted-printable (RFC 2045 §6.7), which lettre picks for long lines: soft line
/// breaks go, `=XX` becomes its byte. Headers pass through unchanged.
pub fn quoted_printable_decode(encoded: &str) -> String {
    let joined = encoded.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            let h = std::str::from_utf8(h).ok()?;
            h.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
                .then(|| u8::from_str_radix(h, 16).ok())?
        });
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
