//! Durations written the way people write them in a `.env` file: `24h`,
//! `30m`, `1h30m`, `90s`, `7d`; a bare number counts as seconds.

use std::time::Duration;

/// Parses `24h`, `30m`, `1h30m`, `45s`, `2d` or a bare number of seconds.
/// `0`, `off` and `none` mean zero. The error is the reason, for a `ConfigError`.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let text = raw.trim().to_ascii_lowercase();
    if matches!(text.as_str(), "off" | "none" | "disabled") {
        return Ok(Duration::ZERO);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|err| err.to_string());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(format!("unknown unit {c:?}; use s, m, h or d")),
        };
        let amount: u64 = digits
            .parse()
            .map_err(|_| "a unit must follow a number, e.g. 30m".to_owned())?;
        digits.clear();
        total = amount
            .checked_mul(unit)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(|| "too long".to_owned())?;
    }
    if !digits.is_empty() || text.is_empty() {
        return Err("a number needs a unit, e.g. 24h or 30m".to_owned());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn units_and_combinations_are_understood() {
        for (text, seconds) in [
            ("24h", 86400),
            ("30m", 1800),
            ("1h30m", 5400),
            ("90", 90),
            ("2d", 172_800),
            ("0", 0),
            ("off", 0),
            (" 6H ", 21600),
        ] {
            assert_eq!(parse_duration(text), Ok(Duration::from_secs(seconds)), "{text}");
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for text in ["", "daily", "h", "5x", "1h30", "99999999999999999999d"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }
}
