//! Kubernetes resource quantities (`250m`, `1.5`, `512Mi`, `2G`) as the numbers views show.

/// CPU in millicores: `250m` → 250, `2` → 2000, `1500u` → 2 (rounded up, as the API does).
pub fn cpu_millis(text: &str) -> Option<u64> {
    let millis = scaled(text, 1e3)?;
    // Rounded to a millionth first: 3.8 × 1000 is 3800.0000000000005 in floating point,
    // which must not become 3801.
    Some(((millis * 1e6).round() / 1e6).ceil() as u64)
}

/// Memory (or any byte quantity) in bytes: `512Mi`, `1G`, `1e3`, `100k`.
pub fn bytes(text: &str) -> Option<u64> {
    Some(scaled(text, 1.0)?.round() as u64)
}

/// The quantity in units of `1/unit_per_one`... expressed as a float multiple of `base`.
fn scaled(text: &str, base: f64) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().ok()?;
            10f64.powi(exp)
        }
        _ => return None,
    };
    let value: f64 = number.parse().ok()?;
    if value < 0.0 {
        return None;
    }
    Some(value * multiplier * base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities() {
        assert_eq!(cpu_millis("250m"), Some(250));
        assert_eq!(cpu_millis("2"), Some(2000));
        assert_eq!(cpu_millis("0.5"), Some(500));
        assert_eq!(cpu_millis("1500000n"), Some(2));
        assert_eq!(cpu_millis("12345678n"), Some(13));
        assert_eq!(cpu_millis(""), None);
        assert_eq!(cpu_millis("lots"), None);
    }

    #[test]
    fn memory_quantities() {
        assert_eq!(bytes("512Mi"), Some(512 * 1024 * 1024));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("1e3"), Some(1000));
        assert_eq!(bytes("100k"), Some(100_000));
        assert_eq!(bytes("16Gi"), Some(16 << 30));
        assert_eq!(bytes("-1"), None);
    }
}
