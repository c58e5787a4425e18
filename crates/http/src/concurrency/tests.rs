use std::time::Duration;

use super::*;

const FAST: Duration = Duration::from_millis(10);

#[tokio::test]
async fn adaptive_grows_while_clean_and_halves_on_overload() {
    let l = InFlight::adaptive(8);
    assert_eq!(l.limit(), 1);
    for _ in 0..40 {
        let p = l.acquire().await;
        l.release(p, false, FAST);
    }
    assert_eq!(
        l.limit(),
        8,
        "grows to the ceiling while answers are clean and fast"
    );
    let p = l.acquire().await;
    l.release(p, true, FAST);
    assert_eq!(l.limit(), 4, "a 429/5xx halves it");
    let p = l.acquire().await;
    l.release(p, false, Duration::from_millis(200));
    assert_eq!(l.limit(), 2, "latency far above the baseline halves it too");
    // The permits follow the limit: no more than `limit` can be held at once.
    let a = l.acquire().await;
    let b = l.acquire().await;
    let third = tokio::time::timeout(Duration::from_millis(50), l.acquire()).await;
    assert!(third.is_err(), "a third permit would exceed the limit of 2");
    l.release(a, false, FAST);
    l.release(b, false, FAST);
}

#[tokio::test]
async fn fixed_never_changes() {
    let l = InFlight::fixed(3);
    let p = l.acquire().await;
    l.release(p, true, FAST);
    assert_eq!(l.limit(), 3);
}
