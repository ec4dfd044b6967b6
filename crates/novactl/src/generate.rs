//! Shell completions and man pages, generated from the clap tree at run time so they
//! can never disagree with the binary that prints them.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::Cli;

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "novactl", out);
}

/// Writes `novactl.1` and one page per subcommand (`novactl-lab-list.1`, …) into `dir`.
/// Returns the files written.
pub fn man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = Cli::command();
    cmd.build();
    let mut written = Vec::new();
    write_page(&cmd, "novactl", dir, &mut written)?;
    Ok(written)
}

fn write_page(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let page = cmd.clone().name(name.to_string());
    let path = dir.join(format!("{name}.1"));
    let mut buf = Vec::new();
    clap_mangen::Man::new(page).render(&mut buf)?;
    std::fs::write(&path, buf)?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        write_page(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bash_and_zsh_completions_name_the_subcommands() {
        for shell in [clap_complete::Shell::Bash, clap_complete::Shell::Zsh] {
            let mut out = Vec::new();
            completions(shell, &mut out);
            let text = String::from_utf8(out).expect("utf-8");
            for word in ["lab", "node", "link", "capture", "events", "console"] {
                assert!(text.contains(word), "{shell}: missing {word}");
            }
        }
    }

    #[test]
    fn man_pages_cover_every_subcommand() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = man_pages(dir.path()).expect("man pages");
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for want in [
            "novactl.1",
            "novactl-lab-import.1",
            "novactl-net-capture.1",
            "novactl-node-start.1",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "missing {want} in {names:?}"
            );
        }
        let top = std::fs::read_to_string(dir.path().join("novactl.1")).unwrap();
        assert!(top.contains(".TH novactl"), "not a man page: {top:.200}");
    }
}
