//! A browser stand-in for the web interface's tests: a client with its own
//! cookie jar on one tenant host, which reads each form's CSRF token from the
//! page as a browser would send it back.

use crate::TestApp;
use crate::seed::PASSWORD;
use reqwest::StatusCode;

/// One person's browser on one host (its own cookies).
pub struct Browser {
    pub client: reqwest::Client,
    pub host: String,
}

/// A page as received.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` of a redirect.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// The CSRF token the page's forms carry.
    pub fn csrf_token(&self) -> String {
        csrf_token(&self.body).unwrap_or_else(|| panic!("no authenticity_token in the page:\n{}", self.body))
    }
}

/// The value of the first `authenticity_token` field in `html`.
pub fn csrf_token(html: &str) -> Option<String> {
    let at = html.find("name=\"authenticity_token\"")?;
    let rest = &html[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

impl Browser {
    pub fn new(app: &TestApp, host: &str) -> Self {
        Browser { client: app.browser_client(), host: host.to_string() }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    async fn read(response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_else(|e| panic!("reading the body: {e}"));
        Page { status, headers, body }
    }

    /// GET `path` (redirects are not followed: a test sees each step).
    pub async fn get(&self, path: &str) -> Page {
        let url = self.url(path);
        Self::read(self.client.get(&url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"))).await
    }

    /// POST a urlencoded form exactly as given (the test adds any token).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let url = self.url(path);
        Self::read(self.client.post(&url).form(fields).send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"))).await
    }

    /// POST a multipart form (the compose form, uploads) exactly as given.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Page {
        let url = self.url(path);
        Self::read(self.client.post(&url).multipart(form).send().await.unwrap_or_else(|e| panic!("POST {url}: {e}")))
            .await
    }

    /// Opens `form_page`, takes its CSRF token and posts `fields` with it to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(form_page).await;
        assert_eq!(page.status, StatusCode::OK, "GET {form_page}: {}", page.body);
        let token = page.csrf_token();
        let mut all: Vec<(&str, &str)> = vec![("authenticity_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Signs in as `username` with the seeded password; panics unless it worked.
    pub async fn sign_in(&self, username: &str) {
        let page = self.submit("/auth/sign_in", "/auth/sign_in", &[("login", username), ("password", PASSWORD)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "sign-in as {username} failed: {}", page.body);
    }
}
