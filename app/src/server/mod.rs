//! `#[server]` functions: each extracts the caller, calls the domain service, returns a DTO.
//! They are public HTTP endpoints under `/api/ui/`; the services check permissions.
//! `SERVER_FNS` lists them with the permission they need, for the route-walk test.

pub mod account;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod mail;
pub mod mfa;
pub mod org;
pub mod sso;
pub mod system;

#[cfg(feature = "ssr")]
mod ssr;
#[cfg(feature = "ssr")]
pub use ssr::UiState;

/// (path, permission) for each server function; `None` = public, `Some("")` = any signed-in caller.
pub const SERVER_FNS: &[(&str, Option<&str>)] = &[
    ("/api/ui/me", None),
    ("/api/ui/login", None),
    ("/api/ui/login_mfa", None),
    ("/api/ui/request_reset_link", None),
    ("/api/ui/set_new_password", None),
    ("/api/ui/registration_mode", None),
    ("/api/ui/sign_up", None),
    ("/api/ui/confirm_email", None),
    ("/api/ui/save_registration_mode", Some("settings_manage")),
    ("/api/ui/get_smtp", Some("settings_manage")),
    ("/api/ui/save_smtp", Some("settings_manage")),
    ("/api/ui/send_test_mail", Some("settings_manage")),
    ("/api/ui/my_orgs", Some("account_read")),
    ("/api/ui/create_org", Some("account_read")),
    ("/api/ui/switch_org", Some("account_read")),
    ("/api/ui/joinable_orgs", Some("account_read")),
    ("/api/ui/join_org", Some("account_read")),
    ("/api/ui/get_org", Some("account_read")),
    ("/api/ui/get_org_stats", Some("account_read")),
    ("/api/ui/save_org_settings", Some("account_read")),
    ("/api/ui/remove_org_logo", Some("account_read")),
    ("/api/ui/delete_org", Some("account_read")),
    ("/api/ui/org_members", Some("account_read")),
    ("/api/ui/set_member_role", Some("account_read")),
    ("/api/ui/remove_member", Some("account_read")),
    ("/api/ui/org_invites", Some("account_read")),
    ("/api/ui/invite_to_org", Some("account_read")),
    ("/api/ui/resend_org_invite", Some("account_read")),
    ("/api/ui/revoke_org_invite", Some("account_read")),
    ("/api/ui/preview_invite", None),
    ("/api/ui/accept_invite", Some("account_read")),
    ("/api/ui/sign_up_from_invite", None),
    ("/api/ui/all_orgs", Some("users_read")),
    ("/api/ui/set_org_suspended", Some("users_manage")),
    ("/api/ui/sso_buttons", None),
    ("/api/ui/list_sso_providers", Some("settings_manage")),
    ("/api/ui/save_sso_provider", Some("settings_manage")),
    ("/api/ui/delete_sso_provider", Some("settings_manage")),
    ("/api/ui/check_sso_provider", Some("settings_manage")),
    ("/api/ui/my_identities", Some("account_read")),
    ("/api/ui/unlink_identity", Some("account_read")),
    ("/api/ui/setup_state", None),
    ("/api/ui/create_admin", None),
    ("/api/ui/session_info", Some("account_read")),
    ("/api/ui/list_api_keys", Some("account_read")),
    ("/api/ui/create_api_key", Some("account_write")),
    ("/api/ui/revoke_api_key", Some("account_write")),
    ("/api/ui/rotate_api_key", Some("account_write")),
    ("/api/ui/list_sessions", Some("account_read")),
    ("/api/ui/get_profile", Some("account_read")),
    ("/api/ui/save_profile", Some("account_read")),
    ("/api/ui/remove_avatar", Some("account_read")),
    ("/api/ui/change_password", Some("account_read")),
    ("/api/ui/get_notifications", Some("account_read")),
    ("/api/ui/save_notifications", Some("account_read")),
    ("/api/ui/get_inbox", Some("account_read")),
    ("/api/ui/mark_read", Some("account_read")),
    ("/api/ui/end_session", Some("account_read")),
    ("/api/ui/end_other_sessions", Some("account_read")),
    ("/api/ui/metrics_snapshot", Some("system_read")),
    ("/api/ui/get_mfa_status", Some("account_read")),
    ("/api/ui/start_totp", Some("account_read")),
    ("/api/ui/enable_totp", Some("account_read")),
    ("/api/ui/disable_totp", Some("account_read")),
    ("/api/ui/new_recovery_codes", Some("account_read")),
    ("/api/ui/reset_user_mfa", Some("users_manage")),
    ("/api/ui/get_mfa_policy", Some("users_read")),
    ("/api/ui/save_mfa_policy", Some("users_manage")),
    ("/api/ui/list_users", Some("users_read")),
    ("/api/ui/start_impersonation", Some("users_manage")),
    ("/api/ui/stop_impersonation", Some("")),
    ("/api/ui/users_summary", Some("users_read")),
    ("/api/ui/list_tiers", Some("users_read")),
    ("/api/ui/get_user_detail", Some("users_read")),
    ("/api/ui/create_user", Some("users_manage")),
    ("/api/ui/update_user", Some("users_manage")),
    ("/api/ui/set_user_suspended", Some("users_manage")),
    ("/api/ui/delete_user", Some("users_manage")),
    ("/api/ui/apply_bulk", Some("users_manage")),
    ("/api/ui/plan_import", Some("users_manage")),
    ("/api/ui/run_import", Some("users_manage")),
    ("/api/ui/import_status", Some("users_manage")),
    ("/api/ui/user_sessions", Some("users_read")),
    ("/api/ui/user_activity", Some("users_read")),
    ("/api/ui/user_api_keys", Some("users_read")),
    ("/api/ui/revoke_user_api_key", Some("users_manage")),
    ("/api/ui/resend_invite", Some("users_manage")),
    ("/api/ui/end_user_sessions", Some("users_manage")),
    ("/api/ui/audit_events", Some("audit_read")),
    ("/api/ui/audit_figures", Some("audit_read")),
    ("/api/ui/audit_actions", Some("audit_read")),
    ("/api/ui/audit_check", Some("audit_read")),
];
