//! A tiny raw-HTTP driver for the mock: JSON in, JSON out, no client crate.

use serde_json::{Value, json};
use wecom_mock::MockServer;
use wecom_mock::fixtures::{CorpFixture, DEFAULT_CORPID, DEFAULT_SECRET, Fixtures};
use wecom_types::Api;

/// A started mock plus an HTTP client and a token of the default corp's app.
pub(crate) struct Wecom {
    pub(crate) mock: MockServer,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
}

/// A fixed instant after the list cutoff, so tests do not depend on the wall clock.
pub(crate) const T0: i64 = 1_750_000_000;

impl Wecom {
    /// The default corp, its clock frozen at [`T0`].
    pub(crate) async fn start() -> Wecom {
        Wecom::with_fixtures(Fixtures::default()).await
    }

    /// These corps (the first one's first app gets the token), clocks frozen at [`T0`].
    pub(crate) async fn with_fixtures(fixtures: Fixtures) -> Wecom {
        let (corpid, secret) = fixtures
            .corps
            .first()
            .map(|c| (c.corpid.clone(), c.apps[0].secret.clone()))
            .unwrap_or((DEFAULT_CORPID.to_owned(), DEFAULT_SECRET.to_owned()));
        let mock = MockServer::builder().fixtures(fixtures).seed(7).start().await;
        mock.control().set_clock(T0).expect("clock");
        let http = reqwest::Client::new();
        let mut wecom = Wecom { mock, http, token: String::new() };
        wecom.token = wecom.token_for(&corpid, &secret).await;
        wecom
    }

    /// The default corp with some fixture changes, clocks frozen at [`T0`].
    pub(crate) async fn with_default_corp(change: impl FnOnce(&mut CorpFixture)) -> Wecom {
        let mut corp = CorpFixture::default_corp();
        change(&mut corp);
        Wecom::with_fixtures(Fixtures { corps: vec![corp] }).await
    }

    pub(crate) async fn token_for(&self, corpid: &str, secret: &str) -> String {
        let answer = self.gettoken(&[("corpid", corpid), ("corpsecret", secret)]).await;
        assert_eq!(answer["errcode"], 0, "gettoken failed: {answer}");
        answer["access_token"].as_str().expect("a token").to_owned()
    }

    pub(crate) async fn gettoken(&self, query: &[(&str, &str)]) -> Value {
        let url = format!("{}{}", self.mock.uri(), Api::GetToken.path());
        let response = self.http.get(url).query(query).send().await.expect("gettoken reaches the mock");
        assert_eq!(response.status(), 200);
        response.json().await.expect("gettoken answers JSON")
    }

    /// Calls `api` with `token` (none when `None`); POST bodies are `body`, GET APIs take
    /// `body`'s fields as the query string.
    pub(crate) async fn call_with(&self, api: Api, token: Option<&str>, body: &Value) -> Value {
        let mut url = format!("{}{}", self.mock.uri(), api.path());
        if let Some(token) = token {
            url.push_str(&format!("?access_token={token}"));
        }
        let request = match api.method() {
            wecom_types::Method::Post => self.http.post(url).body(body.to_string()),
            wecom_types::Method::Get => {
                let pairs: Vec<(String, String)> = body
                    .as_object()
                    .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
                    .unwrap_or_default();
                self.http.get(url).query(&pairs)
            }
        };
        let response = request.send().await.expect("the call reaches the mock");
        assert_eq!(response.status(), 200, "WeCom paths answer HTTP 200");
        response.json().await.expect("the mock answers JSON")
    }

    pub(crate) async fn call(&self, api: Api, body: Value) -> Value {
        self.call_with(api, Some(&self.token), &body).await
    }

    /// Calls and asserts errcode 0.
    pub(crate) async fn ok(&self, api: Api, body: Value) -> Value {
        let answer = self.call(api, body.clone()).await;
        assert_eq!(answer["errcode"], 0, "{api:?} {body} failed: {answer}");
        answer
    }

    /// Creates a Contact Me config and returns its id.
    pub(crate) async fn add(&self, body: Value) -> String {
        let answer = self.ok(Api::AddContactWay, body).await;
        answer["config_id"].as_str().expect("a config id").to_owned()
    }

    /// Creates a Join Group config and returns its id.
    pub(crate) async fn add_join(&self, body: Value) -> String {
        let answer = self.ok(Api::AddJoinWay, body).await;
        answer["config_id"].as_str().expect("a config id").to_owned()
    }

    pub(crate) async fn get(&self, config_id: &str) -> Value {
        self.ok(Api::GetContactWay, json!({ "config_id": config_id })).await["contact_way"].clone()
    }

    pub(crate) fn dump(&self) -> Vec<u8> {
        self.mock.control().dump_bytes(self.mock.corpid()).expect("the default corp exists")
    }

    /// Every config id of a list walk.
    pub(crate) async fn list_all(&self, mut filter: Value) -> Vec<String> {
        let mut ids = Vec::new();
        loop {
            let page = self.ok(Api::ListContactWay, filter.clone()).await;
            for item in page["contact_way"].as_array().expect("a list") {
                ids.push(item["config_id"].as_str().expect("an id").to_owned());
            }
            let cursor = page["next_cursor"].as_str().expect("a cursor").to_owned();
            if cursor.is_empty() {
                return ids;
            }
            filter["cursor"] = json!(cursor);
        }
    }

    /// An admin request; returns status and JSON body (`null` when empty).
    pub(crate) async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.mock.uri());
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("admin request reaches the mock");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("admin answers JSON") };
        (status, value)
    }
}

/// `n` distinct characters' worth of a CJK string.
pub(crate) fn chars(n: usize) -> String {
    "字".repeat(n)
}
