//! The connector file: YAML text through both stages (`raw` parse, then
//! `check`), and the store-only reading `holdfast` does for store commands.
//!
//! Input: the file's text (not UTF-8 is skipped: `load` refuses it before
//! parsing). Schema files are read from a temp dir holding one schema, so
//! `schema: schemas/contact.json` resolves.
#![no_main]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use holdfast_spec::{Env, load_store, parse_str};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    _dir: tempfile::TempDir,
    origin: PathBuf,
    store_file: PathBuf,
    env: Env,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("schemas")).expect("schemas dir");
        std::fs::write(
            dir.path().join("schemas/contact.json"),
            r#"{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}"#,
        )
        .expect("schema");
        let vars = [
            ("CRM_URL", "https://crm.example.com"),
            ("CRM_TOKEN", "t0k3n"),
            ("BILLING_KEY", "k3y"),
            ("ALERT_URL", "https://hooks.example.com/holdfast"),
            (
                "CRM_WEBHOOK_SECRET",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ),
            ("DATABASE_URL", "sqlite://holdfast.db"),
        ];
        let env = Env::from_map(
            vars.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        )
        .with_secrets(BTreeMap::from([(
            "api_token".to_owned(),
            "s3cr3t".to_owned(),
        )]));
        Fixture {
            origin: dir.path().join("holdfast.yaml"),
            store_file: dir.path().join("store-only.yaml"),
            _dir: dir,
            env,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    match parse_str(text, &f.origin, &f.env) {
        Ok(spec) => {
            // Every accepted file must also print and describe itself.
            let _ = format!("{spec:?}");
        }
        Err(errors) => {
            let _ = errors.to_string();
        }
    }
    if std::fs::write(&f.store_file, data).is_ok() {
        match load_store(&f.store_file, &f.env) {
            Ok(store) => drop(store),
            Err(errors) => drop(errors.to_string()),
        }
    }
});
