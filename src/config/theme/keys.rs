//! The semantic style names the views use. A theme may style these and their dotted
//! prefixes (`status` styles every `status.*` that is not styled itself); any other name
//! in a theme file is reported as a typo.
//!
//! A view that starts using a new name adds it here, and every shipped theme is then
//! tested to style it (directly or through a prefix).

/// Every style name a view asks for.
pub const STYLE_KEYS: &[&str] = &[
    "default",
    "header",
    "header.title",
    "header.context",
    "header.namespace",
    "header.readonly",
    "env.dev",
    "env.test",
    "env.staging",
    "env.prod",
    "env.unknown",
    "source.live",
    "source.connecting",
    "source.stale",
    "source.forbidden",
    "source.unavailable",
    "status.ok",
    "status.progressing",
    "status.warning",
    "status.critical",
    "status.unknown",
    "table.header",
    "table.header.sorted",
    "table.row",
    "table.row.alt",
    "table.selected",
    "table.group",
    "table.dim",
    "tabs",
    "tabs.active",
    "border",
    "border.focused",
    "title",
    "statusbar",
    "statusbar.key",
    "statusbar.error",
    "prompt",
    "prompt.error",
    "palette",
    "palette.selected",
    "help.key",
    "help.desc",
    "help.section",
    "dialog",
    "dialog.title",
    "dialog.danger",
    "dialog.button",
    "dialog.button.selected",
    "overview.count",
    "sparkline",
    "gauge",
    "log.stderr",
    "log.timestamp",
    "log.match",
    "log.footer",
    "log.stream.0",
    "log.stream.1",
    "log.stream.2",
    "log.stream.3",
    "log.stream.4",
    "log.stream.5",
    "alert.critical",
    "alert.warning",
    "alert.info",
    "alert.new",
    "event.warning",
    "event.normal",
];

/// Whether a theme may define `name`: a name a view uses, or a dotted prefix of one.
pub fn is_known_style_name(name: &str) -> bool {
    STYLE_KEYS.iter().any(|key| {
        key.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// The next name to try when `name` is not styled: `a.b.c` → `a.b` → `a` → `default`.
pub fn parent_name(name: &str) -> Option<&str> {
    match name.rfind('.') {
        Some(dot) => Some(&name[..dot]),
        None if name != "default" => Some("default"),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_include_prefixes_but_not_partial_words() {
        assert!(is_known_style_name("status.critical"));
        assert!(is_known_style_name("status"));
        assert!(is_known_style_name("log.stream"));
        assert!(!is_known_style_name("stat"));
        assert!(!is_known_style_name("status.critcal"));
        assert!(!is_known_style_name("status.critical.text"));
    }

    #[test]
    fn names_fall_back_along_their_dots_to_default() {
        assert_eq!(parent_name("status.critical.text"), Some("status.critical"));
        assert_eq!(parent_name("status"), Some("default"));
        assert_eq!(parent_name("default"), None);
    }
}
