//! Named fault profiles: which faults, how often, and how they behave.

use std::time::Duration;

/// One fault the proxy can inject into an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After` (seconds).
    TooMany,
    /// `500`/`503`, alone or in a burst of consecutive ones.
    ServerError,
    /// No answer until the client gives up (held for [`Profile::hold`]).
    Timeout,
    /// The real answer, its body sent slowly in small pieces.
    SlowBody,
    /// The real answer's headers and half its body, then the connection cut.
    CutOff,
    /// `200` with an HTML login page instead of JSON.
    Html,
    /// `200` with a JSON error body (`{"success": false, …}`).
    ErrorBody,
    /// The `limit`/`per_page`/`page_size`/`pageSize` parameter lowered to
    /// [`Profile::page_cap`] before forwarding.
    PageCap,
    /// A field of every record turned into an object.
    FieldToObject,
    /// A field of every record removed.
    FieldRemoved,
    /// `401` with `WWW-Authenticate: Bearer error="invalid_token"`.
    ExpiredToken,
    /// The request forwarded twice (a duplicate delivery, e.g. a webhook).
    Duplicate,
    /// The request held back so later ones overtake it.
    Reorder,
}

impl Fault {
    /// The name used in logs and report cards.
    pub fn name(self) -> &'static str {
        match self {
            Fault::TooMany => "429",
            Fault::ServerError => "5xx",
            Fault::Timeout => "timeout",
            Fault::SlowBody => "slow_body",
            Fault::CutOff => "cut_off",
            Fault::Html => "html",
            Fault::ErrorBody => "error_body",
            Fault::PageCap => "page_cap",
            Fault::FieldToObject => "field_to_object",
            Fault::FieldRemoved => "field_removed",
            Fault::ExpiredToken => "401",
            Fault::Duplicate => "duplicate",
            Fault::Reorder => "reorder",
        }
    }

    /// Whether the fault replaces the upstream's answer (the client must
    /// ask again to get the data), rather than changing or delaying it.
    pub fn replaces_answer(self) -> bool {
        matches!(
            self,
            Fault::TooMany
                | Fault::ServerError
                | Fault::Timeout
                | Fault::CutOff
                | Fault::Html
                | Fault::ErrorBody
                | Fault::ExpiredToken
        )
    }
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// On this share of requests (`0.0..=1.0`), drawn from the seed and the
    /// request's sequence number.
    Rate(f64),
    /// On every request from the `n`th (1-based) on, `every` requests apart.
    Every {
        /// The first request it hits.
        from: u64,
        /// The distance between hits.
        every: u64,
    },
    /// On `length` consecutive requests starting at the `from`th (1-based).
    Burst {
        /// The first request of the burst.
        from: u64,
        /// How many requests it lasts.
        length: u64,
    },
    /// Always.
    Always,
}

/// A named set of faults and their settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The profile's name.
    pub name: &'static str,
    /// What it simulates, for `holdfast chaos profiles` and the report card.
    pub about: &'static str,
    /// The faults, checked in order; the first that fires wins.
    pub faults: Vec<(Fault, When)>,
    /// `Retry-After` of an injected `429`.
    pub retry_after: Duration,
    /// How long a timeout holds the request.
    pub hold: Duration,
    /// The page size a page cap forwards.
    pub page_cap: u64,
    /// How long a reordered request waits.
    pub reorder_delay: Duration,
}

impl Profile {
    fn new(name: &'static str, about: &'static str, faults: Vec<(Fault, When)>) -> Profile {
        Profile {
            name,
            about,
            faults,
            retry_after: Duration::from_secs(1),
            hold: Duration::from_secs(60),
            page_cap: 10,
            reorder_delay: Duration::from_millis(300),
        }
    }

    /// Every named profile, in the order documented.
    pub fn all() -> Vec<Profile> {
        use Fault::*;
        use When::*;
        vec![
            Profile::new("none", "nothing injected: the fault-free baseline", vec![]),
            Profile::new(
                "rate_limited",
                "every 4th request answered 429 with Retry-After: 1",
                vec![(TooMany, Every { from: 2, every: 4 })],
            ),
            Profile::new(
                "flaky",
                "5xx on 15% of requests plus a burst of 3 from the 4th request",
                vec![
                    (ServerError, Burst { from: 4, length: 3 }),
                    (ServerError, Rate(0.15)),
                ],
            ),
            Profile::new(
                "slow",
                "every 3rd answer's body sent slowly; every 5th request held until the client times out",
                vec![
                    (Timeout, Every { from: 5, every: 5 }),
                    (SlowBody, Every { from: 3, every: 3 }),
                ],
            ),
            Profile::new(
                "cut_off",
                "every 3rd answer cut off halfway through its body",
                vec![(CutOff, Every { from: 2, every: 3 })],
            ),
            Profile::new(
                "lying",
                "200 OK that is not data: an HTML login page, or a JSON error body",
                vec![
                    (Html, Every { from: 2, every: 5 }),
                    (ErrorBody, Every { from: 4, every: 5 }),
                ],
            ),
            Profile::new(
                "page_cap",
                "the page size parameter (limit, _limit, per_page, page_size, pageSize) lowered to 10",
                vec![(PageCap, Always)],
            ),
            Profile::new(
                "drifted",
                "every record's first text field (not the key) turned into an object, its second removed",
                vec![(FieldToObject, Always)],
            ),
            Profile::new(
                "expired_token",
                "every 4th request answered 401 invalid_token, as an expired token is",
                vec![(ExpiredToken, Every { from: 3, every: 4 })],
            ),
            Profile::new(
                "webhooks",
                "for a proxy in front of a webhook receiver: every 3rd delivery sent twice, every 4th held so later ones overtake it",
                vec![
                    (Duplicate, Every { from: 1, every: 3 }),
                    (Reorder, Every { from: 2, every: 4 }),
                ],
            ),
            Profile::new(
                "mixed",
                "a bit of everything that a client can recover from",
                vec![
                    (TooMany, Rate(0.08)),
                    (ServerError, Rate(0.08)),
                    (CutOff, Rate(0.05)),
                    (Html, Rate(0.05)),
                    (SlowBody, Rate(0.05)),
                ],
            ),
        ]
    }

    /// The profile named `name`.
    ///
    /// # Errors
    /// An unknown name; the message lists the known ones.
    pub fn named(name: &str) -> Result<Profile, UnknownProfile> {
        Profile::all()
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| UnknownProfile(name.to_owned()))
    }

    /// The fault for request number `seq` (1-based), drawn with `seed`.
    pub fn draw(&self, seq: u64, seed: u64) -> Option<Fault> {
        self.faults.iter().find_map(|&(fault, when)| {
            let hit = match when {
                When::Rate(rate) => unit(seed, seq, fault as u64) < rate,
                When::Every { from, every } => {
                    seq >= from && (seq - from).is_multiple_of(every.max(1))
                }
                When::Burst { from, length } => seq >= from && seq < from + length,
                When::Always => true,
            };
            hit.then_some(fault)
        })
    }
}

/// A profile name that is not one of [`Profile::all`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no chaos profile `{0}`; the profiles are: {names}", names = Profile::all().iter().map(|p| p.name).collect::<Vec<_>>().join(", "))]
pub struct UnknownProfile(pub String);

/// A number in `0.0..1.0` from the seed, the request and the fault (splitmix64).
fn unit(seed: u64, seq: u64, salt: u64) -> f64 {
    let mut z = seed
        .wrapping_add(seq.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_hit_the_requests_they_name() {
        let p = Profile::named("rate_limited").expect("profile");
        let hits: Vec<u64> = (1..=12).filter(|&s| p.draw(s, 1).is_some()).collect();
        assert_eq!(hits, vec![2, 6, 10]);
        let flaky = Profile::named("flaky").expect("profile");
        assert!((4..7).all(|s| flaky.draw(s, 1) == Some(Fault::ServerError)));
        let share = (1..=10_000).filter(|&s| flaky.draw(s, 7).is_some()).count();
        assert!((1300..1700).contains(&share), "about 15%: {share}");
    }

    #[test]
    fn an_unknown_profile_lists_the_known_ones() {
        let e = Profile::named("flakey").expect_err("unknown");
        assert!(e.to_string().contains("flaky, slow"), "{e}");
    }
}
