//! Resource quantities (`250m`, `256Mi`, `2`), just enough to derive limits from requests.

/// A quantity in base units (cores or bytes), or `None` when unreadable.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(value * scale)
}

/// Memory as `Mi`, the way manifests write it.
pub fn mebibytes(bytes: f64) -> String {
    format!("{}Mi", (bytes / (1024.0 * 1024.0)).round() as u64)
}

/// CPU as millicores.
pub fn millicores(cores: f64) -> String {
    format!("{}m", (cores * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_round_trip() {
        assert_eq!(parse("250m"), Some(0.25));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("256Mi").map(mebibytes), Some("256Mi".to_string()));
        assert_eq!(
            parse("1Gi").map(|b| mebibytes(b * 2.0)),
            Some("2048Mi".to_string())
        );
        assert_eq!(parse("0.5").map(millicores), Some("500m".to_string()));
        assert_eq!(parse("lots"), None);
    }
}
