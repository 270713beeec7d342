//! What many clients at once must never see: a config id handed out twice, the quota exceeded, a
//! lost or torn update, a list walk that skips or repeats a config that was there all along.
//!
//! Each property runs in a fresh corp made through the control surface (it needs a small quota
//! and must not disturb anyone else's configs) and returns a description of the first violation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures_util::TryStreamExt;
use serde_json::json;
use tokio::task::JoinSet;
use wecom_client::Client;
use wecom_types::api::{AddContactWay, ListContactWay, Scene, UpdateContactWay};
use wecom_types::{ErrCode, Patch};

use crate::setup::Setup;
use crate::target::Target;

/// A fresh corp and `n` independent clients of its main app.
async fn corp(target: &Target, name: &str, setup: &Setup, n: usize) -> Result<(String, Vec<Client>), String> {
    let corpid = format!("wwconc{name}{}", std::process::id() % 100_000);
    let fixture = setup.fixture(&corpid);
    target.put_corp(&fixture).await.map_err(|e| format!("cannot create {corpid}: {e:?}"))?;
    target.clock(&corpid, json!({"set": setup.start})).await.map_err(|e| format!("cannot set the clock: {e:?}"))?;
    let secret = fixture.apps.first().map(|a| a.secret.clone()).unwrap_or_default();
    let clients =
        (0..n).map(|_| target.client(&corpid, &secret)).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    Ok((corpid, clients))
}

fn single(user: &str, state: String) -> AddContactWay {
    AddContactWay::single(user, Scene::QR_CODE).with_state(state)
}

/// `clients` clients each add `per_client` configs at once into a corp whose quota is `quota`:
/// exactly `min(quota, attempts)` succeed, every other add is 41045, no id is handed out twice,
/// and the dump agrees.
pub async fn unique_ids_and_exact_quota(
    target: &Target,
    clients: usize,
    per_client: usize,
    quota: u32,
) -> Result<(), String> {
    let setup = Setup { quota, ..Setup::default() };
    let (corpid, all) = corp(target, "quota", &setup, clients).await?;
    let mut tasks = JoinSet::new();
    for (c, client) in all.into_iter().enumerate() {
        tasks.spawn(async move {
            let mut out = Vec::new();
            for i in 0..per_client {
                out.push(client.add_contact_way(&single("zhangsan", format!("c{c}-{i}"))).await.map(|r| r.config_id));
            }
            out
        });
    }
    let mut ids = Vec::new();
    let mut refused = 0usize;
    while let Some(done) = tasks.join_next().await {
        for result in done.map_err(|e| e.to_string())? {
            match result {
                Ok(id) => ids.push(id),
                Err(e) if e.code() == Some(ErrCode::CONTACT_WAY_QUOTA_EXCEEDED) => refused += 1,
                Err(e) => return Err(format!("an add failed with something other than 41045: {e}")),
            }
        }
    }
    let attempts = clients * per_client;
    let unique: BTreeSet<&String> = ids.iter().collect();
    let expected = attempts.min(quota as usize);
    let dump = target.dump(&corpid).await.map_err(|e| format!("{e:?}"))?;
    let _ = target.delete_corp(&corpid).await;
    if unique.len() != ids.len() {
        return Err(format!("a config id was handed out twice: {} ids, {} distinct", ids.len(), unique.len()));
    }
    if ids.len() != expected || refused != attempts - expected {
        return Err(format!("quota {quota}, {attempts} adds: {} succeeded and {refused} got 41045", ids.len()));
    }
    let stored = dump["contact_ways"].as_array().map_or(0, Vec::len);
    let used = dump["quota"]["contact_ways_used"].as_u64().unwrap_or(u64::MAX);
    if stored != expected || used != expected as u64 {
        return Err(format!("the dump holds {stored} configs and counts {used} quota units, {expected} expected"));
    }
    Ok(())
}

/// `writers` clients overwrite remark and state of one shared config together, each with its
/// own value for both, while `readers` clients read it: every read sees remark == state (never a
/// mix of two writes), and the final config is one writer's last write. Each writer also owns a
/// config of its own, whose final value must be its last write (no update is lost).
pub async fn no_lost_or_torn_updates(
    target: &Target,
    writers: usize,
    readers: usize,
    rounds: usize,
) -> Result<(), String> {
    let (corpid, all) = corp(target, "update", &Setup::default(), writers + readers).await?;
    let first = all.first().ok_or("no client")?.clone();
    let shared = first.add_contact_way(&single("zhangsan", "w0-0".into())).await.map_err(|e| e.to_string())?.config_id;
    first
        .update_contact_way(&UpdateContactWay { remark: Patch::Set("w0-0".into()), ..UpdateContactWay::new(&shared) })
        .await
        .map_err(|e| e.to_string())?;
    let shared = Arc::new(shared);
    // A writer reports its own config and last value; a reader reports the torn reads it saw.
    type Report = Result<(Option<(String, String)>, Vec<String>), String>;
    let mut tasks: JoinSet<Report> = JoinSet::new();
    for (w, client) in all.iter().take(writers).cloned().enumerate() {
        let shared = Arc::clone(&shared);
        tasks.spawn(async move {
            let own =
                client.add_contact_way(&single("lisi", format!("own{w}"))).await.map_err(|e| e.to_string())?.config_id;
            let mut last = String::new();
            for r in 0..rounds {
                let value = format!("w{w}-{r}");
                let both = |id: &str| UpdateContactWay {
                    remark: Patch::Set(value.clone()),
                    state: Patch::Set(value.clone()),
                    ..UpdateContactWay::new(id)
                };
                client.update_contact_way(&both(&shared)).await.map_err(|e| e.to_string())?;
                client.update_contact_way(&both(&own)).await.map_err(|e| e.to_string())?;
                last = value;
            }
            Ok((Some((own, last)), Vec::new()))
        });
    }
    for client in all.into_iter().skip(writers) {
        let shared = Arc::clone(&shared);
        tasks.spawn(async move {
            let mut torn = Vec::new();
            for _ in 0..rounds * 2 {
                let way = client.get_contact_way(&shared).await.map_err(|e| e.to_string())?;
                if way.remark != way.state {
                    torn.push(format!("remark {:?} / state {:?}", way.remark, way.state));
                }
            }
            Ok((None, torn))
        });
    }
    let mut owns = BTreeMap::new();
    let mut torn = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (own, t) = done.map_err(|e| e.to_string())??;
        owns.extend(own);
        torn.extend(t);
    }
    let final_shared = first.get_contact_way(&shared).await.map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    if !torn.is_empty() {
        problems.push(format!("{} torn reads, e.g. {}", torn.len(), torn[0]));
    }
    let last_writes: BTreeSet<String> = (0..writers).map(|w| format!("w{w}-{}", rounds - 1)).collect();
    let remark = final_shared.remark.clone().unwrap_or_default();
    if final_shared.remark != final_shared.state || !last_writes.contains(&remark) {
        problems.push(format!(
            "the shared config ended as remark {:?} / state {:?}",
            final_shared.remark, final_shared.state
        ));
    }
    for (id, last) in &owns {
        let way = first.get_contact_way(id).await.map_err(|e| e.to_string())?;
        if way.remark.as_deref() != Some(last.as_str()) || way.state.as_deref() != Some(last.as_str()) {
            problems.push(format!(
                "a writer's own config lost its last update {last:?}: {:?} / {:?}",
                way.remark, way.state
            ));
        }
        if way.user.as_deref() != Some(&["lisi".to_owned()][..]) {
            problems.push(format!("an update that did not mention members changed them: {:?}", way.user));
        }
    }
    let _ = target.delete_corp(&corpid).await;
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}

/// While `churners` clients add and delete configs, `walkers` clients walk every page with a
/// small page size: each config that exists for the whole walk appears exactly once in every
/// walk, and no walk repeats an id.
pub async fn list_walks_are_consistent(
    target: &Target,
    stable: usize,
    churners: usize,
    walkers: usize,
) -> Result<(), String> {
    let (corpid, all) = corp(target, "walk", &Setup::default(), churners + walkers + 1).await?;
    let setup_client = all.first().ok_or("no client")?.clone();
    let mut stable_ids = BTreeSet::new();
    for i in 0..stable {
        let id = setup_client.add_contact_way(&single("zhangsan", format!("s{i}"))).await.map_err(|e| e.to_string())?;
        stable_ids.insert(id.config_id);
    }
    let mut tasks: JoinSet<Result<Option<Vec<String>>, String>> = JoinSet::new();
    for (c, client) in all.iter().skip(1).take(churners).cloned().enumerate() {
        tasks.spawn(async move {
            for i in 0..stable {
                let id =
                    client.add_contact_way(&single("lisi", format!("t{c}-{i}"))).await.map_err(|e| e.to_string())?;
                if i % 2 == 0 {
                    client.del_contact_way(&id.config_id).await.map_err(|e| e.to_string())?;
                }
            }
            Ok(None)
        });
    }
    for client in all.into_iter().skip(1 + churners) {
        tasks.spawn(async move {
            let filter = ListContactWay { limit: Some(3), ..Default::default() };
            client.contact_way_ids(filter).try_collect::<Vec<String>>().await.map(Some).map_err(|e| e.to_string())
        });
    }
    let mut problems = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Some(walk) = done.map_err(|e| e.to_string())?? {
            let seen: BTreeSet<&String> = walk.iter().collect();
            if seen.len() != walk.len() {
                problems.push(format!("a walk repeated an id ({} ids, {} distinct)", walk.len(), seen.len()));
            }
            let missing: Vec<&String> = stable_ids.iter().filter(|id| !seen.contains(id)).collect();
            if !missing.is_empty() {
                problems.push(format!("a walk missed {} configs that existed throughout", missing.len()));
            }
        }
    }
    let _ = target.delete_corp(&corpid).await;
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}
