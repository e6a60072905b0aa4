//! Metrics snapshot and the SSE stream.

use futures::StreamExt;
use ops_types::{MetricsSnapshot, Role};

use crate::helpers::spawn_app;

#[tokio::test]
async fn metrics_snapshot_and_stream() {
    let app = spawn_app(ops_db::Backend::Sqlite).await;
    let viewer = app.signed_in(Role::Viewer).await;
    let snap: MetricsSnapshot = app.get_json(&viewer, "/api/v1/system/metrics").await;
    assert!(snap.memory.total_bytes > 0 && snap.cpu.cores > 0);
    assert!(snap.gpu.is_some() || snap.gpu_unavailable_reason.is_some());

    let res = app.get(&viewer, "/api/v1/stream/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = res.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while text.matches("event: metrics").count() < 3 {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("3 events within 5 s")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let ats: Vec<i64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<MetricsSnapshot>(d).unwrap().at)
        .collect();
    assert!(
        ats.windows(2).all(|w| w[1] > w[0]),
        "fresh samples: {ats:?}"
    );
}
