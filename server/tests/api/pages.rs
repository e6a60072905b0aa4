//! Server-side rendering of every page, many times on a multi-threaded runtime: a page that
//! touches thread-bound state during SSR panics only when a request hops threads.

use ops_types::Role;

use crate::helpers::spawn_app;

/// Each page with text that appears only once its data has loaded (streamed after the shell).
const PAGES: [(&str, &str); 7] = [
    ("/", "Disks"),
    ("/account/profile", "What your role allows"),
    ("/account/security", "this browser"),
    ("/account/notifications", "Usage and quotas"),
    ("/account/api-keys", "No API keys yet"),
    ("/admin/users", "data-testid=\"users-total\""),
    ("/admin/audit", "auth.login"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_page_renders_completely_again_and_again() {
    let app = spawn_app(ops_db::Backend::Sqlite).await;
    let admin = app.signed_in(Role::Admin).await;
    for round in 0..15 {
        for (page, marker) in PAGES {
            // A page that never finishes (a resource that never resolves) fails here, named.
            let html = tokio::time::timeout(std::time::Duration::from_secs(20), async {
                let res = app.get(&admin, page).await;
                assert_eq!(res.status(), 200, "{page} round {round}");
                // A panic mid-stream cuts the chunked body: reading fails or the data is missing.
                res.text().await
            })
            .await
            .unwrap_or_else(|_| panic!("{page} round {round}: no complete answer within 20 s"))
            .unwrap_or_else(|e| panic!("{page} round {round}: body cut: {e}"));
            assert!(
                html.contains("</html>") && html.contains(marker),
                "{page} round {round}: incomplete page"
            );
        }
    }
    // A viewer opening an admin page by address gets a clear refusal inside the shell.
    let viewer = app.signed_in(Role::Viewer).await;
    let html = app.get_text(&viewer, "/admin/audit").await;
    assert!(html.contains("does not allow"), "refusal shown");
}
