//! `spawn_app()` and clients.

use ops_auth::users::{self, UserForCreate};
use ops_config::Settings;
use ops_db::{Backend, Db};
use ops_types::Role;
use serde_json::{Value, json};

pub const PASSWORD: &str = "a long test password";

pub struct TestApp {
    pub base: String,
    pub setup_token: Option<String>,
    pub db: Db,
    pub db_url: String,
    /// The master key the app seals secrets with (for calling its jobs directly).
    pub key: ops_secrets::MasterKey,
}

/// The backends every test runs on.
pub fn backends() -> Vec<Backend> {
    ops_db::testing::backends()
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with settings adjusted first.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    // OPS_TEST_LOG=debug shows the server's log (masked 5xx causes included) under the test.
    if let Ok(filter) = std::env::var("OPS_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    let url = ops_db::testing::fresh_url(backend).await.unwrap();
    let data_dir = std::env::temp_dir().join(format!("ops-api-test-{}", ops_db::new_id()));
    let mut settings = Settings {
        bind: "127.0.0.1:0".into(),
        data_dir,
        database_url: url.clone(),
        metrics_interval_ms: 200,
        login_max_failures_per_account: 3,
        ..Settings::default()
    };
    adjust(&mut settings);
    let (data_dir, master_key) = (settings.data_dir.clone(), settings.master_key.clone());
    let app = ops_center::build(settings).await.unwrap();
    let (key, _) = ops_secrets::MasterKey::load_or_create(&data_dir, Some(&master_key)).unwrap();
    let base = format!("http://{}", app.addr()); // the bound address, whatever public_url says
    let setup_token = app.setup_token().map(str::to_string);
    tokio::spawn(app.run_until_stopped());
    let db = Db::connect(&url, 2).await.unwrap();
    TestApp {
        base,
        setup_token,
        db,
        db_url: url,
        key,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client that keeps cookies, like a browser.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Creates a user with `role` and returns its email.
    pub async fn user(&self, role: Role) -> String {
        let email = format!("{}-{}@example.com", role.as_str(), &ops_db::new_id()[28..]);
        users::create_from_cli(
            &self.db,
            UserForCreate {
                email: email.clone(),
                display_name: format!("{role} user"),
                password: Some(PASSWORD.into()),
                role,
            },
        )
        .await
        .unwrap();
        email
    }

    /// The id of the user with `email`.
    pub async fn user_id(&self, email: &str) -> String {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    /// A cookie client signed in as a new user with `role`.
    pub async fn signed_in(&self, role: Role) -> reqwest::Client {
        let email = self.user(role).await;
        self.sign_in(&email, PASSWORD).await
    }

    /// A new cookie client signed in as an existing user.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Client {
        let client = self.browser();
        let res = self
            .post_json(
                &client,
                "/api/v1/auth/login",
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status(), 200, "login as {email}");
        client
    }
}

impl TestApp {
    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        client: &reqwest::Client,
        path: &str,
    ) -> T {
        self.get(client, path).await.json().await.unwrap()
    }

    pub async fn get_text(&self, client: &reqwest::Client, path: &str) -> String {
        self.get(client, path).await.text().await.unwrap()
    }

    /// A request authenticated by an API key alone (no cookies).
    pub async fn get_with_key(&self, path: &str, key: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.delete(self.url(path)).send().await.unwrap()
    }

    /// A JSON POST carrying an `Origin` header, as a browser sends it.
    pub async fn post_json_from(
        &self,
        client: &reqwest::Client,
        path: &str,
        origin: &str,
        body: &Value,
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("origin", origin)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_json(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        client.put(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn post_json(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        client.post(self.url(path)).json(body).send().await.unwrap()
    }
}

/// The `error` object of an API error response.
pub async fn error_of(res: reqwest::Response) -> Value {
    let body: Value = res.json().await.unwrap();
    body["error"].clone()
}

/// A response's status and JSON body (null when it has none).
pub async fn status_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Bought credits into a user's account, by an administrator.
pub async fn fund(app: &TestApp, admin: &reqwest::Client, uid: &str, amount: i64) {
    let body =
        serde_json::json!({"user_id": uid, "amount": amount, "bucket": "paid", "reason": "top up"});
    let res = app
        .post_json(admin, "/api/v1/credits/allocate", &body)
        .await;
    assert_eq!(res.status(), 201);
}

/// Makes the user's subscription (on the free plan) and spends its trial, so that a paid plan
/// is charged at once.
pub async fn without_trial(app: &TestApp, client: &reqwest::Client, uid: &str) {
    app.get_json::<Value>(client, "/api/v1/subscriptions/current")
        .await;
    sqlx::query("UPDATE subscriptions SET trial_used = 1 WHERE owner_id = $1")
        .bind(uid)
        .execute(app.db.pool())
        .await
        .unwrap();
}

/// A developer with `funds` in bought credits, then on `plan` (paid at once): e-mail, client
/// and id.
pub async fn subscribed(
    app: &TestApp,
    admin: &reqwest::Client,
    plan: &str,
    funds: i64,
) -> (String, reqwest::Client, String) {
    let email = app.user(Role::Developer).await;
    let me = app.sign_in(&email, PASSWORD).await;
    let uid = app.user_id(&email).await;
    fund(app, admin, &uid, funds).await;
    without_trial(app, &me, &uid).await;
    let body = serde_json::json!({"plan": plan});
    let res = app
        .post_json(&me, "/api/v1/subscriptions/change", &body)
        .await;
    assert_eq!(res.status(), 201);
    (email, me, uid)
}

/// Bought credits the client's account holds.
pub async fn paid_balance(app: &TestApp, client: &reqwest::Client) -> i64 {
    let b: Value = app.get_json(client, "/api/v1/credits/balance").await;
    b["paid"].as_i64().unwrap()
}

/// Moves the user's current period so that `elapsed` of it has passed and `left` remains.
pub async fn travel(app: &TestApp, uid: &str, elapsed: i64, left: i64) {
    let now = ops_db::now_ms();
    sqlx::query(
        "UPDATE subscriptions SET period_start = $2, anchor_at = $2, period_end = $3 \
         WHERE owner_kind = 'user' AND owner_id = $1",
    )
    .bind(uid)
    .bind(now - elapsed)
    .bind(now + left)
    .execute(app.db.pool())
    .await
    .unwrap();
}

/// The kinds of the client's subscription events, newest first.
pub async fn event_kinds(app: &TestApp, client: &reqwest::Client) -> Vec<String> {
    let h: Value = app.get_json(client, "/api/v1/subscriptions/history").await;
    h.as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}
