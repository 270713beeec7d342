//! Which path serves which request and answer: one table for the client's single call path and
//! the server's routing.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::*;
use crate::validate::Validate;

/// HTTP method of an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Parameters in the query string.
    Get,
    /// Parameters in a JSON body.
    Post,
}

/// Every API of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    /// `gettoken`.
    GetToken,
    /// C1.
    AddContactWay,
    /// C2.
    GetContactWay,
    /// C3.
    ListContactWay,
    /// C4.
    UpdateContactWay,
    /// C5.
    DelContactWay,
    /// C6.
    CloseTempChat,
    /// J1.
    AddJoinWay,
    /// J2.
    GetJoinWay,
    /// J3.
    UpdateJoinWay,
    /// J4.
    DelJoinWay,
    /// Customer detail read-back.
    GetExternalContact,
    /// Group detail read-back.
    GetGroupChat,
}

/// What the table says about one API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiInfo {
    /// Which API.
    pub api: Api,
    /// Its id in the spec (`C1` … `J4`, or a short name).
    pub spec_id: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path from the host, starting with `/cgi-bin/`.
    pub path: &'static str,
    /// Needs `?access_token=` (all but gettoken).
    pub needs_token: bool,
    /// Sending it twice may create two things: never resend it blindly after a transport
    /// error whose outcome is unknown.
    pub creates: bool,
}

const fn info(api: Api, spec_id: &'static str, method: Method, path: &'static str, creates: bool) -> ApiInfo {
    ApiInfo { api, spec_id, method, path, needs_token: !matches!(api, Api::GetToken), creates }
}

/// The routing table.
pub const API_TABLE: [ApiInfo; 13] = [
    info(Api::GetToken, "token", Method::Get, "/cgi-bin/gettoken", false),
    info(Api::AddContactWay, "C1", Method::Post, "/cgi-bin/externalcontact/add_contact_way", true),
    info(Api::GetContactWay, "C2", Method::Post, "/cgi-bin/externalcontact/get_contact_way", false),
    info(Api::ListContactWay, "C3", Method::Post, "/cgi-bin/externalcontact/list_contact_way", false),
    info(Api::UpdateContactWay, "C4", Method::Post, "/cgi-bin/externalcontact/update_contact_way", false),
    info(Api::DelContactWay, "C5", Method::Post, "/cgi-bin/externalcontact/del_contact_way", false),
    info(Api::CloseTempChat, "C6", Method::Post, "/cgi-bin/externalcontact/close_temp_chat", false),
    info(Api::AddJoinWay, "J1", Method::Post, "/cgi-bin/externalcontact/groupchat/add_join_way", true),
    info(Api::GetJoinWay, "J2", Method::Post, "/cgi-bin/externalcontact/groupchat/get_join_way", false),
    info(Api::UpdateJoinWay, "J3", Method::Post, "/cgi-bin/externalcontact/groupchat/update_join_way", false),
    info(Api::DelJoinWay, "J4", Method::Post, "/cgi-bin/externalcontact/groupchat/del_join_way", false),
    info(Api::GetExternalContact, "customer", Method::Get, "/cgi-bin/externalcontact/get", false),
    info(Api::GetGroupChat, "group", Method::Post, "/cgi-bin/externalcontact/groupchat/get", false),
];

impl Api {
    /// Every API, in table order.
    pub const ALL: [Api; 13] = {
        let mut all = [Api::GetToken; 13];
        let mut i = 0;
        while i < API_TABLE.len() {
            all[i] = API_TABLE[i].api;
            i += 1;
        }
        all
    };

    /// This API's row.
    pub const fn info(self) -> &'static ApiInfo {
        &API_TABLE[self as usize]
    }

    /// Its path.
    pub const fn path(self) -> &'static str {
        self.info().path
    }

    /// Its method.
    pub const fn method(self) -> Method {
        self.info().method
    }

    /// The API served at `path` (exact match; the query string must be stripped).
    pub fn from_path(path: &str) -> Option<Api> {
        API_TABLE.iter().find(|row| row.path == path).map(|row| row.api)
    }

    /// The path's last segment, e.g. `add_contact_way`; handy as a metric label.
    pub fn short_name(self) -> &'static str {
        let path = self.path();
        path.rsplit('/').next().unwrap_or(path)
    }
}

/// A request type, tied to its API and its answer's payload.
pub trait Endpoint: Serialize + DeserializeOwned + Validate + Send + Sync + 'static {
    /// Which API this request is for.
    const API: Api;
    /// The answer's payload (besides `errcode` / `errmsg`).
    type Response: Serialize + DeserializeOwned + Send + Sync + 'static;
}

/// Something done with the request type of an API that is known only at run time (a row of a
/// table, a parsed path): [`Api::visit`] calls [`visit`](Self::visit) with that API's type.
pub trait EndpointVisitor {
    /// What the visit gives.
    type Output;
    /// Called with `E`, the request type of the API visited.
    fn visit<E: Endpoint>(self) -> Self::Output;
}

macro_rules! endpoints {
    ($( $req:ident => $api:ident, $resp:ty; )*) => {
        $( impl Endpoint for $req {
            const API: Api = Api::$api;
            type Response = $resp;
        } )*

        impl Api {
            /// Calls `visitor` with this API's request type.
            pub fn visit<V: EndpointVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $( Api::$api => visitor.visit::<$req>(), )*
                }
            }
        }
    };
}

endpoints! {
    GetToken => GetToken, GetTokenResponse;
    AddContactWay => AddContactWay, AddContactWayResponse;
    GetContactWay => GetContactWay, GetContactWayResponse;
    ListContactWay => ListContactWay, ListContactWayResponse;
    UpdateContactWay => UpdateContactWay, Empty;
    DelContactWay => DelContactWay, Empty;
    CloseTempChat => CloseTempChat, Empty;
    AddJoinWay => AddJoinWay, AddJoinWayResponse;
    GetJoinWay => GetJoinWay, GetJoinWayResponse;
    UpdateJoinWay => UpdateJoinWay, Empty;
    DelJoinWay => DelJoinWay, Empty;
    GetExternalContact => GetExternalContact, GetExternalContactResponse;
    GetGroupChat => GetGroupChat, GetGroupChatResponse;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_the_enum() {
        for (i, row) in API_TABLE.iter().enumerate() {
            assert_eq!(row.api as usize, i, "{:?} is out of place", row.api);
        }
    }

    #[test]
    fn every_path_routes_back_to_its_api() {
        for api in Api::ALL {
            assert_eq!(Api::from_path(api.path()), Some(api));
            assert!(api.path().starts_with("/cgi-bin/"));
        }
        assert_eq!(Api::from_path("/cgi-bin/nope"), None);
    }

    #[test]
    fn only_adds_create() {
        let creating: Vec<Api> = Api::ALL.into_iter().filter(|api| api.info().creates).collect();
        assert_eq!(creating, [Api::AddContactWay, Api::AddJoinWay]);
    }

    #[test]
    fn a_visit_reaches_the_request_type_of_the_api() {
        struct ApiOf;
        impl EndpointVisitor for ApiOf {
            type Output = Api;
            fn visit<E: Endpoint>(self) -> Api {
                E::API
            }
        }
        for api in Api::ALL {
            assert_eq!(api.visit(ApiOf), api);
        }
    }

    #[test]
    fn endpoint_types_point_at_their_api() {
        assert_eq!(<AddContactWay as Endpoint>::API.short_name(), "add_contact_way");
        assert_eq!(<GetGroupChat as Endpoint>::API.path(), "/cgi-bin/externalcontact/groupchat/get");
    }
}
