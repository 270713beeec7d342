//! Which path serves which request and answer: one declaration per API (`declare_apis!`), from
//! which the [`Api`] enum, the routing table [`API_TABLE`], [`Api::ALL`] and [`Api::visit`] come.
//! The client's single call path and the server's routing both read it; every other "for each
//! API" list is driven from it through an [`EndpointVisitor`].

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

/// What the table says about one API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiInfo {
    /// Which API.
    pub api: Api,
    /// Its id in the spec (`C1` … `J4`, or a short name: `customer`, `members`, `welcome`).
    pub spec_id: &'static str,
    /// Its name in snake case, unique: the typed client's method and the stem of its fixture
    /// files (`crates/types/tests/fixtures/<name>.request.json`).
    pub name: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path from the host, starting with `/cgi-bin/`.
    pub path: &'static str,
    /// Needs `?access_token=` (all but gettoken).
    pub needs_token: bool,
    /// Sending it twice may create two things: never resend it blindly after a transport
    /// error whose outcome is unknown.
    pub creates: bool,
    /// Sending it delivers something to a customer that cannot be delivered twice
    /// (`send_welcome_msg`: a second send of a code gets 41051): never resent after a
    /// transport error whose outcome is unknown either, but nothing to record as created.
    pub delivers: bool,
}

impl ApiInfo {
    /// `true` when a send whose outcome is unknown must not be repeated: it
    /// [`creates`](Self::creates) or [`delivers`](Self::delivers).
    pub const fn once_only(&self) -> bool {
        self.creates || self.delivers
    }
}

/// With the `schema` feature, a JSON Schema (`schemars::JsonSchema`); without it, nothing. A
/// bound of every request and answer of [`Endpoint`], so a visitor reaches their schemas.
#[cfg(feature = "schema")]
pub trait MaybeSchema: schemars::JsonSchema {}
#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema + ?Sized> MaybeSchema for T {}
/// With the `schema` feature, a JSON Schema (`schemars::JsonSchema`); without it, nothing. A
/// bound of every request and answer of [`Endpoint`], so a visitor reaches their schemas.
#[cfg(not(feature = "schema"))]
pub trait MaybeSchema {}
#[cfg(not(feature = "schema"))]
impl<T: ?Sized> MaybeSchema for T {}

/// A request type, tied to its API and its answer's payload.
pub trait Endpoint: Serialize + DeserializeOwned + Validate + MaybeSchema + Send + Sync + 'static {
    /// Which API this request is for.
    const API: Api;
    /// The answer's payload (besides `errcode` / `errmsg`).
    type Response: Serialize + DeserializeOwned + MaybeSchema + Send + Sync + 'static;
}

/// Something done with the request type of an API that is known only at run time (a row of a
/// table, a parsed path): [`Api::visit`] calls [`visit`](Self::visit) with that API's type.
pub trait EndpointVisitor {
    /// What the visit gives.
    type Output;
    /// Called with `E`, the request type of the API visited.
    fn visit<E: Endpoint>(self) -> Self::Output;
}

/// Declares every API from one row each: the [`Api`] enum, [`API_TABLE`], [`Api::ALL`], the
/// [`Endpoint`] impls and [`Api::visit`]. The request type has the API's name (in
/// [`api`](crate::api)); the answer type follows `=>`.
macro_rules! declare_apis {
    ($(
        $(#[doc = $doc:literal])*
        $api:ident => $response:ty {
            spec_id: $spec_id:literal,
            name: $name:literal,
            method: $method:ident,
            path: $path:literal,
            creates: $creates:literal
            $(, delivers: $delivers:literal)? $(,)?
        }
    )*) => {
        /// Every API of the project, in the order of its declaration.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Api {
            $( $(#[doc = $doc])* $api, )*
        }

        /// How many APIs there are.
        pub const API_COUNT: usize = [$( Api::$api ),*].len();

        /// The routing table, in the order of [`Api`].
        pub const API_TABLE: [ApiInfo; API_COUNT] = [$(
            ApiInfo {
                api: Api::$api,
                spec_id: $spec_id,
                name: $name,
                method: Method::$method,
                path: $path,
                needs_token: !matches!(Api::$api, Api::GetToken),
                creates: $creates,
                delivers: false $(|| $delivers)?,
            },
        )*];

        $( impl Endpoint for $api {
            const API: Api = Api::$api;
            type Response = $response;
        } )*

        impl Api {
            /// Every API, in table order.
            pub const ALL: [Api; API_COUNT] = [$( Api::$api ),*];

            /// Calls `visitor` with this API's request type.
            pub fn visit<V: EndpointVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $( Api::$api => visitor.visit::<$api>(), )*
                }
            }
        }
    };
}

// The one list of APIs. Adding one: ARCHITECTURE.md, "How to add an API".
declare_apis! {
    /// `gettoken`.
    GetToken => GetTokenResponse {
        spec_id: "token", name: "gettoken", method: Get, path: "/cgi-bin/gettoken", creates: false,
    }
    /// C1.
    AddContactWay => AddContactWayResponse {
        spec_id: "C1", name: "add_contact_way", method: Post,
        path: "/cgi-bin/externalcontact/add_contact_way", creates: true,
    }
    /// C2.
    GetContactWay => GetContactWayResponse {
        spec_id: "C2", name: "get_contact_way", method: Post,
        path: "/cgi-bin/externalcontact/get_contact_way", creates: false,
    }
    /// C3.
    ListContactWay => ListContactWayResponse {
        spec_id: "C3", name: "list_contact_way", method: Post,
        path: "/cgi-bin/externalcontact/list_contact_way", creates: false,
    }
    /// C4.
    UpdateContactWay => Empty {
        spec_id: "C4", name: "update_contact_way", method: Post,
        path: "/cgi-bin/externalcontact/update_contact_way", creates: false,
    }
    /// C5.
    DelContactWay => Empty {
        spec_id: "C5", name: "del_contact_way", method: Post,
        path: "/cgi-bin/externalcontact/del_contact_way", creates: false,
    }
    /// C6.
    CloseTempChat => Empty {
        spec_id: "C6", name: "close_temp_chat", method: Post,
        path: "/cgi-bin/externalcontact/close_temp_chat", creates: false,
    }
    /// J1.
    AddJoinWay => AddJoinWayResponse {
        spec_id: "J1", name: "add_join_way", method: Post,
        path: "/cgi-bin/externalcontact/groupchat/add_join_way", creates: true,
    }
    /// J2.
    GetJoinWay => GetJoinWayResponse {
        spec_id: "J2", name: "get_join_way", method: Post,
        path: "/cgi-bin/externalcontact/groupchat/get_join_way", creates: false,
    }
    /// J3.
    UpdateJoinWay => Empty {
        spec_id: "J3", name: "update_join_way", method: Post,
        path: "/cgi-bin/externalcontact/groupchat/update_join_way", creates: false,
    }
    /// J4.
    DelJoinWay => Empty {
        spec_id: "J4", name: "del_join_way", method: Post,
        path: "/cgi-bin/externalcontact/groupchat/del_join_way", creates: false,
    }
    /// Customer detail read-back.
    GetExternalContact => GetExternalContactResponse {
        spec_id: "customer", name: "get_external_contact", method: Get,
        path: "/cgi-bin/externalcontact/get", creates: false,
    }
    /// Group detail read-back.
    GetGroupChat => GetGroupChatResponse {
        spec_id: "group", name: "get_group_chat", method: Post,
        path: "/cgi-bin/externalcontact/groupchat/get", creates: false,
    }
    /// §8: the members who may be put on a code.
    GetFollowUserList => GetFollowUserListResponse {
        spec_id: "members", name: "get_follow_user_list", method: Get,
        path: "/cgi-bin/externalcontact/get_follow_user_list", creates: false,
    }
    /// §8: a member's customers.
    ListExternalContact => ListExternalContactResponse {
        spec_id: "customers", name: "list_external_contact", method: Get,
        path: "/cgi-bin/externalcontact/list", creates: false,
    }
    /// §8: the welcome message of an add event.
    SendWelcomeMsg => Empty {
        spec_id: "welcome", name: "send_welcome_msg", method: Post,
        path: "/cgi-bin/externalcontact/send_welcome_msg", creates: false, delivers: true,
    }
}

impl Api {
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

    /// Its name in snake case (`add_contact_way`, `get_group_chat`): unlike
    /// [`short_name`](Self::short_name), unique.
    pub const fn name(self) -> &'static str {
        self.info().name
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
    fn names_paths_and_spec_ids_are_unique() {
        for (i, row) in API_TABLE.iter().enumerate() {
            for other in &API_TABLE[..i] {
                assert_ne!(row.name, other.name, "{:?} and {:?} share a name", row.api, other.api);
                assert_ne!(row.path, other.path, "{:?} and {:?} share a path", row.api, other.api);
                assert_ne!(row.spec_id, other.spec_id, "{:?} and {:?} share a spec id", row.api, other.api);
            }
        }
    }

    #[test]
    fn only_gettoken_goes_without_a_token() {
        let tokenless: Vec<Api> = Api::ALL.into_iter().filter(|api| !api.info().needs_token).collect();
        assert_eq!(tokenless, [Api::GetToken]);
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
