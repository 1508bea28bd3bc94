//! Shell-style globs for context names (`prod*`, `*-eu-?`): `*` is any run of characters,
//! `?` is one character, everything else matches itself. No classes or escapes: context
//! names do not need them.

/// Whether `text` matches `pattern`.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Iterative matching with backtracking to the last `*`: linear in practice, and no
    // recursion for a hostile pattern to blow up.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// How specific a pattern is: the number of characters it matches literally. When several
/// `[contexts."…"]` sections match a context, the most specific one decides.
pub fn specificity(pattern: &str) -> usize {
    pattern.chars().filter(|&c| c != '*' && c != '?').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(glob_matches("prod*", "prod-eu-1"));
        assert!(glob_matches("prod*", "prod"));
        assert!(!glob_matches("prod*", "preprod"));
        assert!(glob_matches("*prod*", "preprod-2"));
        assert!(glob_matches("*-eu-?", "shop-eu-1"));
        assert!(!glob_matches("*-eu-?", "shop-eu-12"));
        assert!(glob_matches("a*b*c", "aXXbYYbZc"));
        assert!(glob_matches("kind-dev", "kind-dev"));
        assert!(!glob_matches("kind-dev", "kind-dev2"));
        assert!(glob_matches("*", ""));
    }

    #[test]
    fn longer_literals_are_more_specific() {
        assert!(specificity("prod-eu*") > specificity("prod*"));
        assert_eq!(specificity("*"), 0);
    }
}
