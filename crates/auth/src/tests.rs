//! Repository contract tests: each runs on SQLite and, when configured, on PostgreSQL.

use std::time::Duration;

use ops_db::testing::{backends, fresh};
use ops_db::{Db, list_audit};
use ops_types::{ApiKeyForCreate, Role};

use crate::users::{self, UserForCreate};
use crate::{AuthCtx, AuthError, AuthMethod, LoginLimiter, LoginLimits, api_keys, login, setup};

fn limiter() -> LoginLimiter {
    LoginLimiter::new(LoginLimits {
        max_per_account: 3,
        max_per_ip: 10,
        window: Duration::from_secs(60),
    })
}

async fn user(db: &Db, email: &str, role: Role) -> AuthCtx {
    let u = users::create_from_cli(
        db,
        UserForCreate {
            email: email.into(),
            display_name: "Test".into(),
            password: Some("a long password".into()),
            role,
        },
    )
    .await
    .unwrap();
    AuthCtx {
        user_id: u.id,
        email: u.email,
        display_name: u.display_name,
        role: u.role,
        method: AuthMethod::Session {
            auth_at: 0,
            session_id: String::new(),
        },
        ip: Some("127.0.0.9".into()),
        impersonation: None,
        mfa_missing: false,
    }
}

#[tokio::test]
async fn users_and_login_on_every_backend() {
    for backend in backends() {
        // -- Setup
        let (db, _) = fresh(backend).await.unwrap();
        let ctx = user(&db, "Alice@Example.com", Role::Developer).await;
        let lim = limiter();

        // -- Exec / Check: email stored lower-case, duplicate refused without a partial row
        assert_eq!(ctx.email, "alice@example.com");
        let dup = users::create_from_cli(
            &db,
            UserForCreate {
                email: "alice@example.com".into(),
                display_name: String::new(),
                password: Some("a long password".into()),
                role: Role::Viewer,
            },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(dup, AuthError::Invalid { field: "email", .. }),
            "{backend:?}: {dup:?}"
        );

        let outcome = login::login(
            &db,
            &lim,
            "ALICE@example.com",
            "a long password",
            Some("1.2.3.4"),
        )
        .await
        .unwrap();
        let login::LoginOutcome::SignedIn(ok) = outcome else {
            panic!("no second factor configured: {outcome:?}");
        };
        assert!(ok.last_login_at.is_some());
        let bad = login::login(
            &db,
            &lim,
            "alice@example.com",
            "wrong password",
            Some("1.2.3.4"),
        )
        .await
        .unwrap_err();
        assert!(matches!(bad, AuthError::InvalidCredentials));
        let unknown = login::login(&db, &lim, "nobody@example.com", "whatever!!", None)
            .await
            .unwrap_err();
        assert!(matches!(unknown, AuthError::InvalidCredentials));
        for _ in 0..2 {
            let _ = login::login(&db, &lim, "alice@example.com", "wrong password", None).await;
        }
        let limited = login::login(&db, &lim, "alice@example.com", "a long password", None)
            .await
            .unwrap_err();
        assert!(
            matches!(limited, AuthError::RateLimited { .. }),
            "{limited:?}"
        );

        let audit = list_audit(&db, &Default::default(), 50).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert!(actions.contains(&"user.create"));
        assert!(actions.contains(&"auth.login"));
        assert!(actions.contains(&"auth.login_failed"));
        let secrets = ["a long password", "wrong password", "whatever!!"];
        assert!(audit.iter().all(|a| {
            secrets
                .iter()
                .all(|s| !a.detail.clone().unwrap_or_default().contains(s))
        }));

        // developers may not list users
        assert!(matches!(
            crate::admin::query::list(&db, &ctx, &Default::default()).await,
            Err(AuthError::Forbidden("users_read"))
        ));
        db.close().await;
    }
}

#[tokio::test]
async fn api_keys_on_every_backend() {
    for backend in backends() {
        let (db, _) = fresh(backend).await.unwrap();
        let dev = user(&db, "dev@example.com", Role::Developer).await;
        let other = user(&db, "other@example.com", Role::Developer).await;
        let viewer = user(&db, "viewer@example.com", Role::Viewer).await;

        let created = api_keys::create(
            &db,
            &dev,
            ApiKeyForCreate {
                name: " ci ".into(),
                expires_in_days: None,
                org_id: None,
                limits: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(created.key.name, "ci");
        assert!(created.secret.starts_with(&created.key.prefix));

        let ctx = api_keys::authenticate(&db, &created.secret, None)
            .await
            .unwrap();
        assert_eq!(ctx.user_id, dev.user_id);
        let listed = api_keys::list(&db, &dev).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some(), "use is recorded");
        assert!(
            api_keys::list(&db, &other).await.unwrap().is_empty(),
            "keys are per user"
        );

        let wrong = created
            .secret
            .replace(&created.secret[created.secret.len() - 4..], "0000");
        assert!(matches!(
            api_keys::authenticate(&db, &wrong, None).await,
            Err(AuthError::InvalidApiKey)
        ));
        let empty_name = api_keys::create(
            &db,
            &dev,
            ApiKeyForCreate {
                name: "  ".into(),
                expires_in_days: None,
                org_id: None,
                limits: None,
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(
            empty_name,
            AuthError::Invalid { field: "name", .. }
        ));
        assert!(matches!(
            api_keys::create(
                &db,
                &viewer,
                ApiKeyForCreate {
                    name: "x".into(),
                    expires_in_days: None,
                    org_id: None,
                    limits: None,
                }
            )
            .await,
            Err(AuthError::Forbidden(_))
        ));

        assert!(matches!(
            api_keys::revoke(&db, &other, &created.key.id).await,
            Err(AuthError::NotFound(_))
        ));
        api_keys::revoke(&db, &dev, &created.key.id).await.unwrap();
        assert!(matches!(
            api_keys::authenticate(&db, &created.secret, None).await,
            Err(AuthError::InvalidApiKey)
        ));
        assert!(api_keys::list(&db, &dev).await.unwrap().is_empty());
        assert!(matches!(
            api_keys::revoke(&db, &dev, &created.key.id).await,
            Err(AuthError::NotFound(_))
        ));
        db.close().await;
    }
}

#[tokio::test]
async fn setup_token_is_single_use_on_every_backend() {
    for backend in backends() {
        let (db, _) = fresh(backend).await.unwrap();
        assert!(setup::needs_admin(&db).await.unwrap());
        let token = setup::issue_token_if_needed(&db).await.unwrap().unwrap();
        assert!(setup::token_valid(&db, &token).await.unwrap());

        // a bad password consumes nothing
        let weak =
            setup::create_first_admin(&db, &token, "root@example.com", "Root", "short", None)
                .await
                .unwrap_err();
        assert!(matches!(
            weak,
            AuthError::Invalid {
                field: "password",
                ..
            }
        ));
        assert!(
            setup::token_valid(&db, &token).await.unwrap(),
            "rolled back"
        );

        let admin = setup::create_first_admin(
            &db,
            &token,
            "root@example.com",
            "Root",
            "a long password",
            None,
        )
        .await
        .unwrap();
        assert_eq!(admin.role, Role::Admin);
        let again =
            setup::create_first_admin(&db, &token, "x@example.com", "X", "a long password", None)
                .await;
        assert!(matches!(again, Err(AuthError::SetupTokenInvalid)));
        assert!(!setup::needs_admin(&db).await.unwrap());
        assert_eq!(setup::issue_token_if_needed(&db).await.unwrap(), None);
        db.close().await;
    }
}

#[tokio::test]
async fn sessions_end_at_the_absolute_limit_and_when_revoked() {
    use std::sync::Arc;
    use tower_sessions::Session;

    use crate::{DbSessionStore, sessions};

    for backend in backends() {
        let (db, _) = fresh(backend).await.unwrap();
        let ctx = user(&db, "s@example.com", Role::Viewer).await;
        let user = users::find_by_id(&db, &ctx.user_id).await.unwrap().unwrap();
        let store = Arc::new(DbSessionStore::new(db.clone()));
        let hour = 3_600_000;

        // -- a fresh sign-in resolves
        let session = Session::new(None, store.clone(), None);
        sessions::sign_in(&session, &user, Some("10.0.0.1"), Some("test-agent"))
            .await
            .unwrap();
        session.save().await.unwrap();
        let resolved = sessions::resolve(&db, &session, hour, None).await.unwrap();
        assert_eq!(resolved.user_id, user.id);

        // -- past the absolute lifetime it does not, and the session is gone
        session
            .insert(sessions::AUTH_AT, ops_db::now_ms() - 2 * hour)
            .await
            .unwrap();
        let expired = sessions::resolve(&db, &session, hour, None)
            .await
            .unwrap_err();
        assert!(
            matches!(expired, AuthError::SessionExpired),
            "{backend:?}: {expired:?}"
        );

        // -- a revoked (deleted) session does not come back when its holder saves it again
        let session = Session::new(None, store.clone(), None);
        sessions::sign_in(&session, &user, None, None)
            .await
            .unwrap();
        session.save().await.unwrap();
        let id = session.id().unwrap();
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(db.pool())
            .await
            .unwrap();
        session.insert("touched", true).await.unwrap();
        session.save().await.unwrap();
        let reloaded = Session::new(Some(id), store.clone(), None);
        assert!(matches!(
            sessions::resolve(&db, &reloaded, hour, None).await,
            Err(AuthError::Unauthenticated)
        ));
        db.close().await;
    }
}
