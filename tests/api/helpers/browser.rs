//! A browser: keeps cookies, does not follow redirects (tests look at each hop), and fills in
//! a page's form with the page's `csrf_token`, as a person would submit it.
use std::collections::HashMap;
use std::sync::Arc;

use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};

use super::app::User;

pub struct Browser {
    base: String,
    http: reqwest::Client,
    jar: Arc<Jar>,
    /// Who sits at it: used when a flow shows the login page.
    user: Option<User>,
}

/// Where a flow ended: a redirect to the client (with its query parsed), or a page.
#[derive(Debug)]
pub enum End {
    Client {
        #[allow(dead_code)] // shown when a test fails (Debug)
        location: String,
        params: HashMap<String, String>,
    },
    Page {
        status: u16,
        body: String,
    },
}

/// How the person answers the consent page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    Allow,
    Deny,
    /// Fail if a consent page appears.
    Unexpected,
}

/// A consent page: its HTML and the two hidden fields its form posts.
#[derive(Clone, Debug)]
pub struct ConsentPage {
    pub body: String,
    pub csrf: String,
    pub request: String,
}

impl Browser {
    pub fn new(base: &str, user: Option<User>) -> Browser {
        Browser::build(base, user, HeaderMap::new())
    }

    /// A browser whose requests reach the app through a proxy that names `ip` as the
    /// client (X-Forwarded-For): believed only when the app trusts the proxy (127.0.0.1).
    pub fn at_ip(base: &str, user: Option<User>, ip: &str) -> Browser {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(ip).unwrap());
        Browser::build(base, user, headers)
    }

    /// A browser that names itself with this User-Agent header.
    pub fn with_user_agent(base: &str, user: Option<User>, user_agent: &str) -> Browser {
        let mut headers = HeaderMap::new();
        headers.insert("user-agent", HeaderValue::from_str(user_agent).unwrap());
        Browser::build(base, user, headers)
    }

    /// A browser that opens a new connection for every request, so a load balancer that
    /// chooses a replica per connection chooses one per request.
    pub fn one_connection_per_request(base: &str, user: Option<User>) -> Browser {
        Browser::build_with(base, user, HeaderMap::new(), 0)
    }

    fn build(base: &str, user: Option<User>, headers: HeaderMap) -> Browser {
        Browser::build_with(base, user, headers, usize::MAX)
    }

    fn build_with(base: &str, user: Option<User>, headers: HeaderMap, idle: usize) -> Browser {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(idle)
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            base: base.to_string(),
            http,
            jar,
            user,
        }
    }

    /// The value of a cookie the browser would send to `path`.
    pub fn cookie(&self, path: &str, name: &str) -> Option<String> {
        let url = url::Url::parse(&self.url(path)).unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().unwrap().split("; ").find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_string())
        })
    }

    /// Stores a cookie as if the app had set it for `path`.
    pub fn set_cookie(&self, path: &str, name: &str, value: &str) {
        let url = url::Url::parse(&self.url(path)).unwrap();
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path={path}"), &url);
    }

    /// The cookie-keeping client itself, for requests built by hand.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A path on the app, or an absolute URL as it is.
    pub fn url(&self, target: &str) -> String {
        if target.starts_with('/') {
            format!("{}{}", self.base, target)
        } else {
            target.to_string()
        }
    }

    pub async fn get(&self, target: &str) -> Response {
        self.http.get(self.url(target)).send().await.unwrap()
    }

    pub async fn status(&self, target: &str) -> StatusCode {
        self.get(target).await.status()
    }

    /// The body of a page.
    pub async fn page(&self, target: &str) -> String {
        self.get(target).await.text().await.unwrap()
    }

    /// GETs a page and returns the `csrf_token` of its form.
    pub async fn csrf(&self, target: &str) -> String {
        let body = self.page(target).await;
        extract_csrf(&body).unwrap_or_else(|| panic!("no csrf_token on {target}:\n{body}"))
    }

    /// POSTs exactly these fields (no CSRF token is added).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Fills in the form of the page at `path` and submits it there, with the page's
    /// `csrf_token`.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.form_on(path, path, fields).await
    }

    /// The form on the page `page` whose action is `action`.
    pub async fn form_on(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let body = self.page(page).await;
        self.submit(&body, action, fields).await
    }

    /// Submits the form of a page already in hand (`body`) to `action`, with its token.
    pub async fn submit(&self, body: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = extract_csrf(body).unwrap_or_else(|| panic!("no csrf_token:\n{body}"));
        self.post(action, &with_csrf(fields, &csrf)).await
    }

    /// Registers through the page: "check your inbox" (200), or logged in at once (303)
    /// when the app does not ask for verification.
    pub async fn register(&self, email: &str, password: &str) -> Response {
        let fields = [
            ("email", email),
            ("password", password),
            ("name", "Test User"),
        ];
        self.form("/register", &fields).await
    }

    /// Opens a mailed link (its page shows one button) and presses the button, which posts
    /// the page's form with its hidden `token`.
    pub async fn confirm_link(&self, link: &str) -> Response {
        let page = self.page(link).await;
        let token = extract_field(&page, "token").unwrap_or_else(|| panic!("no form:\n{page}"));
        let action = link.split('?').next().unwrap();
        self.submit(&page, action, &[("token", &token)]).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        let fields = [("email", email), ("password", password)];
        self.form("/login", &fields).await
    }

    /// The consent page an authorization request leads this logged-in browser to.
    pub async fn consent_page_for(&self, authorize_url: &str) -> ConsentPage {
        let location = location_of(&self.get(authorize_url).await);
        assert!(location.starts_with("/consent?"), "{location}");
        self.consent_page(&location).await
    }

    /// The consent page at `location` (a /consent?request=… path).
    pub async fn consent_page(&self, location: &str) -> ConsentPage {
        let body = self.page(location).await;
        ConsentPage {
            csrf: extract_csrf(&body).unwrap(),
            request: extract_field(&body, "request").expect("the pending request id"),
            body,
        }
    }

    /// Answers a consent page with its own form.
    pub async fn consent(&self, page: &ConsentPage, decision: Consent) -> Response {
        self.decide(&page.request, Some(&page.csrf), decision).await
    }

    /// Posts a consent decision for `request`, with this CSRF token or none.
    pub async fn decide(&self, request: &str, csrf: Option<&str>, decision: Consent) -> Response {
        let decision = match decision {
            Consent::Allow => "allow",
            Consent::Deny => "deny",
            Consent::Unexpected => panic!("no decision to post"),
        };
        let mut fields = vec![("request", request), ("decision", decision)];
        if let Some(csrf) = csrf {
            fields.push(("csrf_token", csrf));
        }
        self.post("/consent", &fields).await
    }

    /// Follows a flow from `url` as this browser's person would: logs in when the login page
    /// comes, answers the consent page, and stops at the first redirect off the app.
    pub async fn follow(&self, url: &str, consent: Consent) -> End {
        let mut next = url.to_string();
        for _ in 0..10 {
            let response = self.get(&next).await;
            if !response.status().is_redirection() {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap();
                return End::Page { status, body };
            }
            let location = location_of(&response);
            if !location.starts_with('/') {
                return End::client(location);
            }
            next = match location.split('?').next().unwrap() {
                "/login" => self.login_for_flow(&location).await,
                "/consent" => {
                    assert!(consent != Consent::Unexpected, "unexpected consent page");
                    let page = self.consent_page(&location).await;
                    let response = self.consent(&page, consent).await;
                    assert_eq!(response.status(), 303);
                    return End::client(location_of(&response));
                }
                _ => location,
            };
        }
        panic!("too many redirects");
    }

    /// The login page a flow sent us to: log in, and return where it sends us back.
    async fn login_for_flow(&self, location: &str) -> String {
        let user = self.user.as_ref().expect("the flow asked for a login");
        let page = self.page(location).await;
        let csrf = extract_csrf(&page).unwrap();
        let return_to = extract_field(&page, "return_to").unwrap();
        let fields = [
            ("email", user.email.as_str()),
            ("password", &user.password),
            ("csrf_token", &csrf),
            ("return_to", &return_to),
        ];
        let response = self.post("/login", &fields).await;
        assert_eq!(response.status(), 303, "login succeeds");
        location_of(&response)
    }
}

impl End {
    /// The redirect to the client at `location`.
    pub fn client(location: String) -> End {
        let params = query_of(&location);
        End::Client { location, params }
    }

    pub fn params(&self) -> &HashMap<String, String> {
        match self {
            End::Client { params, .. } => params,
            End::Page { status, body } => {
                panic!("expected a redirect to the client, got page {status}: {body}")
            }
        }
    }

    pub fn code(&self) -> String {
        self.params()
            .get("code")
            .cloned()
            .unwrap_or_else(|| panic!("no code: {self:?}"))
    }

    pub fn error(&self) -> Option<&str> {
        self.params().get("error").map(String::as_str)
    }

    pub fn state(&self) -> Option<&str> {
        self.params().get("state").map(String::as_str)
    }
}

/// `fields` and the CSRF token.
pub fn with_csrf<'a>(fields: &[(&'a str, &'a str)], csrf: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = fields.to_vec();
    form.push(("csrf_token", csrf));
    form
}

/// The Location header of a redirect.
pub fn location_of(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on a {} response", response.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// The query parameters of an absolute URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn extract_csrf(body: &str) -> Option<String> {
    extract_field(body, "csrf_token")
}

/// The value of a hidden input.
pub fn extract_field(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(
        body[start..end]
            .replace("&amp;", "&")
            .replace("&#x2f;", "/")
            .replace("&#x3d;", "=")
            .replace("&#x3f;", "?"),
    )
}

/// The Set-Cookie header for a cookie name.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The value part of a Set-Cookie header.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}
