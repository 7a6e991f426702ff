//! Headless Chromium driven over the Chrome DevTools Protocol, with nothing but std and
//! serde_json: `--remote-debugging-pipe` speaks NUL-terminated JSON on file descriptors 3
//! (commands in) and 4 (replies out), which a shell maps onto the child's stdin and stdout.
//! No websocket, no browser download: Debian's `chromium` package (.ci/run installs it).
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one protocol command or one page load may take.
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Chromium {
    child: Child,
    input: ChildStdin,
    replies: Receiver<Value>,
    next_id: u64,
    session: String,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// Starts Chromium with an empty profile and opens one page of `width` × `height`.
    pub fn start(width: u32, height: u32) -> Chromium {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null 2>/dev/null"#)
            .arg(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let input = child.stdin.take().unwrap();
        let output = child.stdout.take().unwrap();
        let (send, replies) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).unwrap_or(0) > 0 {
                if message.last() == Some(&0) {
                    message.pop();
                }
                if let Ok(value) = serde_json::from_slice::<Value>(&message) {
                    if send.send(value).is_err() {
                        break;
                    }
                }
                message.clear();
            }
        });
        let mut browser = Chromium {
            child,
            input,
            replies,
            next_id: 0,
            session: String::new(),
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({ "url": "about:blank" }));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = browser.call(
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        );
        browser
    }

    /// Sends a command (to the page once attached) and waits for its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            command["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&command).unwrap();
        bytes.push(0);
        self.input.write_all(&bytes).unwrap();
        self.input.flush().unwrap();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.replies.recv_timeout(left) {
                Ok(reply) if reply["id"] == id => {
                    if let Some(error) = reply.get("error") {
                        panic!("{method}: {error}");
                    }
                    return reply["result"].clone();
                }
                Ok(_event) => {}
                Err(RecvTimeoutError::Timeout) => panic!("{method}: no reply in {TIMEOUT:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("{method}: chromium exited"),
            }
        }
    }

    /// The value of a JavaScript expression in the page (DevTools evaluation is not bound
    /// by the page's Content-Security-Policy, which allows no script).
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("{expression}: {exception}");
        }
        result["result"]["value"].clone()
    }

    pub fn goto(&mut self, url: &str) {
        self.mark();
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_for_new_page();
    }

    /// Fills the named fields of the page's form and clicks the button with `button_text`,
    /// then waits for the page it leads to.
    pub fn submit(&mut self, fields: &[(&str, &str)], button_text: &str) {
        for (name, value) in fields {
            let set = format!(
                "(() => {{ const f = document.querySelector('[name={}]'); f.value = {}; return !!f; }})()",
                serde_json::to_string(name).unwrap(),
                serde_json::to_string(value).unwrap()
            );
            assert_eq!(self.eval(&set), json!(true), "field {name}");
        }
        self.click(button_text);
    }

    /// Clicks the button whose text is `text` and waits for the next page.
    pub fn click(&mut self, text: &str) {
        self.mark();
        let click = format!(
            "(() => {{ const b = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === {}); if (!b) return false; b.click(); return true; }})()",
            serde_json::to_string(text).unwrap()
        );
        assert_eq!(
            self.eval(&click),
            json!(true),
            "a button {text:?} on {}",
            self.path()
        );
        self.wait_for_new_page();
    }

    /// Marks the current document, so a new one can be told from it.
    fn mark(&mut self) {
        self.eval("window.__ferrid_old_page = true");
    }

    /// Waits for the page a click made elsewhere (after `window.__ferrid_old_page = true`).
    pub fn wait_until_loaded(&mut self) {
        self.wait_for_new_page();
    }

    fn wait_for_new_page(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let ready = self
                .eval("window.__ferrid_old_page !== true && document.readyState === 'complete'");
            if ready == json!(true) {
                return;
            }
            assert!(Instant::now() < deadline, "no new page loaded");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn path(&mut self) -> String {
        self.eval("location.pathname")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The text of the first element matching `selector`, if any.
    pub fn text_of(&mut self, selector: &str) -> Option<String> {
        let expression = format!(
            "(() => {{ const e = document.querySelector({}); return e ? e.textContent : null; }})()",
            serde_json::to_string(selector).unwrap()
        );
        self.eval(&expression).as_str().map(str::to_string)
    }

    /// A PNG of the page as shown, the page grown to its full height.
    pub fn screenshot(&mut self, path: &Path) {
        let height = self
            .eval("document.documentElement.scrollHeight")
            .as_u64()
            .unwrap_or(900);
        let width = self.eval("window.innerWidth").as_u64().unwrap_or(1280);
        let shot = self.call(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": width, "height": height.min(4000), "scale": 1 }
            }),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
