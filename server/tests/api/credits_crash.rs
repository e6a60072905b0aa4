//! A `kill -9` of the real binary in the middle of a burst of spends: after a restart the
//! ledger check finds every balance equal to its entries, and the balance equals what was
//! granted less the spends that committed.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, backends};

const BIN: &str = env!("CARGO_BIN_EXE_ops-center");
const USD: i64 = ops_types::MICROS;

pub fn ops(url: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("OPS_DATABASE_URL", url)
        .env("OPS_DATA_DIR", dir)
        .env("OPS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

pub async fn serve(url: &str, dir: &std::path::Path, port: u16) -> Child {
    serve_with(url, dir, port, |_| {}).await
}

/// [`serve`], with `adjust` setting more of the child's environment.
pub async fn serve_with(
    url: &str,
    dir: &std::path::Path,
    port: u16,
    adjust: impl Fn(&mut Command),
) -> Child {
    let mut cmd = ops(url, dir);
    adjust(&mut cmd);
    let mut child = cmd
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .spawn()
        .unwrap();
    let health = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..200 {
        if reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

/// A cookie client signed in at `base`, and the sign-in's answer.
pub async fn sign_in(base: &str, email: &str) -> (reqwest::Client, Value) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = json!({"email": email, "password": PASSWORD});
    let me: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (client, me)
}

#[tokio::test]
async fn a_kill_during_a_burst_of_spends_leaves_the_ledger_consistent() {
    for backend in backends() {
        let url = ops_db::testing::fresh_url(backend).await.unwrap();
        let dir = std::env::temp_dir().join(format!("ops-crash-test-{}", ops_db::new_id()));
        let email = "crash@example.com";
        let made = ops(&url, &dir)
            .args(["admin", "create", "--email", email, "--password", PASSWORD])
            .status()
            .unwrap();
        assert!(made.success());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let mut server = serve(&url, &dir, port).await;
        let (client, me) = sign_in(&base, email).await;
        let uid = me["user"]["id"]
            .as_str()
            .or(me["id"].as_str())
            .unwrap()
            .to_string();
        let grant =
            json!({"user_id": uid, "amount": 1000 * USD, "bucket": "paid", "reason": "float"});
        let res = client
            .post(format!("{base}/api/v1/credits/allocate"))
            .json(&grant)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);

        // 300 spends in flight; the server dies once 30 have been answered.
        let spend = json!({"user_id": uid, "amount": USD, "reason": "burst"});
        let answered = Arc::new(AtomicI64::new(0));
        let burst: Vec<_> = (0..300)
            .map(|_| {
                let (client, url) = (client.clone(), format!("{base}/api/v1/credits/deduct"));
                let (spend, answered) = (spend.clone(), answered.clone());
                tokio::spawn(async move {
                    let status = client
                        .post(url)
                        .json(&spend)
                        .send()
                        .await
                        .map(|r| r.status().as_u16());
                    if matches!(status, Ok(201)) {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    status
                })
            })
            .collect();
        for _ in 0..500 {
            if answered.load(Ordering::SeqCst) >= 30 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        let acknowledged = futures::future::join_all(burst)
            .await
            .into_iter()
            .filter(|r| matches!(r, Ok(Ok(201))))
            .count() as i64;
        assert!(
            acknowledged >= 30,
            "the burst was under way: {acknowledged}"
        );

        let checked = ops(&url, &dir).args(["billing", "check"]).status().unwrap();
        assert!(checked.success(), "the ledger is consistent after the kill");
        let mut server = serve(&url, &dir, port).await;
        let (client, _) = sign_in(&base, email).await;
        let b: Value = client
            .get(format!("{base}/api/v1/credits/balance"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut spent = 0;
        let mut before = String::new();
        loop {
            let page: Value = client
                .get(format!(
                    "{base}/api/v1/credits/transactions?limit=200{before}"
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            spent += page["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "deduct")
                .count() as i64;
            match page["next_before"].as_i64() {
                Some(n) => before = format!("&before={n}"),
                None => break,
            }
        }
        eprintln!("crash test on {backend:?}: {acknowledged} acknowledged, {spent} committed");
        assert!(
            spent >= acknowledged,
            "every acknowledged spend is kept ({spent} ≥ {acknowledged})"
        );
        assert!(
            spent < 300,
            "the kill came mid-burst ({spent} of 300 committed)"
        );
        assert_eq!(
            b["paid"].as_i64(),
            Some((1000 - spent) * USD),
            "balance = granted − committed spends"
        );
        server.kill().unwrap();
        server.wait().unwrap();
    }
}
