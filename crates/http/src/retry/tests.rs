use std::time::Duration;

use super::RetryPolicy;

#[test]
fn full_jitter_stays_within_the_doubling_ceiling() {
    let p = RetryPolicy {
        attempts: 10,
        initial: Duration::from_millis(100),
        max: Duration::from_millis(1000),
        max_wait: Duration::from_secs(60),
    };
    for attempt in 1..=8 {
        let ceiling = Duration::from_millis((100u64 << (attempt - 1)).min(1000));
        let waits: Vec<Duration> = (0..200).map(|_| p.wait(attempt, None)).collect();
        assert!(waits.iter().all(|w| *w <= ceiling), "attempt {attempt}");
        // Full jitter spreads over the whole range, not just near the top.
        assert!(waits.iter().any(|w| *w < ceiling / 4), "attempt {attempt}");
    }
    assert_eq!(
        p.wait(2, Some(Duration::from_secs(42))),
        Duration::from_secs(42)
    );
}
