//! Counts that read correctly: "1 page", "2 pages", "0 pages".

use std::fmt::Display;

/// `n` and `noun`, with an `s` unless `n` is one: `count(1, "record")` is
/// "1 record", `count(3, "record")` is "3 records".
pub(crate) fn count(n: impl Display, noun: &str) -> String {
    let n = n.to_string();
    if n == "1" {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular() {
        assert_eq!(count(1_u64, "page"), "1 page");
        assert_eq!(count(0_usize, "page"), "0 pages");
        assert_eq!(count(2_i64, "run"), "2 runs");
    }
}
