//! The README's "client in ten lines" is this test's body: it runs against the mock, and the
//! README must show exactly these lines (with the mock's documented address).

use wecom_mock::MockServer;

/// The README block's lines are the ones between the markers below, with the mock's documented
/// address in place of the embedded mock's.
const DOCUMENTED_BASE_URL: &str = "\"http://127.0.0.1:8080\"";
const EMBEDDED_BASE_URL: &str = "mock.uri()";

#[tokio::test]
#[rustfmt::skip] // the lines must stay as the README shows them
async fn the_readme_client_in_ten_lines_runs() -> Result<(), wecom_client::Error> {
    let mock = MockServer::start().await;
    // README begin
    use wecom_client::Client;
    use wecom_types::api::{AddContactWay, Scene};

    let client = Client::builder("wwmock0000000001", "mock-secret").base_url(mock.uri()).build()?;
    let created = client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("spring")).await?;
    println!("scan {}", created.qr_code.as_deref().unwrap_or_default());
    client.update_contact_way_merged(&created.config_id, |way| way.remark = Some("autumn".into())).await?; // keeps members
    let way = client.get_contact_way(&created.config_id).await?;
    assert_eq!(way.state.as_deref(), Some("spring"));
    // README end
    assert_eq!(way.remark.as_deref(), Some("autumn"));
    Ok(())
}

#[test]
fn the_readme_shows_the_lines_this_test_runs() {
    let source = include_str!("readme.rs");
    let begin = source.find("    // README begin\n").expect("begin marker") + "    // README begin\n".len();
    let end = source.find("    // README end\n").expect("end marker");
    let tested: Vec<String> = source[begin..end]
        .lines()
        .map(|line| line.strip_prefix("    ").unwrap_or(line).replace(EMBEDDED_BASE_URL, DOCUMENTED_BASE_URL))
        .collect();
    let readme = include_str!("../../../../README.md");
    let start =
        readme.find("```rust\nuse wecom_client::Client;\n").expect("the README's client block") + "```rust\n".len();
    let block: Vec<&str> = readme[start..].lines().take_while(|line| *line != "```").collect();
    assert_eq!(block, tested, "README.md's client block differs from tests/it/readme.rs");
}
