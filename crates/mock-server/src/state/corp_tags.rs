//! The corps by their tag ([`corp_tag`]), the short name of a corp an access token carries
//! instead of its corpid. Looked up only for a token the cache does not vouch for (its first
//! use in a run), kept with the corps: an entry per live corpid, none for a removed one.
//!
//! Two corpids may share a tag (8 bytes of SHA-256: about one chance in 10^11 among a million
//! corps); both are then listed, and the token's MAC, whose key binds the full corpid, tells
//! which one it was issued for.

use std::collections::HashMap;

use parking_lot::RwLock;

use crate::core::token::{CorpTag, corp_tag};

#[derive(Debug, Default)]
pub(super) struct CorpTags {
    by_tag: RwLock<HashMap<CorpTag, Vec<String>>>,
}

impl CorpTags {
    /// A corp is in place (created, replaced or recovered).
    pub(super) fn insert(&self, corpid: &str) {
        let mut by_tag = self.by_tag.write();
        let ids = by_tag.entry(corp_tag(corpid)).or_default();
        if !ids.iter().any(|id| id == corpid) {
            ids.push(corpid.to_owned());
        }
    }

    /// A corp is gone.
    pub(super) fn remove(&self, corpid: &str) {
        let tag = corp_tag(corpid);
        let mut by_tag = self.by_tag.write();
        if let Some(ids) = by_tag.get_mut(&tag) {
            ids.retain(|id| id != corpid);
            if ids.is_empty() {
                by_tag.remove(&tag);
            }
        }
    }

    /// Every corp is gone.
    pub(super) fn clear(&self) {
        self.by_tag.write().clear();
    }

    /// The corpids whose tag is `tag` (nearly always none or one).
    pub(super) fn corpids(&self, tag: &CorpTag) -> Vec<String> {
        self.by_tag.read().get(tag).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corp_is_found_by_its_tag_until_it_is_removed() {
        let tags = CorpTags::default();
        tags.insert("wwa");
        tags.insert("wwa");
        tags.insert("wwb");
        assert_eq!(tags.corpids(&corp_tag("wwa")), ["wwa"], "inserted twice, listed once");
        assert_eq!(tags.corpids(&corp_tag("wwb")), ["wwb"]);
        tags.remove("wwa");
        assert!(tags.corpids(&corp_tag("wwa")).is_empty());
        assert!(tags.by_tag.read().get(&corp_tag("wwa")).is_none(), "no empty entry is left behind");
        tags.clear();
        assert!(tags.corpids(&corp_tag("wwb")).is_empty());
    }

    #[test]
    fn corpids_sharing_a_tag_are_all_listed() {
        let tags = CorpTags::default();
        let tag = corp_tag("wwa");
        // Two corpids with the same tag cannot be found by hand; put the second one in directly.
        tags.insert("wwa");
        tags.by_tag.write().entry(tag).or_default().push("wwcollides".to_owned());
        assert_eq!(tags.corpids(&tag), ["wwa", "wwcollides"]);
        tags.remove("wwa");
        assert_eq!(tags.corpids(&tag), ["wwcollides"]);
    }
}
