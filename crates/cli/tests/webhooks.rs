//! `holdfast serve` receives webhooks signed by the vendors' official
//! libraries, queues each event once however often it is delivered, and
//! applies events by version: the newest wins whatever order they arrive
//! in, and a deleted record stays deleted (1,000 events, shuffled and
//! redelivered). Refused requests: `webhooks_refused.rs`; invalid events:
//! `webhooks_dead_letter.rs`; versions one at a time: `webhooks_versions.rs`.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;
#[path = "support/contact_events.rs"]
mod contact_events;
#[path = "support/webhooks.rs"]
mod webhooks_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use common::{JobRow, Serve, jobs, queue_json, sign_webhooks, unix_now, wait_drained};
use contact_events::{
    CONTACTS, Delivery, EVENTS, Event, Kind, Rng, check_answers, contact_events, send_all,
};
use serde_json::{Value, json};
use webhooks_support::{
    CRM_SECRET, DRAIN_LIMIT, GH_SECRET, STRIPE_SECRET, contact_rows, env, sandbox, sign_request,
    stored_version,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn official_signers_out_of_order_and_duplicates() {
    let sandbox = sandbox();
    let mut rng = Rng(0x5eed_0f40_11df_a5e5);
    let per_contact = contact_events();

    // Per contact: updates and delete in version order, then ~10% of the
    // events swapped with their successor (a later version arrives first).
    // The late updates are held back for the second phase.
    let mut sequences: Vec<Vec<Event>> = Vec::new();
    let mut late: Vec<Event> = Vec::new();
    let mut out_of_order = 0;
    for events in per_contact.values() {
        let mut seq: Vec<Event> = Vec::new();
        for e in events {
            if e.kind == Kind::LateUpdate {
                late.push(e.clone());
            } else {
                seq.push(e.clone());
            }
        }
        let mut i = 0;
        while i + 1 < seq.len() {
            if rng.chance(11) {
                seq.swap(i, i + 1);
                out_of_order += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        sequences.push(seq);
    }
    assert!(
        (80..=140).contains(&out_of_order),
        "about 10% delivered out of order: {out_of_order}"
    );
    // Interleave the contacts round-robin.
    let mut phase1: Vec<Event> = Vec::new();
    let longest = sequences.iter().map(Vec::len).max().unwrap_or(0);
    for j in 0..longest {
        for seq in &sequences {
            if let Some(e) = seq.get(j) {
                phase1.push(e.clone());
            }
        }
    }

    // Sign everything in one Python process: each event once, 10% of them
    // (100) again for a redelivery (half re-signed with a later timestamp,
    // half resent with the very same headers), the late updates, and a few
    // Stripe and GitHub events.
    let now = unix_now();
    let mut sign: Vec<Value> = Vec::new();
    for e in phase1.iter().chain(&late) {
        sign.push(sign_request(
            "standard_webhooks",
            CRM_SECRET,
            &e.id,
            now,
            &e.body,
        ));
    }
    let mut redelivered: BTreeSet<usize> = BTreeSet::new();
    while redelivered.len() < EVENTS / 10 {
        redelivered.insert(rng.below(phase1.len()));
    }
    let resigned: Vec<usize> = redelivered.iter().copied().step_by(2).collect();
    for &i in &resigned {
        let e = &phase1[i];
        sign.push(sign_request(
            "standard_webhooks",
            CRM_SECRET,
            &e.id,
            now + 1,
            &e.body,
        ));
    }
    let invoices: Vec<(String, String)> = (1..=3)
        .map(|i| {
            let body = json!({
                "id": format!("evt_stripe_{i}"),
                "object": "event",
                "type": "invoice.paid",
                "data": { "object": { "id": format!("in_{i}"), "object": "invoice", "amount_due": 1000 * i } },
            });
            (format!("evt_stripe_{i}"), body.to_string())
        })
        .collect();
    for (id, body) in &invoices {
        sign.push(sign_request("stripe", STRIPE_SECRET, id, now, body));
    }
    let pushes: Vec<(String, String)> = (1..=2)
        .map(|i| {
            let body = json!({
                "action": "created",
                "repository": { "id": 4000 + i, "full_name": format!("octo/repo-{i}") },
            });
            (
                format!("72d3162e-cc78-11e3-81ab-4c9367dc095{i}"),
                body.to_string(),
            )
        })
        .collect();
    for (id, body) in &pushes {
        sign.push(sign_request("github", GH_SECRET, id, now, body));
    }
    let signed = sign_webhooks(&sign);
    let mut signed = signed.into_iter();
    let mut first_headers: Vec<Vec<(String, String)>> = Vec::new();
    for _ in 0..phase1.len() {
        first_headers.push(signed.next().expect("signed"));
    }
    let late_headers: Vec<Vec<(String, String)>> = (0..late.len())
        .map(|_| signed.next().expect("signed"))
        .collect();
    let resigned_headers: HashMap<usize, Vec<(String, String)>> = resigned
        .iter()
        .map(|&i| (i, signed.next().expect("signed")))
        .collect();
    let invoice_headers: Vec<_> = (0..invoices.len())
        .map(|_| signed.next().expect("signed"))
        .collect();
    let push_headers: Vec<_> = (0..pushes.len())
        .map(|_| signed.next().expect("signed"))
        .collect();
    assert!(signed.next().is_none());

    // Phase 1: the events in their (partly shuffled) order, each redelivery
    // placed somewhere after its first copy, plus Stripe (one delivered
    // twice) and GitHub events.
    let mut deliveries: Vec<Delivery> = phase1
        .iter()
        .zip(&first_headers)
        .map(|(e, h)| Delivery {
            path: "/hooks/crm",
            event_id: e.id.clone(),
            body: e.body.clone(),
            headers: h.clone(),
        })
        .collect();
    let mut redeliveries: Vec<(usize, Delivery)> = redelivered
        .iter()
        .map(|&i| {
            let headers = resigned_headers
                .get(&i)
                .cloned()
                .unwrap_or_else(|| first_headers[i].clone());
            let at = i + 1 + rng.below(phase1.len() - i);
            (
                at,
                Delivery {
                    path: "/hooks/crm",
                    event_id: phase1[i].id.clone(),
                    body: phase1[i].body.clone(),
                    headers,
                },
            )
        })
        .collect();
    // insert from the back so earlier positions stay valid
    redeliveries.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    for (at, d) in redeliveries {
        deliveries.insert(at.min(deliveries.len()), d);
    }
    for (((id, body), h), i) in invoices.iter().zip(&invoice_headers).zip(0..) {
        let d = Delivery {
            path: "/hooks/stripe",
            event_id: id.clone(),
            body: body.clone(),
            headers: h.clone(),
        };
        if i == 0 {
            deliveries.insert(deliveries.len() / 3, d.clone());
        }
        deliveries.insert(deliveries.len() / 2, d);
    }
    for ((id, body), h) in pushes.iter().zip(&push_headers) {
        deliveries.insert(
            deliveries.len() / 4,
            Delivery {
                path: "/hooks/github",
                event_id: id.clone(),
                body: body.clone(),
                headers: h.clone(),
            },
        );
    }
    assert_eq!(
        deliveries.len(),
        phase1.len() + EVENTS / 10 + invoices.len() + 1 + pushes.len()
    );

    let env = env();
    let serve = Serve::start(&sandbox, &["--workers", "2"], &env).await;
    let pool = sandbox.pool().await;
    let started = Instant::now();
    let mut answers = send_all(&serve.url, &deliveries).await;
    let sent_in = started.elapsed();
    check_answers(&answers);
    wait_drained(&pool, DRAIN_LIMIT).await;

    // Phase 2, once the tombstones are in: the late, older updates, and
    // redeliveries of a few deletes.
    let mut second: Vec<Delivery> = late
        .iter()
        .zip(&late_headers)
        .map(|(e, h)| Delivery {
            path: "/hooks/crm",
            event_id: e.id.clone(),
            body: e.body.clone(),
            headers: h.clone(),
        })
        .collect();
    for (i, e) in phase1.iter().enumerate() {
        if e.kind == Kind::Delete && e.contact % 15 == 0 {
            second.push(Delivery {
                path: "/hooks/crm",
                event_id: e.id.clone(),
                body: e.body.clone(),
                headers: first_headers[i].clone(),
            });
        }
    }
    let second_answers = send_all(&serve.url, &second).await;
    check_answers(&second_answers);
    for a in &second_answers {
        if a.event_id.ends_with("-del") {
            assert_eq!(
                a.body["status"], "duplicate",
                "a delete redelivered long after its first copy: {}",
                a.body
            );
        }
    }
    answers.extend(second_answers);
    wait_drained(&pool, DRAIN_LIMIT).await;
    let duplicates = answers
        .iter()
        .filter(|a| a.body["status"] == "duplicate")
        .count();
    eprintln!(
        "sent {} requests in {sent_in:?} ({duplicates} answered duplicate); all applied after {:?}",
        answers.len(),
        started.elapsed()
    );

    // Each event was answered `queued` at least once (its first copy).
    let mut queued: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &answers {
        let n = queued.entry(a.event_id.as_str()).or_default();
        if a.body["status"] == "queued" {
            *n += 1;
        }
    }
    let never_queued: Vec<&&str> = queued
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| k)
        .collect();
    assert!(
        never_queued.is_empty(),
        "never answered `queued`: {never_queued:?}"
    );

    // One job per distinct event id, every one done.
    let all_jobs = jobs(&pool).await;
    let mut expected_keys: BTreeSet<String> = per_contact
        .values()
        .flatten()
        .map(|e| format!("webhook:crm_events:{}", e.id))
        .collect();
    expected_keys.extend(
        invoices
            .iter()
            .map(|(id, _)| format!("webhook:billing:{id}")),
    );
    // GitHub's delivery id is not signed: its events are keyed by their signed body
    expected_keys.extend(pushes.iter().map(|(_, body)| {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("webhook:gh:sha256:{hex}")
    }));
    let keys: Vec<String> = all_jobs
        .iter()
        .map(|j| {
            j.unique_key
                .clone()
                .expect("webhook jobs have a unique key")
        })
        .collect();
    assert_eq!(
        keys.len(),
        expected_keys.len(),
        "one job per distinct event id"
    );
    assert_eq!(
        keys.iter().cloned().collect::<BTreeSet<_>>(),
        expected_keys,
        "the jobs are the events sent"
    );
    let not_done: Vec<&JobRow> = all_jobs.iter().filter(|j| j.state != "done").collect();
    assert!(
        not_done.is_empty(),
        "every job done, none dead: {not_done:?}"
    );
    for j in &all_jobs {
        assert_eq!(j.kind, "webhook", "{j:?}");
        assert_eq!(j.attempts, 1, "applied at the first attempt: {j:?}");
    }
    // The events swapped in delivery really reached the store out of order:
    // the older of each pair came second and was found stale.
    let stale = all_jobs
        .iter()
        .filter(|j| j.result.as_deref() == Some("\"stale\""))
        .count();
    eprintln!("{out_of_order} pairs swapped; {stale} events stale");
    assert!(
        stale >= out_of_order + late.len() - 10,
        "{stale} stale events for {out_of_order} swapped pairs and {} late updates",
        late.len()
    );
    // The late updates reached a tombstone: stale, nothing written.
    let by_key: HashMap<&str, &JobRow> = all_jobs
        .iter()
        .map(|j| (j.unique_key.as_deref().unwrap_or_default(), j))
        .collect();
    for e in &late {
        let job = by_key[format!("webhook:crm_events:{}", e.id).as_str()];
        assert_eq!(job.result.as_deref(), Some("\"stale\""), "{job:?}");
    }

    // The table holds exactly the newest version of each contact.
    let rows = contact_rows(&pool).await;
    assert_eq!(rows.len() as i64, CONTACTS, "one row per contact");
    for (c, events) in &per_contact {
        let row = &rows[c];
        let newest = events.iter().max_by_key(|e| e.version).expect("events");
        let raw: Value = serde_json::from_str(&row._raw).expect("_raw is JSON");
        assert_eq!(
            row._version.as_deref(),
            Some(stored_version(newest.version).as_str()),
            "contact {c}: the newest version is stored ({row:?})"
        );
        match newest.kind {
            Kind::Delete => {
                assert!(
                    row._deleted_at.is_some(),
                    "contact {c} was deleted: {row:?}"
                );
                assert_eq!(row._last_change, 3, "contact {c}: {row:?}");
                assert!(
                    !row._raw.contains(".late@"),
                    "contact {c}: the late update did not resurrect it: {row:?}"
                );
                // a tombstone keeps the content it had (or the delete's own
                // record, had the delete come first)
                assert!(
                    events
                        .iter()
                        .any(|e| e.kind != Kind::LateUpdate && e.data == raw),
                    "contact {c}: {row:?}"
                );
            }
            _ => {
                assert_eq!(row._deleted_at, None, "contact {c}: {row:?}");
                assert_eq!(raw, newest.data, "contact {c}: the newest record");
                assert_eq!(
                    row.email.as_deref(),
                    newest.data["email"].as_str(),
                    "contact {c}: the mapped column follows"
                );
            }
        }
    }

    // Stripe- and GitHub-signed events landed in their tables.
    let invoice_rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, amount_due FROM invoices ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("invoices");
    assert_eq!(
        invoice_rows,
        vec![
            ("in_1".to_owned(), 1000),
            ("in_2".to_owned(), 2000),
            ("in_3".to_owned(), 3000)
        ]
    );
    let repo_rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, full_name FROM repos ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("repos");
    assert_eq!(
        repo_rows,
        vec![
            (4001, "octo/repo-1".to_owned()),
            (4002, "octo/repo-2".to_owned())
        ]
    );

    // `holdfast queue` agrees: only done jobs, nothing dead, nothing rejected.
    let q = queue_json(&sandbox).await;
    assert_eq!(q["dead"], json!([]), "{q}");
    assert_eq!(q["rejections"], json!([]), "{q}");
    assert_eq!(q["oldest_ready"], Value::Null, "{q}");
    let depth = q["depth"].as_array().expect("depth");
    assert_eq!(depth.len(), 1, "{q}");
    assert_eq!(depth[0]["kind"], "webhook");
    assert_eq!(depth[0]["state"], "done");
    assert_eq!(depth[0]["count"], json!(expected_keys.len()));
    drop(serve);
}
