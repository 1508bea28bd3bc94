use std::path::Path;

use super::*;

fn key(text: &str) -> KeyPress {
    text.parse().unwrap()
}

fn keys(text: &str) -> Vec<KeyPress> {
    text.split(' ').map(key).collect()
}

/// A config dir holding `keymaps/NAME.toml` for each (name, text).
fn config_dir(keymaps: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keymaps")).unwrap();
    for (name, text) in keymaps {
        std::fs::write(
            dir.path().join("keymaps").join(format!("{name}.toml")),
            text,
        )
        .unwrap();
    }
    dir
}

fn load_clean(name: &str, dir: &Path) -> Keymap {
    let (keymap, problems) = Keymap::load(name, Some(dir));
    assert!(problems.is_empty(), "{problems:#?}");
    keymap
}

#[test]
fn every_builtin_keymap_loads_cleanly() {
    for name in Keymap::builtin_names() {
        assert!(
            Keymap::check_builtin(name).is_empty(),
            "{name}: {:#?}",
            Keymap::check_builtin(name)
        );
        let (keymap, problems) = Keymap::load(name, None);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        assert_eq!(keymap.name(), name);
    }
}

#[test]
fn builtin_view_layers_do_not_shadow_global_sequences() {
    for name in Keymap::builtin_names() {
        let keymap = Keymap::builtin(name).unwrap();
        let global = &keymap.layers[Layer::Global.index()].bindings;
        for layer in [Layer::Table, Layer::Logs] {
            for binding in &keymap.layers[layer.index()].bindings {
                for g in global {
                    assert!(
                        !trie::overlaps(&binding.keys, &g.keys),
                        "{name}: [{}] `{}` overlaps [global] `{}`",
                        layer.name(),
                        display_sequence(&binding.keys),
                        display_sequence(&g.keys)
                    );
                }
            }
        }
    }
}

#[test]
fn builtins_bind_every_action_somewhere() {
    for name in Keymap::builtin_names() {
        let keymap = Keymap::builtin(name).unwrap();
        for action in KeyAction::ALL {
            assert!(
                keymap.keys_for(&Layer::ALL, *action).is_some(),
                "{name} binds no key to {}",
                action_name(*action)
            );
        }
    }
}

#[test]
fn the_default_keymap_has_the_usual_keys() {
    let keymap = Keymap::default();
    let table = [Layer::Table, Layer::Global];
    let logs = [Layer::Logs, Layer::Global];
    let act = |layers: &[Layer], k: &str| keymap.resolve(layers, &[], key(k));
    assert_eq!(act(&table, "q"), Resolution::Action(KeyAction::Quit));
    assert_eq!(act(&table, "?"), Resolution::Action(KeyAction::Help));
    assert_eq!(act(&table, "3"), Resolution::Action(KeyAction::ViewPods));
    assert_eq!(act(&table, "S"), Resolution::Action(KeyAction::SortReverse));
    assert_eq!(act(&table, "/"), Resolution::Action(KeyAction::Filter));
    assert_eq!(act(&logs, "G"), Resolution::Action(KeyAction::Bottom));
    assert_eq!(act(&logs, "N"), Resolution::Action(KeyAction::PrevMatch));
    assert_eq!(
        act(&[Layer::Dialog], "y"),
        Resolution::Action(KeyAction::Confirm)
    );
    assert_eq!(act(&[Layer::Dialog], "q"), Resolution::Unbound);
}

#[test]
fn sequences_are_pending_until_complete() {
    let keymap = Keymap::builtin("vim").unwrap();
    let table = [Layer::Table, Layer::Global];
    assert_eq!(keymap.resolve(&table, &[], key("g")), Resolution::Pending);
    assert_eq!(
        keymap.resolve(&table, &keys("g"), key("g")),
        Resolution::Action(KeyAction::Top)
    );
    assert_eq!(
        keymap.resolve(&table, &keys("g"), key("x")),
        Resolution::Unbound
    );
    assert_eq!(
        keymap.resolve(&table, &[], key("ctrl-d")),
        Resolution::Action(KeyAction::PageDown)
    );
    assert_eq!(
        keymap.resolve(&table, &[], key("l")),
        Resolution::Action(KeyAction::NextView)
    );
}

#[test]
fn layers_are_searched_in_the_order_given() {
    let dir = config_dir(&[(
        "k",
        r#"
[[global]]
keys = ["x"]
action = "quit"

[[logs]]
keys = ["x"]
action = "clear_filter"
"#,
    )]);
    let keymap = load_clean("k", dir.path());
    let x = key("x");
    assert_eq!(
        keymap.resolve(&[Layer::Logs, Layer::Global], &[], x),
        Resolution::Action(KeyAction::ClearFilter)
    );
    assert_eq!(
        keymap.resolve(&[Layer::Global, Layer::Logs], &[], x),
        Resolution::Action(KeyAction::Quit)
    );
    assert_eq!(keymap.resolve(&[Layer::Table], &[], x), Resolution::Unbound);
}

#[test]
fn pending_keys_feed_sequences_and_retry_a_breaking_key_alone() {
    let keymap = Keymap::builtin("vim").unwrap();
    let table = [Layer::Table, Layer::Global];
    let mut pending = PendingKeys::default();
    assert_eq!(pending.feed(&keymap, &table, key("g")), None);
    assert_eq!(pending.display(), "g");
    assert_eq!(
        pending.feed(&keymap, &table, key("g")),
        Some(KeyAction::Top)
    );
    assert!(pending.is_empty());
    // `g` then `j`: the sequence breaks, `j` still moves down.
    assert_eq!(pending.feed(&keymap, &table, key("g")), None);
    assert_eq!(
        pending.feed(&keymap, &table, key("j")),
        Some(KeyAction::Down)
    );
    assert!(pending.is_empty());
    assert_eq!(pending.feed(&keymap, &table, key("z")), None);
    assert!(pending.is_empty());
}

#[test]
fn help_lists_bindings_in_file_order_with_notation() {
    let dir = config_dir(&[(
        "k",
        r#"
[[table]]
keys = ["g", "g"]
action = "top"
desc = "Go to top"

[[table]]
keys = ["ctrl-d"]
action = "page_down"

[[table]]
keys = ["shift-tab"]
action = "prev_view"
desc = "Back a view"
"#,
    )]);
    let help = load_clean("k", dir.path()).help(Layer::Table);
    let entries: Vec<(&str, KeyAction, &str)> = help
        .iter()
        .map(|e| (e.keys.as_str(), e.action, e.desc.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            ("g g", KeyAction::Top, "Go to top"),
            ("ctrl-d", KeyAction::PageDown, "Page down"),
            ("backtab", KeyAction::PrevView, "Back a view"),
        ]
    );
}

#[test]
fn conflicts_within_a_layer_are_reported() {
    let text = r#"
[[table]]
keys = ["g", "g"]
action = "top"

[[table]]
keys = ["g"]
action = "bottom"

[[table]]
keys = ["g", "g"]
action = "bottom"

[[table]]
keys = ["g", "g", "x"]
action = "bottom"

[[logs]]
keys = ["g"]
action = "top"
"#;
    let dir = config_dir(&[("k", text)]);
    let (keymap, problems) = Keymap::load("k", Some(dir.path()));
    let found: Vec<(usize, usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                7,
                8,
                "`g` in [table] is a prefix of `g g` (line 3), which could never be typed"
            ),
            (11, 8, "`g g` is bound twice in [table] (also at line 3)"),
            (
                15,
                8,
                "`g g x` in [table] starts with `g g` (line 3), so it could never be typed"
            ),
        ]
    );
    // A keymap with problems is not used.
    assert_eq!(keymap.name(), "default");
}

#[test]
fn a_child_keymap_rebinds_inherited_keys_without_conflict() {
    let dir = config_dir(&[(
        "mine",
        r#"
inherits = "default"

[[logs]]
keys = ["g", "g"]
action = "top"
desc = "Oldest line"

[[global]]
keys = ["Q"]
action = "quit"
"#,
    )]);
    let keymap = load_clean("mine", dir.path());
    let logs = [Layer::Logs, Layer::Global];
    // The default's `g` gave way to `g g`.
    assert_eq!(keymap.resolve(&logs, &[], key("g")), Resolution::Pending);
    assert_eq!(
        keymap.resolve(&logs, &keys("g"), key("g")),
        Resolution::Action(KeyAction::Top)
    );
    // Inherited bindings stay; additions come after them in help.
    assert_eq!(
        keymap.resolve(&logs, &[], key("q")),
        Resolution::Action(KeyAction::Quit)
    );
    let global = keymap.help(Layer::Global);
    assert_eq!(global.last().map(|e| e.keys.as_str()), Some("Q"));
    assert_eq!(global[0], Keymap::default().help(Layer::Global)[0]);
}

#[test]
fn broken_keymaps_are_placed_exactly_and_replaced_by_the_default() {
    let cases = [
        (
            "[[table]]\nkeys = [\"j\"]\naction = \"dwon\"\n",
            (3, 10),
            "unknown variant `dwon`",
        ),
        (
            "[[table]]\nkeys = [\"j\", \"ctl-x\"]\naction = \"down\"\n",
            (2, 14),
            "bad key `ctl-x`",
        ),
        (
            "[[tabel]]\nkeys = [\"j\"]\naction = \"down\"\n",
            (1, 3),
            "unknown field `tabel`",
        ),
        (
            "[[table]]\nkey = [\"j\"]\naction = \"down\"\n",
            (2, 1),
            "unknown field `key`",
        ),
        (
            "[[table]]\nkeys = []\naction = \"down\"\n",
            (2, 8),
            "`keys` is empty",
        ),
        (
            "[table]\nj = \"down\"\n",
            (1, 1),
            "invalid type: map, expected a sequence",
        ),
        (
            "inherits = \"emacs\"\n",
            (1, 12),
            "unknown parent: no keymap named `emacs`",
        ),
        ("[[table]\n", (1, 9), "unclosed array table"),
    ];
    for (text, (line, column), start) in cases {
        let dir = config_dir(&[("k", text)]);
        let (keymap, problems) = Keymap::load("k", Some(dir.path()));
        assert_eq!(problems.len(), 1, "{text}: {problems:#?}");
        assert_eq!(
            (problems[0].line, problems[0].column),
            (line, column),
            "{text}: {}",
            problems[0]
        );
        assert!(
            problems[0].message.starts_with(start),
            "{text}: {}",
            problems[0]
        );
        assert_eq!(keymap.name(), "default");
        assert_eq!(
            keymap.help(Layer::Table),
            Keymap::default().help(Layer::Table)
        );
    }
}

#[test]
fn keys_for_finds_the_first_binding() {
    let keymap = Keymap::default();
    assert_eq!(
        keymap.keys_for(&[Layer::Table, Layer::Global], KeyAction::Help),
        Some("?".into())
    );
    assert_eq!(keymap.keys_for(&[Layer::Dialog], KeyAction::Help), None);
}

#[test]
fn action_names_are_the_file_names() {
    assert_eq!(action_name(KeyAction::PageDown), "page_down");
    assert_eq!(build::default_description(KeyAction::OpenLogs), "Open logs");
}
