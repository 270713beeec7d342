//! What users build on top of the ten APIs: walking every page, resolving ids, updates that
//! cannot lose members, and a create that returns the QR code.

use std::collections::HashSet;

use futures_util::{Stream, StreamExt, TryStreamExt, stream};
use wecom_types::Patch;
use wecom_types::api::*;
use wecom_types::validate::{validate_members, validate_update_against};

use crate::client::Client;
use crate::error::Error;

/// A new Join Group config: what [`Client::create_join_way`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedJoinWay {
    /// The only key to the config: store it.
    pub config_id: String,
    /// The group QR code URL (scene 2 only).
    pub qr_code: Option<String>,
}

/// Where a walk over `list_contact_way` pages stands.
struct Walk {
    client: Client,
    filter: ListContactWay,
    cursor: Option<String>,
    seen: HashSet<String>,
}

impl Client {
    /// Every config id that `list_contact_way` returns for `filter`, following `next_cursor`
    /// to the last page. Each page is one call (validated and retried like any call); an error
    /// ends the stream after it is yielded. A server that hands out a cursor twice ends the walk
    /// with [`Error::RepeatedCursor`] rather than looping.
    ///
    /// Temp-chat configs and configs created before 2021-07-10 are never listed (spec C3).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// use wecom_types::api::ListContactWay;
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let ids: Vec<String> = client.contact_way_ids(ListContactWay::default()).try_collect().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// One page, with its cursor, is [`Client::list_contact_way`].
    pub fn contact_way_ids(
        &self,
        filter: ListContactWay,
    ) -> impl Stream<Item = Result<String, Error>> + Send + 'static {
        let cursor = filter.cursor.clone().filter(|cursor| !cursor.is_empty());
        let walk = Walk { client: self.clone(), seen: HashSet::new(), cursor, filter };
        stream::try_unfold(Some(walk), |walk| async move {
            let Some(mut walk) = walk else {
                return Ok(None);
            };
            let req = match &walk.cursor {
                // Checked when the cursor is about to be used, so the page that handed it out
                // is still yielded before the error.
                Some(cursor) if !walk.seen.insert(cursor.clone()) => {
                    return Err(Error::RepeatedCursor { cursor: cursor.clone() });
                }
                Some(cursor) => walk.filter.at_cursor(cursor.as_str()),
                None => ListContactWay { cursor: None, ..walk.filter.clone() },
            };
            let page = walk.client.list_contact_way(&req).await?;
            let ids: Vec<String> = page.contact_way.into_iter().map(|item| item.config_id).collect();
            if page.next_cursor.is_empty() {
                return Ok(Some((ids, None)));
            }
            walk.cursor = Some(page.next_cursor);
            Ok(Some((ids, Some(walk))))
        })
        .map_ok(|ids| stream::iter(ids.into_iter().map(Ok)))
        .try_flatten()
    }

    /// The old name of [`Client::contact_way_ids`], which it calls: beside
    /// [`Client::list_contact_way`] (one page) the name read as "many pages of the same".
    #[deprecated(since = "0.1.0", note = "renamed to `contact_way_ids` (a stream of config ids)")]
    pub fn list_contact_ways(
        &self,
        filter: ListContactWay,
    ) -> impl Stream<Item = Result<String, Error>> + Send + 'static {
        self.contact_way_ids(filter)
    }

    /// Every config of [`Client::contact_way_ids`], resolved with `get_contact_way`, with at
    /// most `concurrency` gets in flight (at least one). Configs come in list order; a config
    /// deleted between the list and its get comes as an error item (41044), and the stream goes
    /// on.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// use wecom_types::api::ListContactWay;
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let mut ways = std::pin::pin!(client.contact_ways_detailed(ListContactWay::default(), 8));
    /// while let Some(way) = ways.next().await {
    ///     let way = way?;
    ///     println!("{} {:?}", way.config_id, way.state);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn contact_ways_detailed(
        &self,
        filter: ListContactWay,
        concurrency: usize,
    ) -> impl Stream<Item = Result<ContactWay, Error>> + Send + 'static {
        let client = self.clone();
        self.contact_way_ids(filter)
            .map(move |id| {
                let client = client.clone();
                async move { client.get_contact_way(&id?).await }
            })
            .buffered(concurrency.max(1))
    }

    /// Read, change, write: gets the config, lets `change` edit it, and sends an update that
    /// makes the stored config equal to the edited one. Returns the edited config.
    ///
    /// The update always carries the complete `user` and `party` lists, so members cannot be lost
    /// by an update that meant to change something else (the trap of spec C4), plus every other
    /// field that `change` altered (an unaltered field is left out, so for example a temp QR
    /// code's validity is not restarted and a conclusions image read back as `pic_url` is not
    /// sent back). When you change `conclusions`, give an image's `media_id` again.
    ///
    /// Fields an update cannot change (`type`, `scene`, `is_temp`, `is_exclusive`,
    /// `mark_source`, `qr_code`, `config_id`) make it fail with [`Error::Unchangeable`] instead
    /// of being dropped silently; a result that is no longer a valid config (type 1 without
    /// exactly one user, …) fails with [`Error::Validation`]. Nothing is sent in either case.
    /// There is no version check on the server: a write between the read and the write is
    /// overwritten for the fields this update carries. Because the lists are sent, the server
    /// checks every member and department again: a config whose member has since left or lost
    /// the customer-contact function fails with that member's errcode (60111, 84083, …) until
    /// the member is removed in `change`.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let way = client
    ///     .update_contact_way_merged("42b34949e138eb6e027c123cba77fAAA", |way| {
    ///         way.user.get_or_insert_with(Vec::new).push("lisi".to_owned());
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_contact_way_merged<F>(&self, config_id: &str, change: F) -> Result<ContactWay, Error>
    where
        F: FnOnce(&mut ContactWay),
    {
        let current = self.get_contact_way(config_id).await?;
        let mut desired = current.clone();
        change(&mut desired);
        let req = merged_contact_way_update(config_id, &current, &desired)?;
        self.update_contact_way(&req).await?;
        Ok(desired)
    }

    /// Read, change, write for Join Group: J3 overwrites the whole config, so the update sends
    /// every field of the edited config, and nothing falls back to its default by accident.
    /// Returns the edited config.
    ///
    /// `config_id` and `qr_code` cannot be changed ([`Error::Unchangeable`]).
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// client
    ///     .update_join_way_merged("9ad7fa5cdaa6511298498f979c472AAA", |way| {
    ///         way.remark = Some("spring".to_owned());
    ///     })
    ///     .await?; // state, room settings and chats are kept
    /// # Ok(()) }
    /// ```
    pub async fn update_join_way_merged<F>(&self, config_id: &str, change: F) -> Result<JoinWay, Error>
    where
        F: FnOnce(&mut JoinWay),
    {
        let current = self.get_join_way(config_id).await?;
        let mut desired = current.clone();
        change(&mut desired);
        if desired.config_id != current.config_id {
            return Err(Error::Unchangeable { field: "config_id" });
        }
        if desired.qr_code != current.qr_code {
            return Err(Error::Unchangeable { field: "qr_code" });
        }
        let mut req = desired.to_update();
        req.config_id = Some(config_id.to_owned());
        self.update_join_way(&req).await?;
        Ok(desired)
    }

    /// J1 plus, for scene 2, the J2 read that fetches the QR code (the real add_join_way returns
    /// only the id).
    ///
    /// If the config was created but the read fails, the error is [`Error::Incomplete`], which
    /// still carries the `config_id`: the config exists and counts against the quota.
    ///
    /// ```no_run
    /// use wecom_types::api::{AddJoinWay, Scene};
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let created = client.create_join_way(&AddJoinWay::new(Scene::QR_CODE, ["wrmockchat0001"])).await?;
    /// println!("{} {:?}", created.config_id, created.qr_code);
    /// # Ok(()) }
    /// ```
    pub async fn create_join_way(&self, req: &AddJoinWay) -> Result<CreatedJoinWay, Error> {
        let config_id = self.add_join_way(req).await?.config_id;
        if req.scene != Some(Scene::QR_CODE) {
            return Ok(CreatedJoinWay { config_id, qr_code: None });
        }
        match self.get_join_way(&config_id).await {
            Ok(way) => Ok(CreatedJoinWay { config_id, qr_code: way.qr_code }),
            Err(source) => Err(Error::Incomplete { config_id, source: Box::new(source) }),
        }
    }
}

/// `Keep` when the field did not change, otherwise the new value (`Clear` when it was removed).
fn diff<T: Clone + PartialEq>(before: &Option<T>, after: &Option<T>) -> Patch<T> {
    if before == after { Patch::Keep } else { after.clone().into() }
}

/// The update that turns `current` into `desired`, checked before anything is sent.
fn merged_contact_way_update(
    config_id: &str,
    current: &ContactWay,
    desired: &ContactWay,
) -> Result<UpdateContactWay, Error> {
    let unchangeable = [
        ("config_id", current.config_id != desired.config_id),
        ("type", current.contact_type != desired.contact_type),
        ("scene", current.scene != desired.scene),
        ("is_temp", current.is_temp != desired.is_temp),
        ("is_exclusive", current.is_exclusive != desired.is_exclusive),
        ("mark_source", current.mark_source != desired.mark_source),
        ("qr_code", current.qr_code != desired.qr_code),
    ];
    if let Some((field, _)) = unchangeable.into_iter().find(|(_, changed)| *changed) {
        return Err(Error::Unchangeable { field });
    }
    let req = UpdateContactWay {
        config_id: Some(config_id.to_owned()),
        remark: diff(&current.remark, &desired.remark),
        skip_verify: diff(&current.skip_verify, &desired.skip_verify),
        style: diff(&current.style, &desired.style),
        state: diff(&current.state, &desired.state),
        user: Patch::Set(desired.user.clone().unwrap_or_default()),
        party: Patch::Set(desired.party.clone().unwrap_or_default()),
        expires_in: diff(&current.expires_in, &desired.expires_in),
        chat_expires_in: diff(&current.chat_expires_in, &desired.chat_expires_in),
        unionid: diff(&current.unionid, &desired.unionid),
        conclusions: diff(&current.conclusions, &desired.conclusions),
    };
    // With the stored type known, the rules that depend on it can be checked here instead of
    // costing a round trip and a 40058.
    if let (Some(contact_type), Some(scene)) = (desired.contact_type, desired.scene) {
        validate_update_against(&req, contact_type, scene, desired.is_temp.unwrap_or(false))?;
        let users = desired.user.as_deref().unwrap_or_default();
        let parties = match contact_type {
            ContactType::MULTI => desired.party.as_deref().unwrap_or_default(),
            _ => &[],
        };
        validate_members(contact_type, users, parties)?;
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> ContactWay {
        ContactWay {
            config_id: "cfg".into(),
            contact_type: Some(ContactType::MULTI),
            scene: Some(Scene::QR_CODE),
            remark: Some("old".into()),
            state: Some("s1".into()),
            user: Some(vec!["a".into(), "b".into()]),
            party: Some(vec![2]),
            qr_code: Some("https://qr".into()),
            ..ContactWay::default()
        }
    }

    fn merged(change: impl FnOnce(&mut ContactWay)) -> Result<serde_json::Value, Error> {
        let current = stored();
        let mut desired = current.clone();
        change(&mut desired);
        let req = merged_contact_way_update("cfg", &current, &desired)?;
        Ok(serde_json::to_value(req).expect("encodes"))
    }

    #[test]
    fn a_merged_update_carries_members_and_changes_only() {
        let body = merged(|way| way.remark = Some("new".into())).expect("valid");
        assert_eq!(body, serde_json::json!({"config_id":"cfg","remark":"new","user":["a","b"],"party":[2]}));
    }

    #[test]
    fn a_removed_field_is_cleared_not_left_out() {
        let body = merged(|way| way.state = None).expect("valid");
        assert_eq!(body["state"], "");
    }

    #[test]
    fn unchangeable_fields_are_refused() {
        type Change = fn(&mut ContactWay);
        let cases: [(&str, Change); 4] = [
            ("type", |way| way.contact_type = Some(ContactType::SINGLE)),
            ("scene", |way| way.scene = Some(Scene::MINI_PROGRAM)),
            ("is_temp", |way| way.is_temp = Some(true)),
            ("qr_code", |way| way.qr_code = None),
        ];
        for (field, change) in cases {
            let err = merged(change).expect_err(field);
            assert!(matches!(err, Error::Unchangeable { field: f } if f == field), "{field}: {err:?}");
        }
    }

    #[test]
    fn a_result_that_is_no_longer_a_config_is_refused() {
        let err = merged(|way| {
            way.user = None;
            way.party = None;
        })
        .expect_err("type 2 with nobody");
        assert_eq!(err.violation().map(|v| v.field), Some("user"));
    }
}
