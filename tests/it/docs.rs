//! The committed completion scripts and man pages match what the clap
//! definitions generate. Run with `PETCTL_BLESS=1` to rewrite them.

use crate::support::repo_root;

fn check_or_bless(path: &std::path::Path, fresh: &[u8], stale: &mut Vec<String>) {
    if std::env::var_os("PETCTL_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, fresh).unwrap();
        return;
    }
    match std::fs::read(path) {
        Ok(committed) if committed == fresh => {}
        _ => stale.push(path.display().to_string()),
    }
}

#[test]
fn completions_are_up_to_date() {
    let mut stale = Vec::new();
    for (shell, file) in petctl::cli::docs::SHELLS {
        let fresh = petctl::cli::docs::completion_script(*shell);
        check_or_bless(
            &repo_root().join("completions").join(file),
            &fresh,
            &mut stale,
        );
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts (regenerate with PETCTL_BLESS=1 cargo test docs): {stale:?}"
    );
}

#[test]
fn man_pages_are_up_to_date() {
    let mut stale = Vec::new();
    let pages = petctl::cli::docs::man_pages().unwrap();
    let dir = repo_root().join("docs/man");
    for (file, fresh) in &pages {
        check_or_bless(&dir.join(file), fresh, &mut stale);
    }
    let expected: std::collections::BTreeSet<_> = pages.iter().map(|(f, _)| f.clone()).collect();
    if std::env::var_os("PETCTL_BLESS").is_none() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !expected.contains(&name) {
                stale.push(format!("docs/man/{name} (no such command any more)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale man pages (regenerate with PETCTL_BLESS=1 cargo test docs): {stale:?}"
    );
}

#[test]
fn completion_command_prints_the_committed_script() {
    let run = crate::support::petctl(&["completion", "bash"]);
    run.expect_success();
    let committed = std::fs::read_to_string(repo_root().join("completions/petctl.bash")).unwrap();
    assert_eq!(run.stdout, committed);
}
