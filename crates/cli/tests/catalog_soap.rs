//! `connectors/countryinfo.yaml` (issue 16): a SOAP 1.1 service out of a
//! replay of its documented exchange: the envelope `POST`ed as a text
//! `body:` with its own content type and the `SOAPAction` header, the
//! records read from the answer's envelope by element path (prefixes
//! dropped, entities decoded); a `200` whose body is a SOAP Fault fails the
//! sync quoting the `faultstring`, and writes nothing.

#[path = "support/catalog.rs"]
mod catalog;
mod common;
#[path = "support/replay.rs"]
mod replay;

use catalog::*;
use common::{Sandbox, runs};
use replay::Replay;

const SERVICE: &str = "/websamples.countryinfo/CountryInfoService.wso";

#[tokio::test(flavor = "multi_thread")]
async fn the_envelope_is_posted_and_the_countries_land() {
    let replay = Replay::start("countryinfo").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "countryinfo", &replay, &["sync"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests();
    assert_eq!(seen.len(), 1, "{:?}", replay.lines());
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", SERVICE)
    );
    assert_eq!(
        seen[0].header("content-type"),
        Some("text/xml; charset=utf-8")
    );
    assert_eq!(seen[0].header("soapaction"), Some("\"\""));
    assert!(
        seen[0]
            .body
            .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope"),
        "the envelope as written: {}",
        seen[0].body
    );
    let pool = sandbox.pool().await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT \"sISOCode\", name FROM countries ORDER BY \"sISOCode\"")
            .fetch_all(&pool)
            .await
            .expect("countries");
    let got: Vec<(&str, &str)> = rows.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
    assert_eq!(got.len(), 4, "{got:?}");
    for expected in [
        ("AF", "Afghanistan"),
        ("AX", "Åland Islands"),
        ("CI", "Côte D'Ivoire (Ivory Coast)"),
        ("TT", "Trinidad & Tobago"),
    ] {
        assert!(got.contains(&expected), "{expected:?} in {got:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_soap_fault_in_a_200_fails_and_writes_nothing() {
    let replay = Replay::start_dir(&replay::fixtures_root().join("countryinfo/faults")).await;
    let sandbox = Sandbox::new();
    let out = run(&sandbox, "countryinfo", &replay, &["sync"], &[]).await;
    out.expect_code(1);
    replay.assert_all_matched();
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!(
        (all[0].outcome.as_str(), all[0].created),
        ("failed", 0),
        "{all:?}"
    );
    let error = all[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("Database connection pool exhausted"),
        "the error quotes the faultstring: {error}"
    );
    let text = out.all_text();
    assert!(text.contains("countries"), "names the stream: {text}");
}
