//! The run manifest: what was imported, converted, skipped (and why), what needs the
//! operator's review, and what failed. Written atomically at the end of a run (and
//! in a dry run, where it is the plan).

use std::path::Path;

use serde::Serialize;

use crate::fsutil::{self, FsError, Owner};

/// Manifest format version.
pub const MANIFEST_VERSION: u32 = 1;

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// an image (QEMU folder, Dynamips/IOL file, Docker context)
    Image,
    /// the IOL licence file
    Iourc,
    /// a template
    Template,
    /// a lab
    Lab,
}

/// What happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// copied and verified
    Copied,
    /// already present with identical content
    AlreadyPresent,
    /// written after conversion
    Converted,
    /// conversion result already present unchanged
    Unchanged,
    /// a destination template the operator edited was kept
    KeptOperatorEdit,
    /// would be done (dry run)
    Planned,
    /// not imported, see `reason`
    Skipped,
    /// failed, see `reason`
    Failed,
}

/// One item of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// category
    pub category: Category,
    /// what happened
    pub action: Action,
    /// source path
    pub source: String,
    /// destination path, when there is one
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest: Option<String>,
    /// template key / image name / lab path
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// bytes copied or checked
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// sha256 of each file (images) or of the written document
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sha256: Vec<String>,
    /// why it was skipped or failed
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// things the operator should check
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub review: Vec<String>,
    /// informational notes (resumed copy, source deleted, ...)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Entry {
    /// A new entry.
    pub fn new(category: Category, action: Action, source: &Path) -> Self {
        Entry {
            category,
            action,
            source: source.display().to_string(),
            dest: None,
            name: None,
            bytes: None,
            sha256: Vec::new(),
            reason: None,
            review: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// images/iourc copied
    pub copied: usize,
    /// already present
    pub already_present: usize,
    /// templates and labs written
    pub converted: usize,
    /// converted output already present
    pub unchanged: usize,
    /// operator-edited templates kept
    pub kept_operator_edits: usize,
    /// dry-run plan items
    pub planned: usize,
    /// skipped with a reason
    pub skipped: usize,
    /// failed
    pub failed: usize,
    /// items with review notes
    pub needs_review: usize,
    /// bytes copied
    pub bytes_copied: u64,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// format version
    pub manifest_version: u32,
    /// `nova-ve-import-eveng <version>`
    pub tool: String,
    /// dry run?
    pub dry_run: bool,
    /// unix seconds at start
    pub started_at: u64,
    /// unix seconds at the end
    pub finished_at: u64,
    /// source tree
    pub source: String,
    /// images destination
    pub images_dir: String,
    /// templates destination
    pub templates_dir: String,
    /// labs destination
    pub labs_dir: String,
    /// counts
    pub summary: Summary,
    /// every item
    pub entries: Vec<Entry>,
    /// the items the operator should look at, with what to check (from `entries`)
    pub needs_review: Vec<Flagged>,
    /// the items that failed, with the reason (from `entries`)
    pub errors: Vec<Flagged>,
}

/// A short pointer into [`Manifest::entries`] for the review and error lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flagged {
    /// category
    pub category: Category,
    /// source path
    pub source: String,
    /// review notes, or the failure reason
    pub what: Vec<String>,
}

impl Manifest {
    /// Recomputes the summary from the entries.
    pub fn summarize(&mut self) {
        let mut s = Summary::default();
        for e in &self.entries {
            match e.action {
                Action::Copied => {
                    s.copied += 1;
                    s.bytes_copied += e.bytes.unwrap_or(0);
                }
                Action::AlreadyPresent => s.already_present += 1,
                Action::Converted => s.converted += 1,
                Action::Unchanged => s.unchanged += 1,
                Action::KeptOperatorEdit => s.kept_operator_edits += 1,
                Action::Planned => s.planned += 1,
                Action::Skipped => s.skipped += 1,
                Action::Failed => s.failed += 1,
            }
            if !e.review.is_empty() {
                s.needs_review += 1;
            }
        }
        self.summary = s;
        self.needs_review = self
            .entries
            .iter()
            .filter(|e| !e.review.is_empty())
            .map(|e| Flagged {
                category: e.category,
                source: e.source.clone(),
                what: e.review.clone(),
            })
            .collect();
        self.errors = self
            .entries
            .iter()
            .filter(|e| e.action == Action::Failed)
            .map(|e| Flagged {
                category: e.category,
                source: e.source.clone(),
                what: e.reason.iter().cloned().collect(),
            })
            .collect();
    }

    /// Serializes to pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Writes the manifest atomically (mode 0640).
    pub fn write(&self, path: &Path, owner: Option<Owner>) -> Result<(), FsError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(fsutil::io_at(parent))?;
        }
        fsutil::write_atomic(path, self.to_json().as_bytes(), owner, 0o640)
    }
}
