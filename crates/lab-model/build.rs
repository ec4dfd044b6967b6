//! Embeds the shipped templates (`templates/<type>/<key>.yml`) into the
//! library, so labd lists the built-ins without the source tree.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("templates");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    for kind_dir in sorted_dir(&root) {
        if !kind_dir.is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", kind_dir.display());
        let kind = file_name(&kind_dir);
        for file in sorted_dir(&kind_dir) {
            if file.extension().is_some_and(|e| e == "yml") {
                let key = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .expect("utf-8 template name")
                    .to_owned();
                entries.push((kind.clone(), key, file));
            }
        }
    }
    let mut out =
        String::from("/// `(type directory, key, YAML text)` of every shipped template.\n");
    out.push_str("pub(crate) static BUILTIN_TEMPLATES: &[(&str, &str, &str)] = &[\n");
    for (kind, key, path) in entries {
        writeln!(
            out,
            "    ({kind:?}, {key:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_templates.rs");
    fs::write(dest, out).expect("write builtin_templates.rs");
}

fn sorted_dir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    paths.sort();
    paths
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .and_then(|s| s.to_str())
        .expect("utf-8 directory name")
        .to_owned()
}
