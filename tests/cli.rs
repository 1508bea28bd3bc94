//! The command line's subcommands, run as a user would run them.

use std::process::Command;

fn pilothouse() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pilothouse"))
}

#[test]
fn config_path_honours_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = pilothouse()
        .args(["config", "path"])
        .env("PILOTHOUSE_CONFIG", dir.path())
        .env("PILOTHOUSE_DATA", dir.path().join("data"))
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("config dir:  {}", dir.path().display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "data dir:    {}",
            dir.path().join("data").display()
        )),
        "{text}"
    );
}

#[test]
fn themes_check_names_file_line_and_column_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("themes")).expect("mkdir");
    let bad = dir.path().join("themes/bad.toml");
    std::fs::write(
        &bad,
        "inherits = \"dark\"\n[styles]\n\"status.ok\" = \"notacolor\"\n",
    )
    .expect("write");
    let out = pilothouse()
        .args(["themes", "check"])
        .env("PILOTHOUSE_CONFIG", dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "{}:3:15: unknown color `notacolor`",
            bad.display()
        )),
        "{text}"
    );
    assert!(text.contains("ok builtin:themes/dark.toml"), "{text}");
}

#[test]
fn keymaps_check_rejects_an_unknown_action() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, "[[global]]\nkeys = [\"x\"]\naction = \"jump\"\n").expect("write");
    let out = pilothouse()
        .args(["keymaps", "check"])
        .arg(&file)
        .env("PILOTHOUSE_CONFIG", dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("{}:3:", file.display())), "{text}");
    assert!(text.contains("jump"), "{text}");
}

#[test]
fn a_broken_fixture_is_a_plain_error_before_the_terminal_is_touched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("estate.yaml");
    std::fs::write(&file, "contexts:\n  - name: a\n    colour: red\n").expect("write");
    let out = pilothouse()
        .arg("--fixture")
        .arg(&file)
        .env("PILOTHOUSE_CONFIG", dir.path())
        .env("PILOTHOUSE_DATA", dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains(&format!("{}:3:", file.display())), "{text}");
}

#[test]
fn resuming_an_unknown_incident_says_so_plainly_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = pilothouse()
        .args(["--demo", "--resume", "INC-20990101-0000-beef"])
        .env("PILOTHOUSE_CONFIG", dir.path())
        .env("PILOTHOUSE_DATA", dir.path().join("data"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("--resume INC-20990101-0000-beef")
            && text.contains("pilothouse incident list"),
        "{text}"
    );
    assert!(
        !text.contains("BACKTRACE"),
        "a user's mistake, not a crash: {text}"
    );
}
