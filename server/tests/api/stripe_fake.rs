//! The Stripe test server (`end2end/peers/stripe_fake.py`: PyPI localstripe plus Checkout and
//! the customer portal) on a free loopback port, stopped when dropped; and the steps a browser
//! and Stripe.js would take against it. Under CI a missing localstripe fails the test.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestApp;

pub const SECRET_KEY: &str = "sk_test_ops_center_0123";
pub const PUBLISHABLE_KEY: &str = "pk_test_ops_center_0123";
pub const WEBHOOK_SECRET: &str = "whsec_test_ops_center_0123";

pub struct StripeFake {
    pub base: String,
    child: Child,
    http: reqwest::Client,
}

impl Drop for StripeFake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl StripeFake {
    /// `None` (with a note) when localstripe is not installed outside CI.
    pub async fn start() -> Option<StripeFake> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../end2end/peers/stripe_fake.py"
        );
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        let fake = StripeFake {
            base: format!("http://127.0.0.1:{port}"),
            child,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(fake);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if std::env::var("CI").is_ok() {
            panic!(
                "the Stripe test server did not start; run `make setup-test` (pip install localstripe)"
            );
        }
        eprintln!("note: localstripe is not installed; Stripe test skipped");
        None
    }

    /// Points the app at this server (keys, API base) and this server's webhooks at the app.
    pub async fn connect(&self, app: &TestApp, admin: &reqwest::Client) {
        let body = json!({"publishable_key": PUBLISHABLE_KEY, "secret_key": SECRET_KEY,
            "webhook_secret": WEBHOOK_SECRET, "api_base": self.base});
        let res = app
            .put_json(admin, "/api/v1/admin/settings/stripe", &body)
            .await;
        assert_eq!(res.status(), 200);
        let res = self
            .http
            .post(format!("{}/_config/webhooks/ops", self.base))
            .form(&[
                ("url", app.url("/api/v1/webhooks/stripe")),
                ("secret", WEBHOOK_SECRET.to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }

    /// What Stripe.js's `confirmCardSetup` does with the card typed into its element.
    pub async fn confirm_setup(&self, setup: &Value, number: &str) -> u16 {
        let seti = setup["setup_intent"].as_str().unwrap();
        let res = self
            .http
            .post(format!("{}/v1/setup_intents/{seti}/confirm", self.base))
            .json(&json!({"key": setup["publishable_key"], "client_secret": setup["client_secret"],
                "payment_method_data": {"type": "card",
                    "card": {"number": number, "exp_month": "12", "exp_year": "2031", "cvc": "123"}}}))
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    }

    /// Pays on Checkout's hosted page with `number`: the success address Stripe sends the
    /// browser back to, or the page's status when the payment failed.
    pub async fn pay(&self, url: &str, number: &str) -> Result<String, u16> {
        let page = self.http.get(url).send().await.unwrap();
        assert_eq!(page.status(), 200, "the hosted page opens");
        let res = self
            .http
            .post(url)
            .form(&[
                ("cardNumber", number),
                ("cardExpiry", "12 / 31"),
                ("cardCvc", "123"),
                ("billingName", "Test Payer"),
            ])
            .send()
            .await
            .unwrap();
        match res.status().as_u16() {
            303 => Ok(res.headers()["location"].to_str().unwrap().to_string()),
            other => Err(other),
        }
    }

    /// A GET of Stripe's API (with the secret key).
    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .basic_auth(SECRET_KEY, Some(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}
