use std::time::Duration;

use super::*;

#[tokio::test(start_paused = true)]
async fn opens_after_consecutive_failures_then_probes_once() {
    let b = Breaker::new(3, Duration::from_secs(10));
    for _ in 0..2 {
        assert!(b.admit().is_ok());
        b.failed();
    }
    assert_eq!(b.phase(), BreakerPhase::Closed(2));
    b.succeeded();
    assert_eq!(
        b.phase(),
        BreakerPhase::Closed(0),
        "a success resets the count"
    );
    for _ in 0..3 {
        b.admit().expect("closed");
        b.failed();
    }
    let err = b.admit().expect_err("open");
    assert!(
        err.contains("3 consecutive failures") && err.contains("10s"),
        "{err}"
    );
    tokio::time::advance(Duration::from_secs(10)).await;
    b.admit().expect("the probe goes");
    assert!(b.admit().is_err(), "only one probe at a time");
    b.failed();
    assert!(
        matches!(b.phase(), BreakerPhase::Open(_)),
        "a failed probe re-opens"
    );
    tokio::time::advance(Duration::from_secs(10)).await;
    b.admit().expect("probe again");
    b.succeeded();
    assert_eq!(b.phase(), BreakerPhase::Closed(0));
}
