//! The dashboard at `/__admin/ui`: every corp's quotas, apps, configs (with their QR codes),
//! groups, customers and the message and callback log, rendered on the server. A little
//! script refreshes it and drives the control surface (simulate scan / join, verify a callback
//! URL); no build step.
//!
//! With `--admin-token` the page itself takes the token as `?token=` (a browser cannot send a
//! header when following a link); the script sends it on as `Authorization: Bearer` and never
//! writes it into the page.

use std::fmt::Write as _;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use rand::Rng;
use wecom_types::limits::next_beijing_midnight;

use super::admin;
use super::query::{query_pairs, query_value};
use crate::api::{AdminError, AdminErrorKind, CorpView, TempView};
use crate::state::MockState;

/// The dashboard's path.
pub(super) const PATH: &str = "/__admin/ui";

/// Rows shown per table; the rest is counted, not listed.
const ROWS: usize = 60;

/// Serves the page (or, with `?fragment=1`, only its refreshed content).
pub(super) fn page(state: &MockState, req: &Request<Incoming>, query: &str) -> Response<super::response::Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return admin::error_response(&AdminError::new(AdminErrorKind::MethodNotAllowed, "the dashboard is GET only"));
    }
    let pairs = query_pairs(query);
    let token = query_value(&pairs, "token").filter(|t| !t.is_empty()).or(admin::bearer(req));
    let corps = match state.scope_of(token).and_then(|scope| state.control_as(scope).dashboard(ROWS)) {
        Ok(corps) => corps,
        Err(denied) if denied.kind == AdminErrorKind::Unauthorized => return unauthorized_page(),
        Err(denied) => return admin::error_response(&denied),
    };
    let mut content = render_corps(&corps);
    server_footer(state, &mut content);
    let fragment = query_value(&pairs, "fragment") == Some("1");
    let nonce = crate::core::hex::u128_string(rand::rng().random());
    let body = if fragment { content } else { page_html(&nonce, &content) };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if !fragment && let Some(csp) = csp(&nonce) {
        headers.insert("content-security-policy", csp);
    }
    response
}

/// The 401 a browser shows: a page that says how to get in, not the admin JSON.
fn unauthorized_page() -> Response<super::Body> {
    let body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <title>wecom-mock dashboard: admin token needed</title></head><body>\
        <h1>Admin token needed</h1>\
        <p>This mock runs with an admin token. Open the dashboard as \
        <code>/__admin/ui?token=&lt;admin token&gt;</code>: the operator's token shows every corp, \
        a tenant's <code>admin_token</code> its own corp.</p></body></html>";
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("www-authenticate", HeaderValue::from_static("Bearer"));
    response
}

/// Only the page's own nonce-tagged script and style run; every value shown comes from
/// fixtures and requests, so this backs up the escaping.
fn csp(nonce: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
    ))
    .ok()
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Unix seconds as `YYYY-MM-DD hh:mm:ss UTC` (the zone written out: the page also shows
/// Beijing days).
pub(crate) fn utc(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Every corp the dashboard's scope sees.
fn render_corps(corps: &[CorpView]) -> String {
    let mut out = String::new();
    if corps.is_empty() {
        out.push_str("<p class=\"empty\">No corps. <code>PUT /__admin/corps/{corpid}</code> adds one.</p>");
    }
    for corp in corps {
        out.push_str(&render_corp(corp));
    }
    out
}

/// The server's own line, refreshed with the corps: connections open against
/// `--max-connections`.
fn server_footer(state: &MockState, out: &mut String) {
    let _ = write!(
        out,
        "<footer class=\"server\">open connections: <span class=\"num\" id=\"connections-open\">{}</span> of {}</footer>",
        state.traffic.connections.open(),
        state.settings.max_connections
    );
}

fn gauge(out: &mut String, label: &str, used: u32, limit: u32, note: &str) {
    let _ = write!(
        out,
        "<div class=\"gauge\"><span>{}</span><meter min=\"0\" max=\"{limit}\" value=\"{used}\" high=\"{}\"></meter>\
         <span class=\"num\">{used} / {limit}</span>{}</div>",
        esc(label),
        u64::from(limit) * 9 / 10,
        if note.is_empty() { String::new() } else { format!("<small>{}</small>", esc(note)) },
    );
}

fn more(out: &mut String, total: usize) {
    if total > ROWS {
        let _ = write!(out, "<p class=\"more\">… and {} more (newest shown)</p>", total - ROWS);
    }
}

fn render_corp(corp: &CorpView) -> String {
    let now = corp.now;
    let corpid = esc(&corp.corpid);
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"corp\" data-corpid=\"{corpid}\"><h2>{}<code>{corpid}</code> <small>{} · clock {}{}</small></h2>",
        // The name without the id (a tenant's default name is `Tenant <corpid>`): the id once.
        match corp.name.replace(corp.corpid.as_str(), "").trim() {
            "" => String::new(),
            name => format!("{} ", esc(name)),
        },
        esc(&corp.industry),
        utc(now),
        if corp.frozen { " (frozen)" } else { "" },
    );

    out.push_str("<div class=\"gauges\">");
    gauge(&mut out, "Contact Me + Join Group configs", corp.configs_used, corp.configs_limit, "");
    let resets = format!("resets {}", utc(next_beijing_midnight(now)));
    gauge(&mut out, "temp configs today (Beijing day)", corp.temp_today_used, corp.temp_daily_limit, &resets);
    out.push_str("</div>");

    out.push_str("<h3>Apps</h3><table class=\"apps\"><thead><tr><th>agentid</th><th>customer contact</th><th>callback URL</th><th></th></tr></thead><tbody>");
    for app in &corp.apps {
        let callback = match &app.callback_url {
            Some(url) => format!(
                "<code>{}</code></td><td><button data-action=\"verify\" data-corpid=\"{corpid}\" data-agentid=\"{}\">Verify URL</button>",
                esc(url),
                app.agentid
            ),
            None => "<span class=\"dim\">none</span></td><td>".to_owned(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{callback}</td></tr>",
            app.agentid,
            if app.customer_contact { "yes" } else { "no (48002)" }
        );
    }
    out.push_str("</tbody></table>");

    render_contact_ways(&mut out, corp, &corpid);
    render_join_ways(&mut out, corp, &corpid);
    render_customers(&mut out, corp);
    render_messages(&mut out, corp);
    out.push_str("</section>");
    out
}

fn render_contact_ways(out: &mut String, corp: &CorpView, corpid: &str) {
    let _ = write!(out, "<h3>Contact Me configs ({})</h3><div class=\"cards\">", corp.contact_way_count);
    if corp.contact_ways.is_empty() {
        out.push_str("<p class=\"empty\">None yet: <code>externalcontact/add_contact_way</code> creates one.</p>");
    }
    for way in &corp.contact_ways {
        let id = &way.config_id;
        let members: Vec<String> = way.members.iter().map(|m| esc(m)).collect();
        let parties: Vec<String> = way.parties.iter().map(u32::to_string).collect();
        let customers = way.customers;
        let qr = if way.qr_code {
            format!("<img class=\"qr\" src=\"/qr/{id}\" alt=\"QR code of {id}\" width=\"132\" height=\"132\">")
        } else {
            "<div class=\"qr none\">mini-program<br>(scene 1)</div>".to_owned()
        };
        let temp = match way.temp {
            Some(TempView::Used) => "temp · used".to_owned(),
            Some(TempView::Expired) => "temp · expired".to_owned(),
            Some(TempView::Until(at)) => format!("temp · until {}", utc(at)),
            None => String::new(),
        };
        // A used or expired temp code cannot be scanned again (409 / 410): offer nothing.
        let scannable = !matches!(way.temp, Some(TempView::Used | TempView::Expired));
        let action = if scannable {
            format!(
                "<button data-action=\"scan\" data-corpid=\"{corpid}\" data-config-id=\"{id}\">Simulate scan</button>"
            )
        } else {
            "<p class=\"dim\">one-time code: no more scans</p>".to_owned()
        };
        let _ = write!(
            out,
            "<article class=\"config\" data-config-id=\"{id}\">{qr}<dl>\
             <dt>config_id</dt><dd><code>{id}</code></dd>\
             <dt>state</dt><dd class=\"state\">{}</dd>\
             <dt>{}</dt><dd>{}{}</dd>\
             <dt>customers</dt><dd class=\"count\">{customers}</dd>{}{}</dl>{action}</article>",
            if way.state.is_empty() { "<span class=\"dim\">(none)</span>".to_owned() } else { esc(&way.state) },
            if way.several_members { "members" } else { "member" },
            members.join(", "),
            if parties.is_empty() { String::new() } else { format!(" · departments {}", parties.join(", ")) },
            if way.remark.is_empty() { String::new() } else { format!("<dt>remark</dt><dd>{}</dd>", esc(&way.remark)) },
            if temp.is_empty() { String::new() } else { format!("<dt>temp</dt><dd>{temp}</dd>") },
        );
    }
    out.push_str("</div>");
    more(out, corp.contact_way_count);
}

fn render_join_ways(out: &mut String, corp: &CorpView, corpid: &str) {
    let _ = write!(out, "<h3>Join Group configs ({})</h3><div class=\"cards\">", corp.join_way_count);
    if corp.join_ways.is_empty() {
        out.push_str(
            "<p class=\"empty\">None yet: <code>externalcontact/groupchat/add_join_way</code> creates one.</p>",
        );
    }
    for way in &corp.join_ways {
        let id = &way.config_id;
        let qr = if way.qr_code {
            format!("<img class=\"qr\" src=\"/qr/{id}\" alt=\"QR code of {id}\" width=\"132\" height=\"132\">")
        } else {
            "<div class=\"qr none\">mini-program<br>(scene 1)</div>".to_owned()
        };
        let mut groups = String::new();
        for chat in &way.groups {
            let _ = write!(
                groups,
                "<li><span>{} <code>{}</code></span><meter min=\"0\" max=\"{}\" value=\"{}\"></meter><span class=\"num\">{} / {}</span></li>",
                esc(&chat.name),
                esc(&chat.chat_id),
                chat.member_limit,
                chat.members,
                chat.members,
                chat.member_limit,
            );
        }
        let _ = write!(
            out,
            "<article class=\"config join\" data-config-id=\"{id}\">{qr}<dl>\
             <dt>config_id</dt><dd><code>{id}</code></dd>\
             <dt>state</dt><dd class=\"state\">{}</dd>\
             <dt>auto rooms</dt><dd>{}</dd></dl><ul class=\"groups\">{groups}</ul>\
             <button data-action=\"join\" data-corpid=\"{corpid}\" data-config-id=\"{id}\">Simulate join</button></article>",
            if way.state.is_empty() { "<span class=\"dim\">(none)</span>".to_owned() } else { esc(&way.state) },
            match &way.next_room {
                Some((base_name, next)) => format!("on · {}{next}…", esc(base_name)),
                None => "off".to_owned(),
            },
        );
    }
    out.push_str("</div>");
    more(out, corp.join_way_count);
}

fn render_customers(out: &mut String, corp: &CorpView) {
    let _ = write!(
        out,
        "<h3>Customers ({})</h3><table class=\"customers\"><thead><tr><th>added</th><th>external_userid</th><th>name</th>\
         <th>member</th><th>state</th><th>config</th><th>add_way</th></tr></thead><tbody>",
        corp.customer_count
    );
    for rel in &corp.customers {
        let _ = write!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"state\">{}</td><td><code>{}</code></td><td>{}{}</td></tr>",
            utc(rel.added),
            esc(&rel.external_userid),
            esc(&rel.name),
            esc(&rel.userid),
            esc(&rel.state),
            rel.config_id.as_deref().unwrap_or_default(),
            rel.add_way,
            if rel.temp { " · temp" } else { "" },
        );
    }
    out.push_str("</tbody></table>");
    more(out, corp.customer_count);
}

fn render_messages(out: &mut String, corp: &CorpView) {
    let _ = write!(
        out,
        "<h3>Messages and callbacks ({})</h3><table class=\"messages\"><thead><tr><th>at</th><th>kind</th><th>event / reason</th>\
         <th>to</th><th>HTTP</th><th>attempts</th></tr></thead><tbody>",
        corp.message_count
    );
    for m in &corp.messages {
        let kind = m.kind;
        let what = [m.event.as_deref(), m.reason.as_deref(), m.welcome.as_deref()]
            .into_iter()
            .flatten()
            .map(esc)
            .collect::<Vec<_>>()
            .join(" · ");
        let status = match (m.callback, m.status) {
            (_, Some(code)) if (200..300).contains(&code) => format!("<span class=\"ok\">{code}</span>"),
            (_, Some(code)) => format!("<span class=\"bad\">{code}</span>"),
            (true, None) => "<span class=\"bad\">none</span>".to_owned(),
            (false, None) => String::new(),
        };
        let _ = write!(
            out,
            "<tr class=\"{kind}\"><td>{}</td><td>{kind}</td><td>{what}</td><td><code>{}</code></td><td>{status}</td><td>{}</td></tr>",
            utc(m.at),
            esc(&m.to),
            m.attempts.map(|a| a.to_string()).unwrap_or_default(),
        );
    }
    out.push_str("</tbody></table>");
    more(out, corp.message_count);
}

fn page_html(nonce: &str, content: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">
<title>wecom-mock dashboard</title>
<style nonce="{nonce}">{STYLE}</style></head>
<body><header><h1>wecom-mock</h1><span id="status" role="status" aria-live="polite"></span>
<label><input type="checkbox" id="auto" checked> refresh every 2 s</label></header>
<main id="main">{content}</main>
<script nonce="{nonce}">{SCRIPT}</script></body></html>"#
    )
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d232a;background:#f4f6f8}
header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1f6f4a;color:#fff;position:sticky;top:0;z-index:1}
header h1{font-size:1.2em;margin:0}#status{flex:1;font-family:ui-monospace,monospace;font-size:.9em}
main{padding:0 1.2em 2em}section.corp{background:#fff;border:1px solid #d8dee4;border-radius:8px;margin:1.2em 0;padding:.4em 1.2em 1em}
h2 small{font-weight:normal;color:#57606a;font-size:.7em}h3{margin:1.2em 0 .5em;font-size:1em;color:#24292f}
code{font-family:ui-monospace,monospace;font-size:.9em}.dim,.empty,.more{color:#8c959f}
.gauges{display:flex;flex-wrap:wrap;gap:1.5em}.gauge{display:flex;gap:.5em;align-items:center}.gauge meter{width:12em}
.num{font-variant-numeric:tabular-nums}.cards{display:flex;flex-wrap:wrap;gap:.8em}
article.config{display:grid;grid-template-columns:132px 1fr;gap:.3em .8em;border:1px solid #d8dee4;border-radius:6px;padding:.6em;width:430px;align-content:start}
article.config img.qr,.qr.none{grid-row:span 2;width:132px;height:132px;image-rendering:pixelated}
.qr.none{display:flex;align-items:center;justify-content:center;text-align:center;background:#eef1f4;color:#57606a;font-size:.85em}
dl{display:grid;grid-template-columns:auto 1fr;gap:.1em .6em;margin:0}dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
article button{grid-column:2;justify-self:start}ul.groups{grid-column:1/3;list-style:none;margin:0;padding:0}
ul.groups li{display:grid;grid-template-columns:1fr 8em 5em;gap:.5em;align-items:center}
button{font:inherit;padding:.25em .8em;border:1px solid #1f6f4a;background:#2da06a;color:#fff;border-radius:5px;cursor:pointer}
button:disabled{opacity:.5}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .6em;border-bottom:1px solid #eaeef2;vertical-align:top}
footer.server{color:#57606a;font-size:.9em;padding:.5em 0}th{color:#57606a;font-weight:600}.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
"#;

const SCRIPT: &str = r#"
const token = new URLSearchParams(location.search).get('token');
const auth = token ? { Authorization: 'Bearer ' + token } : {};
const main = document.getElementById('main');
const status = document.getElementById('status');
async function refresh() {
  const answer = await fetch('/__admin/ui?fragment=1', { headers: auth, cache: 'no-store' });
  if (answer.ok) main.innerHTML = await answer.text();
}
function describe(action, body) {
  if (action === 'scan') return `scan: ${body.external_userid} added ${body.userid} (state "${body.state}")`;
  if (action === 'join') return `join: ${body.external_userid} joined ${body.chat_id} (state "${body.state}")`;
  return `verify ${body.url}: ${body.ok ? 'ok' : 'failed'}${body.reason ? ' (' + body.reason + ')' : ''}`;
}
main.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const { action, corpid, configId, agentid } = button.dataset;
  const [path, body] = action === 'verify'
    ? [`/__admin/corps/${encodeURIComponent(corpid)}/apps/${agentid}/verify_callback`, {}]
    : [`/__admin/${action}`, { corpid, config_id: configId }];
  button.disabled = true;
  try {
    const answer = await fetch(path, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const json = await answer.json().catch(() => ({}));
    status.textContent = answer.ok ? describe(action, json) : `${action}: ${json.error || answer.status} ${json.message || ''}`;
  } catch (err) {
    status.textContent = `${action}: ${err}`;
  }
  await refresh();
  // Callbacks are sent after the change: look again once they have had time to arrive.
  setTimeout(refresh, 700);
});
setInterval(() => { if (document.getElementById('auto').checked && !document.hidden) refresh(); }, 2000);
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_content_and_attributes() {
        assert_eq!(
            esc(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn unix_seconds_read_as_utc_dates() {
        for (unix, text) in [
            (0, "1970-01-01 00:00:00 UTC"),
            (1_750_000_000, "2025-06-15 15:06:40 UTC"),
            (951_782_400, "2000-02-29 00:00:00 UTC"),
            (-1, "1969-12-31 23:59:59 UTC"),
            (1_625_875_200, "2021-07-10 00:00:00 UTC"),
        ] {
            assert_eq!(utc(unix), text, "{unix}");
        }
    }

    #[test]
    fn the_policy_allows_only_the_pages_own_nonce() {
        let policy = csp("abc123").map(|v| v.to_str().unwrap_or_default().to_owned()).unwrap_or_default();
        assert!(policy.contains("script-src 'nonce-abc123'"), "{policy}");
    }
}
