//! Contacts and deals, generated from `(seed, id)` on demand: nothing is stored per record.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use crate::dates::{BASE, DayMonthYear, Rfc3339};
use crate::quirks::BadKind;
use crate::shape::ShapeVersion;

/// One listed contact: its id, current `updated_at` offset and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) id: u64,
    /// Seconds after [`BASE`].
    pub(crate) updated: u64,
    pub(crate) version: u64,
}

impl Item {
    /// An untouched contact: updated at offset `id`, version 1.
    pub(crate) fn base(id: u64) -> Self {
        Self {
            id,
            updated: id,
            version: 1,
        }
    }
}

/// The splitmix64 finaliser: a fast, well-mixed 64-bit hash step.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A hash of `(seed, id, salt)`; different salts give independent streams.
pub(crate) fn hash(seed: u64, id: u64, salt: u64) -> u64 {
    splitmix64(splitmix64(seed ^ salt.wrapping_mul(0xA24B_AED4_963E_E407)) ^ id)
}

/// (capitalised, lower-case) first names.
#[rustfmt::skip]
const FIRST: [(&str, &str); 20] = [
    ("Ada", "ada"), ("Alan", "alan"), ("Grace", "grace"), ("Edsger", "edsger"),
    ("Barbara", "barbara"), ("Donald", "donald"), ("Frances", "frances"), ("John", "john"),
    ("Margaret", "margaret"), ("Dennis", "dennis"), ("Radia", "radia"), ("Ken", "ken"),
    ("Hedy", "hedy"), ("Tim", "tim"), ("Karen", "karen"), ("Niklaus", "niklaus"),
    ("Sophie", "sophie"), ("Linus", "linus"), ("Katherine", "katherine"), ("Guido", "guido"),
];

/// (capitalised, lower-case) last names.
#[rustfmt::skip]
const LAST: [(&str, &str); 20] = [
    ("Lovelace", "lovelace"), ("Turing", "turing"), ("Hopper", "hopper"),
    ("Dijkstra", "dijkstra"), ("Liskov", "liskov"), ("Knuth", "knuth"), ("Allen", "allen"),
    ("Backus", "backus"), ("Hamilton", "hamilton"), ("Ritchie", "ritchie"),
    ("Perlman", "perlman"), ("Thompson", "thompson"), ("Lamarr", "lamarr"),
    ("Berners-Lee", "berners-lee"), ("Jones", "jones"), ("Wirth", "wirth"), ("Wilson", "wilson"),
    ("Torvalds", "torvalds"), ("Johnson", "johnson"), ("Rossum", "rossum"),
];

#[rustfmt::skip]
const COMPANIES: [&str; 10] = [
    "Acme Ltd", "Globex", "Initech", "Umbrella plc", "Hooli", "Stark Industries",
    "Wayne Enterprises", "Cyberdyne", "Soylent Corp", "Tyrell GmbH",
];
const CURRENCIES: [&str; 3] = ["EUR", "USD", "GBP"];
const TAGS: [&str; 6] = [
    "vip",
    "newsletter",
    "partner",
    "churn-risk",
    "beta",
    "trial",
];
const STAGES: [&str; 3] = ["won", "lost", "open"];

/// 2019-01-01 in days since 1970-01-01: the earliest `created` date.
const CREATED_FROM: i64 = 17_897;
/// The hash salt of `balance` (apart from the salts of contacts and deals).
const BALANCE_SALT: u64 = 0xBA1A;
/// Balances are below this many cents (100,000.00).
const BALANCE_CENTS: u64 = 10_000_000;

/// How contacts are rendered: the generator seed, which ones are bad, and the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Render {
    pub(crate) seed: u64,
    /// [`MockConfig::bad_every`](crate::MockConfig::bad_every); 0 = off.
    pub(crate) bad_every: u64,
    pub(crate) shape: ShapeVersion,
}

/// A contact ready to serialise; built in a few nanoseconds from `(seed, item)`.
pub(crate) struct Contact {
    item: Item,
    first: usize,
    last: usize,
    phone: bool,
    company: Option<&'static str>,
    cents: u64,
    currency: &'static str,
    active: bool,
    created: i64,
    tags: [&'static str; 3],
    tag_count: usize,
    balance: u64,
    bad: Option<BadKind>,
    shape: ShapeVersion,
}

impl Contact {
    /// Generates the contact `item.id` as `render` asks: maybe bad, maybe drifted.
    pub(crate) fn render(render: Render, item: Item) -> Self {
        Self {
            bad: BadKind::of(render.bad_every, item.id),
            shape: render.shape,
            ..Self::new(render.seed, item)
        }
    }

    /// Generates the good contact `item.id` for `seed`, in the original shape.
    pub(crate) fn new(seed: u64, item: Item) -> Self {
        let a = hash(seed, item.id, 1);
        let b = splitmix64(a);
        let tag_count = (b >> 40) as usize % 4;
        let mut tags = [""; 3];
        let first_tag = (b >> 48) as usize;
        for (i, tag) in tags.iter_mut().enumerate().take(tag_count) {
            *tag = TAGS[(first_tag + i) % TAGS.len()];
        }
        Self {
            item,
            first: (a % 20) as usize,
            last: (a >> 8) as usize % 20,
            phone: !(a >> 16).is_multiple_of(3),
            company: (!(a >> 20).is_multiple_of(3))
                .then(|| COMPANIES[(a >> 24) as usize % COMPANIES.len()]),
            cents: b % 1_000_000,
            currency: CURRENCIES[(a >> 32) as usize % CURRENCIES.len()],
            active: !(a >> 36).is_multiple_of(4),
            created: CREATED_FROM + ((b >> 20) % 1826) as i64,
            tags,
            tag_count,
            balance: hash(seed, item.id, BALANCE_SALT) % BALANCE_CENTS,
            bad: None,
            shape: ShapeVersion::Original,
        }
    }
}

/// A deal of a contact, as served by `/v2/contacts/{id}/deals`.
#[derive(Debug, Serialize)]
pub(crate) struct Deal {
    id: String,
    contact_id: u64,
    amount: f64,
    stage: &'static str,
    updated_at: String,
}

/// The 0 to 3 deals of a contact.
pub(crate) fn deals(seed: u64, item: Item) -> Vec<Deal> {
    let h = hash(seed, item.id, 2);
    (1..=h % 4)
        .map(|n| {
            let d = hash(seed, item.id, 2 + n);
            Deal {
                id: format!("d-{}-{n}", item.id),
                contact_id: item.id,
                amount: (d % 1_000_000) as f64 / 100.0,
                stage: STAGES[(d >> 32) as usize % STAGES.len()],
                updated_at: updated_at(item).to_string(),
            }
        })
        .collect()
}

fn updated_at(item: Item) -> Rfc3339 {
    Rfc3339(BASE.saturating_add(i64::try_from(item.updated).unwrap_or(i64::MAX - BASE)))
}

/// Serialises `args` as one JSON string without allocating.
struct Text<'a>(fmt::Arguments<'a>);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct Name<'a>(&'a Contact);

impl Serialize for Name<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Name", 2)?;
        st.serialize_field("first", FIRST[self.0.first].0)?;
        st.serialize_field("last", LAST[self.0.last].0)?;
        st.end()
    }
}

struct Properties<'a>(&'a Contact);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut st = s.serialize_struct("Properties", 2)?;
        let (first, last, id) = (FIRST[c.first].0, LAST[c.last].0, c.item.id);
        st.serialize_field(
            "email",
            &Text(format_args!("{first}.{last}{id}@Example.com")),
        )?;
        let phone = format_args!("+44 20 7946 {:04}", id % 10_000);
        st.serialize_field("phone", &c.phone.then_some(Text(phone)))?;
        st.end()
    }
}

struct Amount<'a>(&'a Contact);

impl Serialize for Amount<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (units, cents) = (self.0.cents / 100, self.0.cents % 100);
        let mut st = s.serialize_struct("Amount", 2)?;
        st.serialize_field("value", &Text(format_args!("{units}.{cents:02}")))?;
        st.serialize_field("currency", self.0.currency)?;
        st.end()
    }
}

/// `balance` as a decimal string, e.g. `1234.50`.
struct BalanceText(u64);

impl Serialize for BalanceText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (units, cents) = (self.0 / 100, self.0 % 100);
        s.collect_str(&format_args!("{units}.{cents:02}"))
    }
}

/// The drifted `balance`: `{"value": "1234.50", "currency": "EUR"}`.
struct BalanceObject(u64);

impl Serialize for BalanceObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Balance", 2)?;
        st.serialize_field("value", &BalanceText(self.0))?;
        st.serialize_field("currency", "EUR")?;
        st.end()
    }
}

/// The columns of a contact in a CSV export, in order.
pub(crate) const CSV_HEADER: &str =
    "id,email,first_name,last_name,company,balance,status,updated_at";

impl Contact {
    /// Appends the contact as one CSV line (the [`CSV_HEADER`] columns; no
    /// value needs quoting).
    pub(crate) fn write_csv(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        let (first, last, id) = (FIRST[self.first].1, LAST[self.last].1, self.item.id);
        let _ = writeln!(
            out,
            "{id},{first}.{last}{id}@example.com,{},{},{},{}.{:02},{},{}",
            FIRST[self.first].0,
            LAST[self.last].0,
            self.company.unwrap_or(""),
            self.balance / 100,
            self.balance % 100,
            if self.active { "A" } else { "I" },
            updated_at(self.item),
        );
    }
}

impl Serialize for Contact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (first, last, id) = (FIRST[self.first].1, LAST[self.last].1, self.item.id);
        let drifted = self.shape == ShapeVersion::Drifted;
        let mut st = s.serialize_struct("Contact", 13)?;
        if self.bad != Some(BadKind::MissingKey) {
            st.serialize_field("id", &id)?;
        }
        let email = Text(format_args!("{first}.{last}{id}@example.com"));
        match self.bad {
            Some(BadKind::NullEmail) => st.serialize_field("email", &())?,
            Some(BadKind::RenamedField) => st.serialize_field("e_mail", &email)?,
            _ => st.serialize_field("email", &email)?,
        }
        st.serialize_field("name", &Name(self))?;
        st.serialize_field("properties", &Properties(self))?;
        let company = if drifted { "organization" } else { "company" };
        st.serialize_field(company, &self.company)?;
        st.serialize_field("amount", &Amount(self))?;
        if drifted {
            st.serialize_field("balance", &BalanceObject(self.balance))?;
        } else {
            st.serialize_field("balance", &BalanceText(self.balance))?;
        }
        st.serialize_field("status", if self.active { "A" } else { "I" })?;
        if self.bad == Some(BadKind::BadDate) {
            st.serialize_field("created", "31/31/2024")?;
        } else {
            st.serialize_field(
                "created",
                &Text(format_args!("{}", DayMonthYear(self.created))),
            )?;
        }
        let tags = &self.tags[..self.tag_count];
        if drifted {
            st.serialize_field("tags", tags.first().copied().unwrap_or(""))?;
            st.serialize_field("segment", "smb")?;
        } else {
            st.serialize_field("tags", tags)?;
        }
        st.serialize_field(
            "updated_at",
            &Text(format_args!("{}", updated_at(self.item))),
        )?;
        if self.bad == Some(BadKind::StringNumber) {
            st.serialize_field("version", "lots")?;
        } else {
            st.serialize_field("version", &self.item.version)?;
        }
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(seed: u64, id: u64) -> serde_json::Value {
        serde_json::to_value(Contact::new(seed, Item::base(id))).unwrap_or_default()
    }

    #[test]
    fn contact_has_the_documented_shape() {
        let c = json(42, 17);
        assert_eq!(c["id"], 17);
        assert_eq!(c["updated_at"], "2024-01-01T00:00:17Z");
        assert_eq!(c["version"], 1);
        let email = c["email"].as_str().unwrap_or_default();
        assert!(email.ends_with("17@example.com"), "{email}");
        assert_eq!(
            c["properties"]["email"]
                .as_str()
                .map(str::to_lowercase)
                .as_deref(),
            Some(email)
        );
        assert!(
            c["amount"]["value"]
                .as_str()
                .is_some_and(|v| v.contains('.'))
        );
        assert!(
            c["created"]
                .as_str()
                .is_some_and(|d| d.len() == 10 && &d[2..3] == "/")
        );
        let balance = c["balance"].as_str().unwrap_or_default();
        let (units, cents) = balance.split_once('.').unwrap_or_default();
        assert!(
            !units.is_empty()
                && cents.len() == 2
                && (units.bytes().chain(cents.bytes())).all(|b| b.is_ascii_digit()),
            "{balance}"
        );
        let mut keys: Vec<_> = c
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "amount",
                "balance",
                "company",
                "created",
                "email",
                "id",
                "name",
                "properties",
                "status",
                "tags",
                "updated_at",
                "version"
            ]
        );
    }

    #[test]
    fn balances_vary_and_render_keeps_good_contacts_unchanged() {
        let balances: std::collections::HashSet<_> =
            (1..=100).map(|id| json(7, id)["balance"].clone()).collect();
        assert!(balances.len() > 90, "{} distinct balances", balances.len());
        let render = Render {
            seed: 7,
            bad_every: 0,
            shape: ShapeVersion::Original,
        };
        for id in 1..=50 {
            let rendered = serde_json::to_value(Contact::render(render, Item::base(id)));
            assert_eq!(rendered.unwrap_or_default(), json(7, id));
        }
    }

    #[test]
    fn about_a_third_of_phones_and_companies_are_null() {
        let n = 3000;
        let phones = (1..=n)
            .filter(|&id| json(7, id)["properties"]["phone"].is_null())
            .count();
        let companies = (1..=n)
            .filter(|&id| json(7, id)["company"].is_null())
            .count();
        for nulls in [phones, companies] {
            assert!((800..1200).contains(&nulls), "{nulls} of {n} null");
        }
    }
}
