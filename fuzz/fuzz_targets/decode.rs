//! Request decoding and validation: any bytes, decoded as every request type's body (and as a
//! query string for the GET APIs), then validated. Neither step may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wecom_types::Validate;
use wecom_types::api::*;
use wecom_types::wire::{decode_body, decode_query};

fn body<T: serde::de::DeserializeOwned + Validate>(data: &[u8]) {
    if let Ok(request) = decode_body::<T>(data) {
        let _ = request.validate();
    }
}

fn query<T: serde::de::DeserializeOwned + Validate>(pairs: &[(&str, &str)]) {
    if let Ok(request) = decode_query::<T>(pairs.iter().copied()) {
        let _ = request.validate();
    }
}

fuzz_target!(|data: &[u8]| {
    body::<AddContactWay>(data);
    body::<GetContactWay>(data);
    body::<ListContactWay>(data);
    body::<UpdateContactWay>(data);
    body::<DelContactWay>(data);
    body::<CloseTempChat>(data);
    body::<AddJoinWay>(data);
    body::<GetJoinWay>(data);
    body::<UpdateJoinWay>(data);
    body::<DelJoinWay>(data);
    body::<GetGroupChat>(data);
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(&str, &str)> = text.split('&').map(|pair| pair.split_once('=').unwrap_or((pair, ""))).collect();
    query::<GetToken>(&pairs);
    query::<GetExternalContact>(&pairs);
});
