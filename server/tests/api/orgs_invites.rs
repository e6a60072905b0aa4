//! Organisation invitations through a real SMTP sink (existing accounts accept, new people
//! sign up from the link when registration allows, expired links refused), the role rules
//! (admins never touch owners, the last owner stays), leaving, keys scoped to the
//! organisation, switching, and the platform administrator's view.

use ops_types::Role;
use serde_json::{Value, json};

use crate::helpers::{backends, spawn_app};
use crate::mail::{configure, token_after};
use crate::orgs::{json_of, person};
use crate::smtp::Sink;

#[tokio::test]
async fn invitations_roles_and_the_last_owner() {
    for backend in backends() {
        let Some(sink) = Sink::start().await else {
            panic!("the SMTP sink (python3 -m aiosmtpd) is needed");
        };
        let app = spawn_app(backend).await;
        let admin = app.signed_in(Role::Admin).await;
        let owner = person(&app, "owen@example.com", Role::Developer).await;
        let alice = person(&app, "alice@example.com", Role::Developer).await;
        let org = json_of(
            app.post_json(&owner, "/api/v1/org", &json!({"name": "Team"}))
                .await,
            201,
        )
        .await;
        let id = org["id"].as_str().unwrap().to_string();
        let inv = format!("/api/v1/org/{id}/invitations");
        let res = app
            .post_json(
                &owner,
                &inv,
                &json!({"email": "alice@example.com", "role": "admin"}),
            )
            .await;
        assert_eq!(res.status(), 503, "no e-mail yet");
        configure(&app, &admin, &sink).await;

        // Alice has an account: she accepts signed in (not as someone else, and only once).
        json_of(
            app.post_json(
                &owner,
                &inv,
                &json!({"email": "Alice@Example.com", "role": "admin"}),
            )
            .await,
            201,
        )
        .await;
        let token = token_after(&sink.wait_for("alice@example.com").await, "/invite/");
        let preview: Value = app
            .get_json(&app.browser(), &format!("/api/v1/org/invitations/{token}"))
            .await;
        assert_eq!(
            (
                preview["org_name"].as_str(),
                preview["has_account"].as_bool()
            ),
            (Some("Team"), Some(true))
        );
        let accept = format!("/api/v1/org/invitations/{token}/accept");
        assert_eq!(
            app.post_json(&owner, &accept, &json!({})).await.status(),
            403
        );
        let o = json_of(app.post_json(&alice, &accept, &json!({})).await, 200).await;
        assert_eq!(
            (o["my_role"].as_str(), o["active"].as_bool()),
            (Some("admin"), Some(true))
        );
        assert_eq!(
            app.post_json(&alice, &accept, &json!({})).await.status(),
            422,
            "used"
        );
        let res = app
            .post_json(&owner, &inv, &json!({"email": "alice@example.com"}))
            .await;
        assert_eq!(res.status(), 409, "already a member");

        // An expired invitation is refused.
        json_of(
            app.post_json(&owner, &inv, &json!({"email": "late@example.com"}))
                .await,
            201,
        )
        .await;
        let late = token_after(&sink.wait_for("late@example.com").await, "/invite/");
        sqlx::query("UPDATE org_invites SET expires_at = 1 WHERE email = 'late@example.com'")
            .execute(app.db.pool())
            .await
            .unwrap();
        let res = app
            .get(&app.browser(), &format!("/api/v1/org/invitations/{late}"))
            .await;
        assert_eq!(res.status(), 422, "expired");

        // Bob has none: sign-up from the link only when registration is not closed.
        json_of(
            app.post_json(&alice, &inv, &json!({"email": "bob@example.com"}))
                .await,
            201,
        )
        .await;
        let res = app
            .post_json(
                &alice,
                &inv,
                &json!({"email": "boss@example.com", "role": "owner"}),
            )
            .await;
        assert_eq!(res.status(), 403, "admins do not invite owners");
        let first = token_after(&sink.wait_for("bob@example.com").await, "/invite/");
        let pending: Value = app.get_json(&owner, &inv).await;
        let bob_inv = pending
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["email"] == "bob@example.com")
            .unwrap()
            .clone();
        assert_eq!(bob_inv["has_account"], false);
        let resent = format!("{inv}/{}/resend", bob_inv["id"].as_str().unwrap());
        json_of(app.post_json(&owner, &resent, &json!({})).await, 200).await;
        let second = loop {
            let all: Vec<String> = sink
                .messages()
                .iter()
                .filter(|m| m.contains("bob@example.com"))
                .map(|m| token_after(m, "/invite/"))
                .collect();
            if all.len() == 2 {
                break all.into_iter().find(|t| *t != first).unwrap();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let bob = app.browser();
        let signup = |t: &str| format!("/api/v1/org/invitations/{t}/register");
        let body = json!({"display_name": "Bob", "password": "a plain long passphrase"});
        assert_eq!(
            app.post_json(&bob, &signup(&first), &body).await.status(),
            422,
            "the old link died"
        );
        assert_eq!(
            app.post_json(&bob, &signup(&second), &body).await.status(),
            403,
            "registration is closed"
        );
        app.put_json(
            &admin,
            "/api/v1/admin/settings/registration",
            &json!({"mode": "invite_only"}),
        )
        .await;
        let res = app
            .post_json(
                &app.browser(),
                "/api/v1/auth/register",
                &json!({"email": "x@example.com", "password": "a long password here"}),
            )
            .await;
        assert_eq!(res.status(), 403, "no sign-up without an invitation");
        let weak = json!({"display_name": "Bob", "password": "short"});
        assert_eq!(
            app.post_json(&bob, &signup(&second), &weak).await.status(),
            422
        );
        let me = json_of(app.post_json(&bob, &signup(&second), &body).await, 200).await;
        assert_eq!(
            (me["email"].as_str(), me["role"].as_str()),
            (Some("bob@example.com"), Some("viewer"))
        );
        let bob_id = me["id"].as_str().unwrap().to_string();
        let mine: Value = app.get_json(&bob, "/api/v1/org/my-orgs").await;
        assert_eq!(
            (mine[0]["my_role"].as_str(), mine[0]["active"].as_bool()),
            (Some("member"), Some(true))
        );

        // Roles: admins never touch owners or make them; the last owner stays.
        let owner_id = app.user_id("owen@example.com").await;
        let alice_id = app.user_id("alice@example.com").await;
        let role = |u: &str| format!("/api/v1/org/{id}/members/{u}/role");
        let member = |u: &str| format!("/api/v1/org/{id}/members/{u}");
        assert_eq!(
            app.put_json(&alice, &role(&owner_id), &json!({"role": "member"}))
                .await
                .status(),
            403
        );
        assert_eq!(
            app.put_json(&alice, &role(&bob_id), &json!({"role": "owner"}))
                .await
                .status(),
            403
        );
        let m = json_of(
            app.put_json(&alice, &role(&bob_id), &json!({"role": "billing_admin"}))
                .await,
            200,
        )
        .await;
        assert_eq!(m["role"], "billing_admin");
        assert_eq!(
            app.delete(&bob, &member(&alice_id)).await.status(),
            403,
            "billing admins remove nobody"
        );
        let res = app
            .put_json(&owner, &role(&owner_id), &json!({"role": "admin"}))
            .await;
        assert_eq!(res.status(), 409, "the last owner");
        assert_eq!(app.delete(&owner, &member(&owner_id)).await.status(), 409);
        json_of(
            app.put_json(&owner, &role(&alice_id), &json!({"role": "owner"}))
                .await,
            200,
        )
        .await;
        assert_eq!(
            app.delete(&owner, &member(&owner_id)).await.status(),
            204,
            "leaving, another owner remains"
        );
        assert_eq!(
            app.get(&owner, &format!("/api/v1/org/{id}")).await.status(),
            404
        );

        // Keys scoped to the organisation (Bob's platform role now allows keys); leaving revokes them.
        sqlx::query("UPDATE users SET role = 'developer' WHERE id = $1")
            .bind(&bob_id)
            .execute(app.db.pool())
            .await
            .unwrap();
        let key = json_of(
            app.post_json(
                &bob,
                "/api/v1/api-keys",
                &json!({"name": "team key", "org_id": id}),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(key["key"]["org_name"], "Team");
        let res = app
            .post_json(
                &owner,
                "/api/v1/api-keys",
                &json!({"name": "x", "org_id": id}),
            )
            .await;
        assert_eq!(res.status(), 422);
        let stats: Value = app
            .get_json(&alice, &format!("/api/v1/org/{id}/stats"))
            .await;
        assert_eq!(
            (stats["members"].as_i64(), stats["api_keys"].as_i64()),
            (Some(2), Some(1))
        );
        assert_eq!(app.delete(&bob, &member(&bob_id)).await.status(), 204);
        let secret = key["secret"].as_str().unwrap();
        assert_eq!(
            app.get_with_key("/api/v1/auth/me", secret).await.status(),
            401
        );
        let current: Value = app.get_json(&bob, "/api/v1/users/me/current-org").await;
        assert_eq!(current, Value::Null);

        // Switching; the platform administrator sees every organisation and may suspend one.
        let other = json_of(
            app.post_json(&owner, "/api/v1/org", &json!({"name": "Solo"}))
                .await,
            201,
        )
        .await;
        let sw = app
            .post_json(
                &alice,
                "/api/v1/users/me/switch-org",
                &json!({"org_id": other["id"]}),
            )
            .await;
        assert_eq!(sw.status(), 404, "not hers");
        let sw = json_of(
            app.post_json(
                &owner,
                "/api/v1/users/me/switch-org",
                &json!({"org_id": other["id"]}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(sw["active"], true);
        let all: Value = app
            .get_json(&admin, "/api/v1/org/organizations?q=tea")
            .await;
        assert_eq!(all.as_array().unwrap().len(), 1);
        let users: Value = app
            .get_json(&admin, &format!("/api/v1/admin/users?org={id}"))
            .await;
        assert_eq!(users["total"], 1);
        json_of(
            app.put_json(
                &admin,
                &format!("/api/v1/org/{id}/status"),
                &json!({"suspended": true}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(
            app.get(&alice, &format!("/api/v1/org/{id}")).await.status(),
            403
        );
        assert_eq!(
            app.get(&admin, &format!("/api/v1/org/{id}/members"))
                .await
                .status(),
            200
        );
    }
}
