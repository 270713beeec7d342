//! Encoding, decoding and validation of every request and answer, on the documented bodies
//! (`crates/types/tests/fixtures/`), plus the load tool's per-request bookkeeping.
//!
//! Per API: `decode_request` (the mock's `wire::decode_body`), `encode_request` (the client's
//! `serde_json::to_vec`), `validate` (both sides' `Validate`), `encode_response` (the mock's
//! `wire::encode_ok`) and `decode_response` (the client's `wire::decode_response`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use rand::SeedableRng;
use wecom_bench::load::{Mix, Stats};
use wecom_types::wire::{decode_body, decode_response, encode_ok};
use wecom_types::{Api, Endpoint, EndpointVisitor};

/// The benches of one API, on its documented bodies.
struct Codec<'a> {
    c: &'a mut Criterion,
    request: &'a str,
    response: &'a str,
}

impl EndpointVisitor for Codec<'_> {
    type Output = ();

    fn visit<E: Endpoint>(self) {
        let Codec { c, request, response } = self;
        let name = E::API.name();
        let mut group = c.benchmark_group(name);
        let req: E = match decode_body(request.as_bytes()) {
            Ok(req) => req,
            Err(err) => panic!("{name}: the request fixture does not decode: {err}"),
        };
        let payload: E::Response = match decode_response(response.as_bytes()) {
            Ok(Ok(payload)) => payload,
            _ => panic!("{name}: the response fixture is not a success answer"),
        };
        group.bench_function("decode_request", |b| b.iter(|| decode_body::<E>(black_box(request.as_bytes()))));
        group.bench_function("encode_request", |b| b.iter(|| serde_json::to_vec(black_box(&req))));
        group.bench_function("validate", |b| b.iter(|| black_box(&req).validate().is_ok()));
        group.bench_function("encode_response", |b| b.iter(|| encode_ok(black_box(&payload))));
        group.bench_function("decode_response", |b| {
            b.iter(|| decode_response::<E::Response>(black_box(response.as_bytes())))
        });
        group.finish();
    }
}

/// A fixture of `wecom-types`' tests: `<name>.request.json` or `<name>.response.json`.
fn fixture(api: Api, kind: &str) -> String {
    let path = format!("{}/../crates/types/tests/fixtures/{}.{kind}.json", env!("CARGO_MANIFEST_DIR"), api.name());
    match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => panic!("{path}: {err}"),
    }
}

fn codec(c: &mut Criterion) {
    for api in Api::ALL {
        let (request, response) = (fixture(api, "request"), fixture(api, "response"));
        api.visit(Codec { c: &mut *c, request: &request, response: &response });
    }
}

/// What `wecom-bench` adds to every request besides sending it: picking the op, two clock
/// reads and recording the latency and outcome. The "load tool overhead" of
/// `docs/PERFORMANCE.md` is this divided by the CPU a request costs the tool in all.
fn bookkeeping(c: &mut Criterion) {
    let mix = match Mix::preset("read-heavy") {
        Ok(mix) => mix,
        Err(err) => panic!("{err}"),
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut stats = Stats::default();
    c.bench_function("tool/bookkeeping_per_request", |b| {
        b.iter(|| {
            let op = mix.pick(&mut rng);
            let start = Instant::now();
            let latency = black_box(start.elapsed()).max(Duration::from_micros(150));
            stats.record(op, latency, None);
        })
    });
}

fn main() {
    // Short runs: the machine has 2 shared cores, and ratios within a run are what we compare.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    codec(&mut c);
    bookkeeping(&mut c);
    c.final_summary();
}
