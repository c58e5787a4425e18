//! The catalog's XML system: SAP S/4HANA's OData V2 `API_BUSINESS_PARTNER`
//! read as Atom XML (`connectors/sap.yaml`), against a replay of the feed as
//! SAP and the OData V2 Atom format document it: namespaces, `m:type`
//! attributes (the text under `#text`), `m:null`, an `&amp;` entity,
//! non-ASCII, and `m:count` ending the `$skip`/`$top` listing.

#[path = "support/catalog.rs"]
mod catalog;
mod common;
#[path = "support/replay.rs"]
mod replay;

use catalog::*;
use common::Sandbox;
use replay::Replay;

/// business_partner, category, full_name, created, last_change, blocked
type PartnerRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<bool>,
);

#[tokio::test(flavor = "multi_thread")]
async fn business_partners_land_from_the_atom_feed() {
    let replay = Replay::start("sap").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "sap", &replay, &["sync"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests();
    assert_eq!(seen.len(), 1, "{:?}", replay.lines());
    assert_eq!(seen[0].param("$skip"), Some("0"));
    assert_eq!(seen[0].param("$top"), Some("1000"));
    assert_eq!(seen[0].param("$inlinecount"), Some("allpages"));
    assert_eq!(
        seen[0].header("authorization"),
        Some(basic(SAP_USER, SAP_PASSWORD).as_str())
    );
    let pool = sandbox.pool().await;
    let rows: Vec<PartnerRow> = sqlx::query_as(
        "SELECT business_partner, category, full_name, created, last_change, blocked \
         FROM sap_business_partners ORDER BY business_partner",
    )
    .fetch_all(&pool)
    .await
    .expect("sap_business_partners");
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.0.as_str(),
                r.1.as_deref(),
                r.2.as_deref(),
                r.3.as_deref(),
                r.4.as_deref(),
                r.5,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "1000000",
                Some("organization"),
                Some("Inlandskunde DE 1"),
                Some("2024-01-15"),
                Some("2024-03-04"),
                Some(false),
            ),
            (
                "1000001",
                Some("person"),
                Some("Jürgen Müller"),
                Some("2024-02-01"),
                None,
                Some(false),
            ),
            (
                "17100003",
                Some("organization"),
                Some("Domestic US Supplier 3 & Co."),
                Some("2023-11-20"),
                Some("2024-03-07"),
                Some(true),
            ),
        ]
    );
}
