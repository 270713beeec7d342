//! The calls after the scan through the typed client against the mock: the member list, a
//! welcome message of every documented shape, the customer list, and the limits refused before
//! anything is sent.

use wecom_client::{Client, Error};
use wecom_mock::MockServer;
use wecom_mock::api::ScanRequest;
use wecom_types::api::*;
use wecom_types::{Api, ErrCode};

use crate::stub::Stub;

async fn started() -> (MockServer, Client) {
    let mock = MockServer::start().await;
    let client = Client::builder(mock.corpid(), mock.secret()).base_url(mock.uri()).build().expect("client");
    (mock, client)
}

/// A config of `zhangsan` scanned by `external_userid`: the add's welcome code.
async fn welcome_code(mock: &MockServer, client: &Client, external_userid: &str) -> String {
    let created = client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE)).await.expect("add");
    let scan = ScanRequest {
        corpid: mock.corpid().to_owned(),
        config_id: created.config_id,
        external_userid: Some(external_userid.to_owned()),
        ..Default::default()
    };
    mock.control().scan(&scan).expect("scan").welcome_code
}

fn every_documented_shape() -> Vec<Attachment> {
    let mut link = Attachment::link("消息标题", "https://example.link.com/path");
    if let Some(link) = link.link.as_mut() {
        link.picurl = Some("https://example.pic.com/path".into());
        link.desc = Some("消息描述".into());
    }
    vec![
        Attachment::image("MEDIA_ID"),
        Attachment::image_url("https://example.com/a.png"),
        link,
        Attachment::miniprogram("消息标题", "MEDIA_ID", "wx8bd80126147dfAAA", "/path/index.html"),
        Attachment::video("MEDIA_ID"),
        Attachment::file("MEDIA_ID"),
    ]
}

#[tokio::test]
async fn a_welcome_message_of_every_documented_shape_arrives_as_sent() {
    let (mock, client) = started().await;
    for (i, attachment) in every_documented_shape().into_iter().enumerate() {
        let external_userid = format!("wmclientwelcome{i:02}");
        let code = welcome_code(&mock, &client, &external_userid).await;
        let message = SendWelcomeMsg::build(code, Some("欢迎"), [attachment.clone()]).expect("within the limits");
        client.send_welcome_msg(&message).await.unwrap_or_else(|err| panic!("{:?}: {err}", attachment.kind()));
        let sent: Vec<_> = mock
            .control()
            .messages(Some(mock.corpid()))
            .expect("messages")
            .into_iter()
            .filter_map(|m| m.message.as_welcome().cloned())
            .filter(|m| m.to == external_userid)
            .collect();
        assert_eq!(sent.len(), 2, "{:?}", attachment.kind());
        assert_eq!(sent[0].text.as_ref().and_then(|t| t.content.as_deref()), Some("欢迎"));
        assert_eq!(sent[1].attachment.as_ref(), Some(&attachment));
    }
}

#[tokio::test]
async fn a_second_send_of_a_code_is_41051_from_the_client_too() {
    let (mock, client) = started().await;
    let code = welcome_code(&mock, &client, "wmclientwelcomeagain").await;
    let message = SendWelcomeMsg::new(code).with_text("hi");
    client.send_welcome_msg(&message).await.expect("first send");
    let err = client.send_welcome_msg(&message).await.expect_err("used");
    assert_eq!(err.code(), Some(ErrCode::EXTERNAL_USER_STARTED_CHATTING));
}

#[tokio::test]
async fn the_member_list_and_a_member_s_customers() {
    let (mock, client) = started().await;
    let members = client.get_follow_user_list().await.expect("members");
    assert!(members.iter().any(|m| m == "zhangsan") && !members.iter().any(|m| m == "sunqi"), "{members:?}");
    let none = client.list_external_contact("zhangsan").await.expect_err("no customer yet");
    assert_eq!(none.code(), Some(ErrCode::NOT_EXTERNAL_CONTACT));
    welcome_code(&mock, &client, "wmclientcustomer01").await;
    assert_eq!(client.list_external_contact("zhangsan").await.expect("customers"), ["wmclientcustomer01"]);
}

#[tokio::test]
async fn the_limits_are_refused_before_sending() {
    let stub = Stub::start().await;
    let client = stub.client();
    let long_text = SendWelcomeMsg::new("CODE").with_text("x".repeat(4001));
    let ten = (0..10).fold(SendWelcomeMsg::new("CODE"), |m, i| m.with_attachment(Attachment::file(format!("M{i}"))));
    for (message, field) in [(long_text, "text.content"), (ten, "attachments")] {
        let err = client.send_welcome_msg(&message).await.expect_err("over a limit");
        assert!(matches!(&err, Error::Validation(v) if v.field == field), "{err:?}");
        assert_eq!(err.code(), Some(ErrCode::INVALID_PARAMETER));
    }
    assert_eq!(stub.count(Api::SendWelcomeMsg), 0, "nothing reached the server");
}
