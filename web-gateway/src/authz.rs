//! Authorization: one function decides every route, WebSocket and console, driven by the rule
//! each route has in the route table (`routes::table`). A route cannot exist without a rule: the
//! router is built from that table.

use axum::http::Method;
use nova_api::web::LabAccess;
use nova_gateway_store::{Role, ShareLevel, User};

use crate::error::ApiError;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, signed in or not (health, sign-in).
    Public,
    /// Any signed-in user.
    SignedIn,
    /// A user whose role is at least editor (creates labs and folders).
    Editor,
    /// An administrator.
    Admin,
    /// Read access to the lab named in the path.
    LabView,
    /// Edit access to the lab named in the path.
    LabEdit,
    /// Owner of the lab named in the path (or an admin).
    LabOwner,
    /// A caller on this host (loopback, not through a reverse proxy), or an administrator
    /// (`/metrics`: scrapers on the host need no account).
    LocalOrAdmin,
}

/// Where a request comes from, as far as authorization cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// This host: a loopback peer, without reverse-proxy forwarding headers.
    Local,
    /// Anywhere else (including through a reverse proxy on this host).
    Remote,
}

impl Rule {
    /// Whether the rule needs the caller's access to the lab in the path.
    pub fn is_lab_scoped(self) -> bool {
        matches!(self, Rule::LabView | Rule::LabEdit | Rule::LabOwner)
    }
}

/// One route: method, path (axum syntax), rule, and the audit action name of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template (`/api/labs/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub rule: Rule,
    /// Audit action (`lab.create`); reads are not audited.
    pub action: &'static str,
}

/// The highest lab access a global role allows: viewers never change anything, whatever was
/// shared with them.
pub fn role_cap(role: Role) -> LabAccess {
    match role {
        Role::Admin => LabAccess::Admin,
        Role::Editor => LabAccess::Owner,
        Role::Viewer => LabAccess::Viewer,
    }
}

/// A share level as a lab access level.
pub fn share_access(level: ShareLevel) -> LabAccess {
    match level {
        ShareLevel::Viewer => LabAccess::Viewer,
        ShareLevel::Editor => LabAccess::Editor,
    }
}

/// The decision. `user` is `None` for an anonymous caller; `lab` is the caller's access to the
/// lab in the path (`None`: no access at all, or not a lab route). A lab the caller cannot see
/// is reported as not found, so its existence does not leak.
pub fn authorize(
    user: Option<&User>,
    origin: Origin,
    rule: Rule,
    lab_id: Option<&str>,
    lab: Option<LabAccess>,
) -> Result<(), ApiError> {
    if rule == Rule::Public || (rule == Rule::LocalOrAdmin && origin == Origin::Local) {
        return Ok(());
    }
    let Some(user) = user else {
        return Err(ApiError::unauthorized(
            "sign in first (POST /api/session) or send an API token as Authorization: Bearer",
        ));
    };
    let need = match rule {
        Rule::Public | Rule::SignedIn => return Ok(()),
        Rule::Editor if user.role.at_least(Role::Editor) => return Ok(()),
        Rule::Editor => {
            return Err(ApiError::forbidden(format!(
                "your role is {}; creating labs and folders needs editor or admin",
                user.role
            )));
        }
        Rule::Admin | Rule::LocalOrAdmin if user.role == Role::Admin => return Ok(()),
        Rule::Admin => return Err(ApiError::forbidden("only administrators may do this")),
        Rule::LocalOrAdmin => {
            return Err(ApiError::forbidden(
                "metrics are for administrators, or for scrapers on the gateway's own host",
            ));
        }
        Rule::LabView => LabAccess::Viewer,
        Rule::LabEdit => LabAccess::Editor,
        Rule::LabOwner => LabAccess::Owner,
    };
    let id = lab_id.unwrap_or("");
    match lab {
        None => Err(ApiError::not_found(format!("no lab {id:?}"))),
        Some(have) if have >= need => Ok(()),
        Some(have) => Err(ApiError::forbidden(format!(
            "you are {} of lab {id:?}; this needs {}",
            access_name(have),
            access_name(need)
        ))),
    }
}

fn access_name(a: LabAccess) -> &'static str {
    match a {
        LabAccess::Viewer => "a viewer",
        LabAccess::Editor => "an editor",
        LabAccess::Owner => "the owner",
        LabAccess::Admin => "an administrator",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> User {
        User {
            id: nova_gateway_store::UserId(1),
            username: "u".into(),
            display_name: String::new(),
            role,
            disabled: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn anonymous_only_reaches_public_routes() {
        assert!(authorize(None, Origin::Remote, Rule::Public, None, None).is_ok());
        for r in [Rule::SignedIn, Rule::Admin, Rule::LabView] {
            assert_eq!(
                authorize(None, Origin::Remote, r, Some("l"), None)
                    .unwrap_err()
                    .status,
                401
            );
        }
    }

    #[test]
    fn lab_rules_follow_access_and_hide_unknown_labs() {
        let ed = user(Role::Editor);
        assert_eq!(
            authorize(Some(&ed), Origin::Remote, Rule::LabView, Some("l"), None)
                .unwrap_err()
                .status,
            404
        );
        assert!(
            authorize(
                Some(&ed),
                Origin::Remote,
                Rule::LabView,
                Some("l"),
                Some(LabAccess::Viewer)
            )
            .is_ok()
        );
        assert_eq!(
            authorize(
                Some(&ed),
                Origin::Remote,
                Rule::LabEdit,
                Some("l"),
                Some(LabAccess::Viewer)
            )
            .unwrap_err()
            .status,
            403
        );
        assert!(
            authorize(
                Some(&ed),
                Origin::Remote,
                Rule::LabOwner,
                Some("l"),
                Some(LabAccess::Admin)
            )
            .is_ok()
        );
        assert_eq!(
            authorize(
                Some(&user(Role::Viewer)),
                Origin::Remote,
                Rule::Editor,
                None,
                None
            )
            .unwrap_err()
            .status,
            403
        );
    }

    #[test]
    fn viewers_are_capped_whatever_was_shared() {
        assert_eq!(
            role_cap(Role::Viewer).min(share_access(ShareLevel::Editor)),
            LabAccess::Viewer
        );
        assert_eq!(
            role_cap(Role::Editor).min(share_access(ShareLevel::Editor)),
            LabAccess::Editor
        );
    }
}
