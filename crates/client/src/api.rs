//! One typed method per API: C1–C6, J1–J4, the two read-backs and the three calls after the
//! scan (members, customers, welcome messages). Each is a thin wrapper of
//! [`Client::call`], so each validates, refreshes and retries the same way.

use wecom_types::api::*;

use crate::client::Client;
use crate::error::Error;

impl Client {
    /// C1 `add_contact_way`: creates a Contact Me config and returns its `config_id` (and, for
    /// scene 2, its `qr_code`). Store the id: it is the only key to the config.
    ///
    /// Not resent after a transport error that may have reached the server (see
    /// [`crate::retry`]).
    ///
    /// ```no_run
    /// use wecom_types::api::{AddContactWay, Scene};
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let req = AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("spring-campaign");
    /// let created = client.add_contact_way(&req).await?;
    /// println!("{} {:?}", created.config_id, created.qr_code);
    /// # Ok(()) }
    /// ```
    pub async fn add_contact_way(&self, req: &AddContactWay) -> Result<AddContactWayResponse, Error> {
        self.call(req).await
    }

    /// C2 `get_contact_way`: the stored config. A conclusions image comes back as `pic_url`.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let way = client.get_contact_way("42b34949e138eb6e027c123cba77fAAA").await?;
    /// println!("{:?} {:?}", way.user, way.state);
    /// # Ok(()) }
    /// ```
    pub async fn get_contact_way(&self, config_id: &str) -> Result<ContactWay, Error> {
        self.call(&GetContactWay::new(config_id)).await.map(|answer| answer.contact_way)
    }

    /// C3 `list_contact_way`: one page of config ids. To walk every page, use
    /// [`Client::contact_way_ids`].
    ///
    /// ```no_run
    /// use wecom_types::api::ListContactWay;
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let page = client.list_contact_way(&ListContactWay { limit: Some(1000), ..Default::default() }).await?;
    /// println!("{} ids, next cursor {:?}", page.contact_way.len(), page.next_cursor);
    /// # Ok(()) }
    /// ```
    pub async fn list_contact_way(&self, req: &ListContactWay) -> Result<ListContactWayResponse, Error> {
        self.call(req).await
    }

    /// C4 `update_contact_way`, as given: only the fields set in `req` are sent ([`Patch::Keep`]
    /// fields are left out, so they keep their stored value). A `user` or `party` that is sent
    /// **replaces** the stored list; to change one member safely, use
    /// [`Client::update_contact_way_merged`].
    ///
    /// [`Patch::Keep`]: wecom_types::Patch::Keep
    ///
    /// ```no_run
    /// use wecom_types::{api::UpdateContactWay, Patch};
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let mut req = UpdateContactWay::new("42b34949e138eb6e027c123cba77fAAA");
    /// req.remark = Patch::Set("autumn".into());
    /// client.update_contact_way(&req).await?; // members untouched
    /// # Ok(()) }
    /// ```
    pub async fn update_contact_way(&self, req: &UpdateContactWay) -> Result<(), Error> {
        self.call(req).await.map(drop)
    }

    /// C5 `del_contact_way`: deletes a config and frees its quota unit.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// client.del_contact_way("42b34949e138eb6e027c123cba77fAAA").await?;
    /// # Ok(()) }
    /// ```
    pub async fn del_contact_way(&self, config_id: &str) -> Result<(), Error> {
        self.call(&DelContactWay::new(config_id)).await.map(drop)
    }

    /// C6 `close_temp_chat`: ends the temp chat between a member and a customer; the config's
    /// conclusions are sent first.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// client.close_temp_chat("zhangsan", "wmAbCdEfGhIjKlMnOpQrStUvWxYz012345").await?;
    /// # Ok(()) }
    /// ```
    pub async fn close_temp_chat(&self, userid: &str, external_userid: &str) -> Result<(), Error> {
        self.call(&CloseTempChat::new(userid, external_userid)).await.map(drop)
    }

    /// J1 `groupchat/add_join_way`, as the wire has it: only the `config_id` comes back. For the
    /// QR code as well, use [`Client::create_join_way`].
    ///
    /// Not resent after a transport error that may have reached the server (see
    /// [`crate::retry`]).
    ///
    /// ```no_run
    /// use wecom_types::api::{AddJoinWay, Scene};
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let req = AddJoinWay::new(Scene::MINI_PROGRAM, ["wrmockchat0001"]).with_state("vip");
    /// let created = client.add_join_way(&req).await?;
    /// println!("{}", created.config_id);
    /// # Ok(()) }
    /// ```
    pub async fn add_join_way(&self, req: &AddJoinWay) -> Result<AddJoinWayResponse, Error> {
        self.call(req).await
    }

    /// J2 `groupchat/get_join_way`: the stored config, with its `qr_code` for scene 2.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let way = client.get_join_way("9ad7fa5cdaa6511298498f979c472AAA").await?;
    /// println!("{:?} {:?}", way.chat_id_list, way.qr_code);
    /// # Ok(()) }
    /// ```
    pub async fn get_join_way(&self, config_id: &str) -> Result<JoinWay, Error> {
        self.call(&GetJoinWay::new(config_id)).await.map(|answer| answer.join_way)
    }

    /// J3 `groupchat/update_join_way`: **overwrites the whole config**; a field left out goes back
    /// to its default (an empty `state`, `auto_create_room` 1, …). To change one field and keep
    /// the rest, use [`Client::update_join_way_merged`].
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let way = client.get_join_way("9ad7fa5cdaa6511298498f979c472AAA").await?;
    /// let mut req = way.to_update();
    /// req.remark = Some("renamed".into());
    /// client.update_join_way(&req).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_join_way(&self, req: &UpdateJoinWay) -> Result<(), Error> {
        self.call(req).await.map(drop)
    }

    /// J4 `groupchat/del_join_way`: deletes a config and frees its quota unit.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// client.del_join_way("9ad7fa5cdaa6511298498f979c472AAA").await?;
    /// # Ok(()) }
    /// ```
    pub async fn del_join_way(&self, config_id: &str) -> Result<(), Error> {
        self.call(&DelJoinWay::new(config_id)).await.map(drop)
    }

    /// `externalcontact/get`: a customer's detail; each `follow_user` entry carries the `state`
    /// of the Contact Me config the customer came through.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let detail = client.get_external_contact("wmAbCdEfGhIjKlMnOpQrStUvWxYz012345").await?;
    /// for follow in &detail.follow_user {
    ///     println!("{} came through state {:?}", follow.userid, follow.state);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_external_contact(&self, external_userid: &str) -> Result<GetExternalContactResponse, Error> {
        self.call(&GetExternalContact::new(external_userid)).await
    }

    /// `externalcontact/groupchat/get`: a customer group's detail; each member that joined
    /// through a Join Group config carries its `state`.
    ///
    /// ```no_run
    /// use wecom_types::api::GetGroupChat;
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let group = client.get_group_chat(&GetGroupChat::new("wrmockchat0001")).await?;
    /// println!("{} members", group.member_list.len());
    /// # Ok(()) }
    /// ```
    pub async fn get_group_chat(&self, req: &GetGroupChat) -> Result<GroupChat, Error> {
        self.call(req).await.map(|answer| answer.group_chat)
    }

    /// `externalcontact/get_follow_user_list`: the members who may be put on a code (those
    /// with customer contact in this app's visible range; any other member gets 84083 or 60011
    /// on an add).
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// for userid in client.get_follow_user_list().await? {
    ///     println!("{userid}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_follow_user_list(&self) -> Result<Vec<String>, Error> {
        self.call(&GetFollowUserList {}).await.map(|answer| answer.follow_user)
    }

    /// `externalcontact/list`: the customers of the member `userid`, oldest first. A member
    /// with no customer at all is the error 84061 (`not external contact`), not an empty list.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let customers = client.list_external_contact("zhangsan").await?;
    /// println!("{} customers", customers.len());
    /// # Ok(()) }
    /// ```
    pub async fn list_external_contact(&self, userid: &str) -> Result<Vec<String>, Error> {
        self.call(&ListExternalContact::new(userid)).await.map(|answer| answer.external_userid)
    }

    /// `externalcontact/send_welcome_msg`: greets the customer of an `add_external_contact`
    /// event with its `WelcomeCode`, within 20 s of the add. The limits (4000 bytes of text,
    /// 9 attachments, each attachment's fields) are checked before anything is sent; build the
    /// message with [`SendWelcomeMsg::new`] or [`SendWelcomeMsg::build`].
    ///
    /// **Never resent after a send that may have been delivered** (a transport error after the
    /// request left, or a 5xx): a second send of the same code would get 41051 (`externaluser has
    /// started chatting`) if the first one got through, and the code expires in 20 s anyway.
    /// Such an error comes back as it is (see [`Error::delivery`]); a refusal before sending, a
    /// rate limit or a token refresh are still retried as for any call.
    ///
    /// ```no_run
    /// use wecom_types::api::{Attachment, SendWelcomeMsg};
    /// # async fn example(client: wecom_client::Client, welcome_code: String) -> Result<(), wecom_client::Error> {
    /// let message = SendWelcomeMsg::new(welcome_code)
    ///     .with_text("Welcome! Here is our price list.")
    ///     .with_attachment(Attachment::link("Prices", "https://example.com/prices"));
    /// client.send_welcome_msg(&message).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_welcome_msg(&self, req: &SendWelcomeMsg) -> Result<(), Error> {
        self.call(req).await.map(drop)
    }
}
