//! Request decoding and validation: any bytes, decoded as every API's request (a body for the
//! POST APIs, a query string for the GET ones), then validated. Neither step may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wecom_types::{Api, Endpoint, EndpointVisitor, Method};
use wecom_types::wire::{decode_body, decode_query};

/// Decodes the input as the visited API's request (a body, or a query string for a GET), then
/// validates it.
struct Decode<'a> {
    body: &'a [u8],
    query: &'a [(&'a str, &'a str)],
}

impl EndpointVisitor for Decode<'_> {
    type Output = ();

    fn visit<E: Endpoint>(self) {
        let decoded = match E::API.method() {
            Method::Post => decode_body::<E>(self.body).ok(),
            Method::Get => decode_query::<E>(self.query.iter().copied()).ok(),
        };
        if let Some(request) = decoded {
            let _ = request.validate();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(&str, &str)> = text.split('&').map(|pair| pair.split_once('=').unwrap_or((pair, ""))).collect();
    for api in Api::ALL {
        api.visit(Decode { body: data, query: &pairs });
    }
});
