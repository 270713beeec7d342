//! Whose control surface a request opens ([`Scope`]) and what it may do there: one function,
//! [`Scope::may`], decides every case, and the 401 and 403 it answers are written here only.

use crate::api::{AdminError, AdminErrorKind};

/// Whose control surface a [`Control`](super::Control) is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The operator (or anyone, on a server without `--admin-token`): everything.
    Operator,
    /// A tenant, by its admin token: its own corp only.
    Tenant(String),
    /// No token on a server with `--admin-token`: nothing but, with `--tenant-signup open`,
    /// creating a tenant.
    Anonymous,
}

/// Something a scope may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act<'a> {
    /// Reach a route of the control surface at all (`signup`: the route creates a tenant).
    Route { signup: bool },
    /// Create a tenant (`open`: the server runs with `--tenant-signup open`).
    SignUp { open: bool },
    /// Read or change one corp.
    Corp(&'a str),
    /// Read or change every corp at once.
    EveryCorp,
}

impl Scope {
    /// Whether this scope may do `act`: `Ok`, or the 401 / 403 to answer.
    pub(crate) fn may(&self, act: Act<'_>) -> Result<(), AdminError> {
        match (self, act) {
            (Scope::Operator, _) | (_, Act::SignUp { open: true }) => Ok(()),
            (Scope::Anonymous, Act::Route { signup: true }) => Ok(()),
            (Scope::Anonymous, _) => Err(unauthorized()),
            (Scope::Tenant(_), Act::Route { .. }) => Ok(()),
            (Scope::Tenant(own), Act::Corp(corpid)) if own == corpid => Ok(()),
            (Scope::Tenant(own), Act::Corp(_) | Act::EveryCorp) => Err(only_own(own)),
            (Scope::Tenant(_), Act::SignUp { open: false }) => {
                Err(forbidden("creating tenants needs the operator token"))
            }
        }
    }
}

/// 403.
pub(crate) fn forbidden(message: impl Into<String>) -> AdminError {
    AdminError::new(AdminErrorKind::Forbidden, message)
}

/// 403 for a tenant reaching past its own corp.
fn only_own(own: &str) -> AdminError {
    forbidden(format!("this admin token opens corp `{own}` only"))
}

/// 401: no token, or one that opens nothing.
pub(crate) fn unauthorized() -> AdminError {
    AdminError::new(AdminErrorKind::Unauthorized, "a valid `Authorization: Bearer <admin token>` is required")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_scope_may_do() {
        let tenant = Scope::Tenant("ww1".into());
        let cases: &[(&Scope, Act<'_>, Option<AdminErrorKind>)] = &[
            (&Scope::Operator, Act::EveryCorp, None),
            (&Scope::Operator, Act::SignUp { open: false }, None),
            (&tenant, Act::Route { signup: false }, None),
            (&tenant, Act::Corp("ww1"), None),
            (&tenant, Act::Corp("ww2"), Some(AdminErrorKind::Forbidden)),
            (&tenant, Act::EveryCorp, Some(AdminErrorKind::Forbidden)),
            (&tenant, Act::SignUp { open: false }, Some(AdminErrorKind::Forbidden)),
            (&tenant, Act::SignUp { open: true }, None),
            (&Scope::Anonymous, Act::Route { signup: true }, None),
            (&Scope::Anonymous, Act::Route { signup: false }, Some(AdminErrorKind::Unauthorized)),
            (&Scope::Anonymous, Act::Corp("ww1"), Some(AdminErrorKind::Unauthorized)),
            (&Scope::Anonymous, Act::SignUp { open: false }, Some(AdminErrorKind::Unauthorized)),
            (&Scope::Anonymous, Act::SignUp { open: true }, None),
        ];
        for (scope, act, expected) in cases {
            assert_eq!(scope.may(*act).err().map(|e| e.kind), *expected, "{scope:?} {act:?}");
        }
    }
}
