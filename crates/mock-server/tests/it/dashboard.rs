//! The pictures behind `qr_code` and `pic_url`, and the dashboard at `/__admin/ui` (its
//! behaviour in a browser is tested by `ui-tests/`, in headless Chromium).

use serde_json::json;
use wecom_mock::MockServer;
use wecom_mock::api::ScanRequest;
use wecom_mock::fixtures::DEFAULT_CORPID;

use crate::support::Wecom;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

async fn get(http: &reqwest::Client, url: &str) -> (u16, String, Vec<u8>) {
    let response = http.get(url).send().await.expect("reaches the mock");
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, response.bytes().await.expect("a body").to_vec())
}

#[tokio::test]
async fn the_qr_code_urls_handed_out_serve_png_qr_codes() {
    let wecom = Wecom::start().await;
    let contact = wecom.ok(wecom_types::Api::AddContactWay, json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    let join_id = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
    // add_join_way answers the id only; the URL comes with get_join_way.
    let join = wecom.ok(wecom_types::Api::GetJoinWay, json!({"config_id": join_id})).await["join_way"].clone();
    for answer in [&contact, &join] {
        let url = answer["qr_code"].as_str().expect("a qr_code URL");
        let (status, kind, body) = get(&wecom.http, url).await;
        assert_eq!((status, kind.as_str()), (200, "image/png"), "{url}");
        assert!(body.starts_with(PNG_SIGNATURE), "{url}");
    }
}

#[tokio::test]
async fn only_live_qr_configs_have_a_picture() {
    let wecom = Wecom::start().await;
    let mini = wecom.add(json!({"type":1,"scene":1,"user":["zhangsan"]})).await;
    let deleted = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    wecom.ok(wecom_types::Api::DelContactWay, json!({"config_id": deleted})).await;
    for id in [mini.as_str(), deleted.as_str(), "0123456789abcdef0123456789abcdef", "not-an-id"] {
        let (status, _, _) = get(&wecom.http, &format!("{}/qr/{id}", wecom.mock.uri())).await;
        assert_eq!(status, 404, "{id}");
    }
}

#[tokio::test]
async fn media_urls_serve_a_placeholder_picture() {
    let wecom = Wecom::start().await;
    let (status, kind, body) = get(&wecom.http, &format!("{}/media/MEDIA_ID_1", wecom.mock.uri())).await;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert!(body.starts_with(PNG_SIGNATURE));
}

#[tokio::test]
async fn the_dashboard_shows_configs_states_customers_and_escapes_what_it_shows() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["wangwu"],"state":"<b>bold</b>"})).await;
    let scanned = wecom
        .mock
        .control()
        .scan(&ScanRequest { corpid: DEFAULT_CORPID.into(), config_id: id.clone(), ..Default::default() })
        .expect("scan");
    let (status, kind, body) = get(&wecom.http, &format!("{}/__admin/ui", wecom.mock.uri())).await;
    let page = String::from_utf8(body).expect("UTF-8");
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    for expected in [
        DEFAULT_CORPID,
        id.as_str(),
        &format!("src=\"/qr/{id}\""),
        scanned.external_userid.as_str(),
        "&lt;b&gt;bold&lt;/b&gt;",
        "data-action=\"scan\"",
    ] {
        assert!(page.contains(expected), "the page lacks {expected}");
    }
    assert!(!page.contains("<b>bold</b>"), "a state is text, never markup");
}

#[tokio::test]
async fn with_an_admin_token_the_dashboard_takes_it_from_the_query_or_the_header() {
    let mock = MockServer::builder().admin_token("s3cret").start().await;
    let http = reqwest::Client::new();
    let page = format!("{}/__admin/ui", mock.uri());
    let cases = [
        (http.get(&page), 401),
        (http.get(format!("{page}?token=wrong")), 401),
        (http.get(format!("{page}?token=s3cret")), 200),
        (http.get(format!("{page}?fragment=1")).bearer_auth("s3cret"), 200),
        // The query token opens the page only, not the rest of the control surface.
        (http.get(format!("{}/__admin/corps?token=s3cret", mock.uri())), 401),
    ];
    for (request, expected) in cases {
        let response = request.send().await.expect("reaches the mock");
        assert_eq!(response.status().as_u16(), expected, "{:?}", response.url().path());
    }
    let page = http.get(format!("{page}?token=s3cret")).send().await.expect("page").text().await.expect("text");
    assert!(!page.contains("s3cret"), "the token is never written into the page");
}

#[tokio::test]
async fn the_dashboard_footer_shows_open_connections_against_the_cap() {
    let mock = MockServer::builder().max_connections(40).start().await;
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(tokio::net::TcpStream::connect(mock.address()).await.expect("connect"));
    }
    // The two held connections and the one asking (the accept loop may lag a moment).
    let http = reqwest::Client::new();
    let start = std::time::Instant::now();
    loop {
        let (status, _, body) = get(&http, &format!("{}/__admin/ui?fragment=1", mock.uri())).await;
        assert_eq!(status, 200);
        let page = String::from_utf8_lossy(&body).into_owned();
        if page.contains("open connections: <span class=\"num\" id=\"connections-open\">3</span> of 40") {
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "no footer with 3 of 40: {page}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(held);
}

/// The dashboard's HTML as the default corp's operator sees it.
async fn dashboard(wecom: &Wecom) -> String {
    let (status, _, body) = get(&wecom.http, &format!("{}/__admin/ui", wecom.mock.uri())).await;
    assert_eq!(status, 200);
    String::from_utf8(body).expect("UTF-8")
}

#[tokio::test]
async fn without_the_admin_token_the_dashboard_answers_a_page_that_says_how_to_open_it() {
    let mock = MockServer::builder().admin_token("s3cret").start().await;
    let (status, kind, body) = get(&reqwest::Client::new(), &format!("{}/__admin/ui", mock.uri())).await;
    let page = String::from_utf8(body).expect("UTF-8");
    assert_eq!((status, kind.as_str()), (401, "text/html; charset=utf-8"));
    assert!(page.contains("/__admin/ui?token=&lt;admin token&gt;"), "{page}");
}

#[tokio::test]
async fn the_default_corp_comes_before_tenants_and_each_heading_names_its_id_once() {
    let wecom = Wecom::start().await;
    let tenant = wecom.mock.control().create_tenant(&Default::default()).expect("a tenant");
    let page = dashboard(&wecom).await;
    let default_at = page.find(&format!("data-corpid=\"{DEFAULT_CORPID}\"")).expect("the default corp");
    let tenant_at = page.find(&format!("data-corpid=\"{}\"", tenant.corpid)).expect("the tenant");
    assert!(default_at < tenant_at, "the tenant is shown above the default corp");
    for corpid in [DEFAULT_CORPID, tenant.corpid.as_str()] {
        let start = page.find(&format!("<section class=\"corp\" data-corpid=\"{corpid}\"><h2>")).expect("a heading");
        let heading = &page[start..start + page[start..].find("</h2>").expect("its end")];
        assert_eq!(heading.matches(corpid).count(), 2, "the attribute and one mention: {heading}");
    }
}

#[tokio::test]
async fn every_time_shown_says_its_zone() {
    let wecom = Wecom::start().await;
    wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true,"expires_in":3600})).await;
    let page = dashboard(&wecom).await;
    let clock = page.find("clock ").expect("the corp's clock");
    assert_eq!(&page[clock + "clock ".len() + 19..clock + "clock ".len() + 23], " UTC", "{}", &page[clock..clock + 40]);
    assert!(page.contains(" UTC</small>"), "the Beijing day's reset is given in UTC");
    assert!(page.contains("temp · until 20"), "the temp code's expiry");
    assert!(!page.contains(":00</"), "a time without its zone");
}

#[tokio::test]
async fn a_used_temp_code_offers_no_scan() {
    let wecom = Wecom::start().await;
    let temp = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true})).await;
    let plain = wecom.add(json!({"type":1,"scene":2,"user":["lisi"]})).await;
    let scan = |config_id: &str| ScanRequest {
        corpid: DEFAULT_CORPID.into(),
        config_id: config_id.into(),
        ..Default::default()
    };
    wecom.mock.control().scan(&scan(&temp)).expect("the first scan");
    let page = dashboard(&wecom).await;
    let button = |id: &str| format!("data-action=\"scan\" data-corpid=\"{DEFAULT_CORPID}\" data-config-id=\"{id}\"");
    assert!(!page.contains(&button(&temp)), "a used temp code still offers a scan");
    assert!(page.contains(&button(&plain)), "a plain code offers a scan");
    assert!(wecom.mock.control().scan(&scan(&temp)).is_err(), "the mock refuses a second scan");
}

#[tokio::test]
async fn the_dashboard_shows_a_welcome_message_part_by_part_escaped() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["wangwu"]})).await;
    let scan = ScanRequest { corpid: DEFAULT_CORPID.into(), config_id: id, ..Default::default() };
    let code = wecom.mock.control().scan(&scan).expect("scan").welcome_code;
    let body = json!({"welcome_code": code, "text": {"content": "<i>welcome</i>"},
        "attachments": [{"msgtype": "video", "video": {"media_id": "MEDIA_VIDEO"}}]});
    wecom.ok(wecom_types::Api::SendWelcomeMsg, body).await;
    let (_, _, body) = get(&wecom.http, &format!("{}/__admin/ui", wecom.mock.uri())).await;
    let page = String::from_utf8(body).expect("UTF-8");
    for expected in ["<tr class=\"welcome\">", "&lt;i&gt;welcome&lt;/i&gt; (from wangwu)", "video (from wangwu)"] {
        assert!(page.contains(expected), "the page lacks {expected}");
    }
    assert!(!page.contains("<i>welcome</i>"), "a welcome text is text, never markup");
}
