//! The crate docs' "Getting started", runnable: start the mock (`cargo run -p wecom-mock`), then
//! `cargo run -p wecom-client --example quickstart`. `WECOM_BASE_URL`, `WECOM_CORPID` and
//! `WECOM_SECRET` point it elsewhere (the defaults are the mock's default corp).

use std::process::ExitCode;

use futures_util::TryStreamExt;
use wecom_client::{Client, Error};
use wecom_types::api::{AddContactWay, AddJoinWay, ListContactWay, Scene};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// An optional text as a reader wants it: the value, or "(none)".
fn shown(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("(none)")
}

/// A member list as "zhangsan, lisi", or "(none)".
fn listed(values: &Option<Vec<String>>) -> String {
    match values.as_deref() {
        Some([]) | None => "(none)".to_owned(),
        Some(values) => values.join(", "),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match tour().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The message, not the Debug dump: it names the URL and what to do.
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn tour() -> Result<(), Error> {
    let client = Client::builder(env_or("WECOM_CORPID", "wwmock0000000001"), env_or("WECOM_SECRET", "mock-secret"))
        .base_url(env_or("WECOM_BASE_URL", "http://127.0.0.1:8080"))
        .build()?;

    let created = client
        .add_contact_way(&AddContactWay::multi(["zhangsan", "lisi"], [], Scene::QR_CODE).with_state("spring"))
        .await?;
    println!("contact way {} scans at {}", created.config_id, shown(&created.qr_code));

    // Change the remark and add a member: the other member and the state stay.
    let way = client
        .update_contact_way_merged(&created.config_id, |way| {
            way.remark = Some("spring campaign".into());
            way.user.get_or_insert_with(Vec::new).push("wangwu".into());
        })
        .await?;
    println!("members now {}", listed(&way.user));
    let stored = client.get_contact_way(&created.config_id).await?;
    println!(
        "read back: members {}, state {}, remark {}",
        listed(&stored.user),
        shown(&stored.state),
        shown(&stored.remark)
    );

    let ids: Vec<String> = client.contact_way_ids(ListContactWay::default()).try_collect().await?;
    let listed = if ids.len() == 1 { "contact way" } else { "contact ways" };
    println!("{} {listed} listed, ours among them: {}", ids.len(), ids.contains(&created.config_id));

    let group = client.create_join_way(&AddJoinWay::new(Scene::QR_CODE, ["wrmockchat0001"]).with_state("vip")).await?;
    println!("join way {} scans at {}", group.config_id, shown(&group.qr_code));
    client.update_join_way_merged(&group.config_id, |way| way.remark = Some("VIP".into())).await?;
    let stored = client.get_join_way(&group.config_id).await?;
    println!("join way read back: state {}, remark {}", shown(&stored.state), shown(&stored.remark));

    client.del_contact_way(&created.config_id).await?;
    client.del_join_way(&group.config_id).await?;
    println!("cleaned up");
    Ok(())
}
