//! The audit log: who did what, to which lab and node, from where, and how it ended.

use crate::rows::{AUDIT_COLUMNS, AuditRow};
use crate::types::{AuditEntry, AuditFilter, NewAuditEntry};
use crate::validate::{
    AUDIT_ACTION_MAX_CHARS, AUDIT_FIELD_MAX_CHARS, AUDIT_LIST_MAX, AUDIT_TEXT_MAX_CHARS,
    check_action, sanitize, sanitize_opt,
};
use crate::{Result, Store};

/// A value bound to a `$n` of the audit query.
enum Bind {
    Int(i64),
    Text(String),
}

impl Store {
    /// Records an audit entry and returns its id. Only a malformed `action` is refused
    /// (a programming error); client-supplied text is made storable instead (see
    /// [`NewAuditEntry`]).
    pub async fn record(&self, entry: &NewAuditEntry) -> Result<i64> {
        check_action(&entry.action)?;
        let field = |v: Option<&String>| sanitize_opt(v.map(String::as_str), AUDIT_FIELD_MAX_CHARS);
        let text = |v: Option<&String>| sanitize_opt(v.map(String::as_str), AUDIT_TEXT_MAX_CHARS);
        let id: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO audit (at, user_id, username, remote_addr, action, lab_id, node_id, \
                 target, result, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 RETURNING id",
            )
            .bind(entry.at)
            .bind(entry.user_id.map(|u| u.0))
            .bind(sanitize(&entry.username, AUDIT_FIELD_MAX_CHARS))
            .bind(field(entry.remote_addr.as_ref()))
            .bind(&entry.action)
            .bind(field(entry.lab_id.as_ref()))
            .bind(field(entry.node_id.as_ref()))
            .bind(text(entry.target.as_ref()))
            .bind(entry.result.as_str())
            .bind(text(entry.detail.as_ref()))
            .fetch_one(pool)
            .await
        })?;
        Ok(id)
    }

    /// Audit entries matching `filter`, newest first (by id), at most `filter.limit`
    /// (1 to [`AUDIT_LIST_MAX`]). For the next page pass the last id as `before_id`.
    pub async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        let mut push = |condition: &str, bind: Bind| {
            binds.push(bind);
            conditions.push(condition.replace('?', &format!("${}", binds.len())));
        };
        if let Some(user) = filter.user {
            push("user_id = ?", Bind::Int(user.0));
        }
        // Filter texts are made storable as recorded texts were, so they match what was
        // recorded (and PostgreSQL gets no NUL).
        if let Some(lab) = &filter.lab_id {
            push(
                "lab_id = ?",
                Bind::Text(sanitize(lab, AUDIT_FIELD_MAX_CHARS)),
            );
        }
        if let Some(prefix) = &filter.action_prefix {
            // An exact prefix test: LIKE would treat '%' and '_' as wildcards, and SQLite's
            // LIKE ignores letter case.
            let prefix = sanitize(prefix, AUDIT_ACTION_MAX_CHARS);
            push("substr(action, 1, length(?)) = ?", Bind::Text(prefix));
        }
        if let Some(result) = filter.result {
            push("result = ?", Bind::Text(result.as_str().to_owned()));
        }
        if let Some(since) = filter.since_ms {
            push("at >= ?", Bind::Int(since));
        }
        if let Some(until) = filter.until_ms {
            push("at < ?", Bind::Int(until));
        }
        if let Some(before) = filter.before_id {
            push("id < ?", Bind::Int(before));
        }
        let limit = i64::from(filter.limit.clamp(1, AUDIT_LIST_MAX));
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit {where_clause} ORDER BY id DESC LIMIT {limit}"
        );
        let rows: Vec<AuditRow> = with_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql);
            for bind in &binds {
                query = match bind {
                    Bind::Int(v) => query.bind(*v),
                    Bind::Text(v) => query.bind(v.as_str()),
                };
            }
            query.fetch_all(pool).await
        })?;
        rows.into_iter().map(AuditRow::into_entry).collect()
    }
}
