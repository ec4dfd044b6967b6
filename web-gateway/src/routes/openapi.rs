//! `GET /api/openapi.json`: the API as an OpenAPI 3.1 document, generated from the code and
//! built once (on first request), then served from memory.
//!
//! - Paths and methods come from the route table (`routes::documented`, made by the same
//!   `table!` entries as the router), so a new route is in the document by existing; its doc
//!   comment in the table is the summary (a test fails when one has none).
//! - Each route's rule is written out (`x-nova-rule`, a sentence, and its security
//!   requirements: the `nova_session` cookie with `X-CSRF-Token` on changes, or an API token).
//! - Parameters, request body and reply come from the handler's *types* ([`Handler`]):
//!   `ApiPath<T>` types the `{param}` segments, `ApiQuery<T>` gives query parameters,
//!   `JsonBody<T>` the request body, `Json<T>` a 200 reply, `(StatusCode, Json<T>)` a 201 (the
//!   gateway returns a status with a body only for creations), a bare `StatusCode` a 204.
//!   Handlers that build a `Response` themselves are described in [`SPECIAL`]; a test fails
//!   when an operation ends up without a reply.
//! - Schemas are `nova-api`'s and `nova-lab-model`'s types through `schemars` (their `schema`
//!   feature): requests as they are parsed, replies as they are written.
//! - Errors are RFC 9457 problem details (`application/problem+json`, `crate::error`).
//!
//! A handler with an extractor this module does not know fails to compile at its table entry
//! (`Input` not implemented): add the impl here.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::LazyLock;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nova_api::web::{ConsoleControl, LabListItem, SessionInfo, UnlImported};
use nova_api::{EventMessage, StreamControl};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::authz::{Route, Rule};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, JsonBody};

/// Where the document's schemas live.
const SCHEMAS: &str = "#/components/schemas/";
/// Where reply schemas are generated before they are merged into [`SCHEMAS`].
const REPLY_SCHEMAS: &str = "#/components/x-reply-schemas/";

/// One route of the table with what the document needs besides the route itself.
#[derive(Debug, Clone)]
pub struct Documented {
    /// Method, path, rule, audit action.
    pub route: Route,
    /// The doc comment of its table entry, line by line.
    pub doc: &'static [&'static str],
    /// The handler's path (`topology::add_node`): the operation id.
    pub handler: &'static str,
    /// Reads the handler's types.
    pub draft: fn(&mut Gens) -> Draft,
}

/// The schema generators: requests (deserialize contract) and replies (serialize contract).
#[derive(Debug)]
pub struct Gens {
    input: SchemaGenerator,
    output: SchemaGenerator,
}

impl Gens {
    fn new() -> Gens {
        let settings = |path: &str| {
            SchemaSettings::draft2020_12().with(|s| {
                s.definitions_path = path.trim_start_matches('#').to_string().into();
                s.meta_schema = None;
            })
        };
        Gens {
            input: settings(SCHEMAS).for_deserialize().into_generator(),
            output: settings(REPLY_SCHEMAS).for_serialize().into_generator(),
        }
    }
}

/// What an operation is made of, read from the handler's types (then [`SPECIAL`]).
#[derive(Debug, Default)]
pub struct Draft {
    /// Schemas of the path parameters, in path order (from `ApiPath<T>`).
    path: Option<Vec<Value>>,
    /// The query's object schema (from `ApiQuery<T>`).
    query: Option<Value>,
    /// Request body: media type and schema (`None`: any bytes).
    body: Option<(&'static str, Option<Value>)>,
    /// The success reply.
    reply: Option<Reply>,
    /// Extra error statuses besides the ones every such route has.
    errors: Vec<u16>,
    /// More description (WebSocket frames, headers).
    notes: Vec<String>,
    /// `x-nova-websocket`: the messages of a WebSocket.
    websocket: Option<Value>,
}

/// A success reply.
#[derive(Debug)]
struct Reply {
    status: u16,
    description: String,
    /// Media type and schema; `None`: no body.
    content: Option<(&'static str, Value)>,
}

impl Reply {
    fn json(status: u16, description: &str, schema: impl Into<Value>) -> Reply {
        Reply {
            status,
            description: description.to_string(),
            content: Some(("application/json", schema.into())),
        }
    }
    fn empty(status: u16, description: &str) -> Reply {
        Reply {
            status,
            description: description.to_string(),
            content: None,
        }
    }
}

/// An extractor, as far as the document cares.
#[diagnostic::on_unimplemented(
    message = "the OpenAPI document cannot read the extractor `{Self}`",
    note = "implement `routes::openapi::Input` for it (and derive `schemars::JsonSchema` on \
            query and body types)"
)]
pub trait Input {
    /// Adds what the extractor reads (parameters, body) to the draft.
    fn document(_d: &mut Draft, _g: &mut Gens) {}
}

impl<S> Input for State<S> {}
impl<T> Input for Extension<T> {}
impl Input for HeaderMap {}

impl Input for WebSocketUpgrade {
    fn document(d: &mut Draft, _: &mut Gens) {
        d.reply = Some(Reply::empty(
            101,
            "Switching Protocols: the WebSocket is open (errors before it are problem details)",
        ));
    }
}

impl Input for Bytes {
    fn document(d: &mut Draft, _: &mut Gens) {
        d.body = Some(("application/octet-stream", None));
    }
}

/// A streamed raw body (image uploads).
impl Input for axum::body::Body {
    fn document(d: &mut Draft, _: &mut Gens) {
        d.body = Some(("application/octet-stream", None));
    }
}

impl<T: PathValues> Input for ApiPath<T> {
    fn document(d: &mut Draft, g: &mut Gens) {
        d.path = Some(T::schemas(&mut g.input));
    }
}

impl<T: JsonSchema> Input for ApiQuery<T> {
    fn document(d: &mut Draft, g: &mut Gens) {
        d.query = Some(T::json_schema(&mut g.input).to_value());
    }
}

impl<T: JsonSchema> Input for JsonBody<T> {
    fn document(d: &mut Draft, g: &mut Gens) {
        d.body = Some((
            "application/json",
            Some(g.input.subschema_for::<T>().to_value()),
        ));
    }
}

/// The value of `ApiPath<T>`: one type or a tuple, one schema per `{param}`.
pub trait PathValues {
    /// The schemas, in path order.
    fn schemas(g: &mut SchemaGenerator) -> Vec<Value>;
}

macro_rules! path_scalar {
    ($($t:ty),*) => {$(
        impl PathValues for $t {
            fn schemas(g: &mut SchemaGenerator) -> Vec<Value> {
                vec![g.subschema_for::<$t>().to_value()]
            }
        }
    )*};
}
path_scalar!(String, u32, u64, i64);

macro_rules! path_tuple {
    ($($t:ident),+) => {
        impl<$($t: JsonSchema),+> PathValues for ($($t,)+) {
            fn schemas(g: &mut SchemaGenerator) -> Vec<Value> {
                vec![$(g.subschema_for::<$t>().to_value()),+]
            }
        }
    };
}
path_tuple!(A, B);
path_tuple!(A, B, C);

/// A handler's return type, as far as the document cares.
#[diagnostic::on_unimplemented(
    message = "the OpenAPI document cannot read the handler result `{Self}`",
    note = "derive `schemars::JsonSchema` on the reply type, or implement \
            `routes::openapi::Output` for it"
)]
pub trait Output {
    /// Sets the draft's reply when the type says what it is.
    fn document(_d: &mut Draft, _g: &mut Gens) {}
}

impl<R: Output> Output for Result<R, ApiError> {
    fn document(d: &mut Draft, g: &mut Gens) {
        R::document(d, g);
    }
}

impl<T: JsonSchema> Output for axum::Json<T> {
    fn document(d: &mut Draft, g: &mut Gens) {
        d.reply = Some(Reply::json(200, "OK", g.output.subschema_for::<T>()));
    }
}

/// A status with a JSON body: the gateway answers so only when it created something.
impl<T: JsonSchema> Output for (StatusCode, axum::Json<T>) {
    fn document(d: &mut Draft, g: &mut Gens) {
        d.reply = Some(Reply::json(201, "Created", g.output.subschema_for::<T>()));
    }
}

/// A bare status: 204 (a creation without a body says so in [`SPECIAL`]).
impl Output for StatusCode {
    fn document(d: &mut Draft, _: &mut Gens) {
        d.reply = Some(Reply::empty(204, "Done (no body)"));
    }
}

impl Output for &'static str {
    fn document(d: &mut Draft, _: &mut Gens) {
        d.reply = Some(Reply {
            status: 200,
            description: "OK".into(),
            content: Some(("text/plain", json!({ "type": "string" }))),
        });
    }
}

/// Untyped: described in [`SPECIAL`] (unless an extractor says, like a WebSocket upgrade).
impl Output for Response {}

/// A handler function whose arguments are all [`Input`]s and whose result is an [`Output`].
#[diagnostic::on_unimplemented(
    message = "the OpenAPI document cannot read the types of handler `{Self}`",
    note = "every argument must implement `routes::openapi::Input` and the result \
            `routes::openapi::Output`: derive `schemars::JsonSchema` on query, body and reply \
            types (see web-gateway/src/routes/openapi.rs)"
)]
pub trait Handler<M> {
    /// The draft of its operation.
    fn draft(g: &mut Gens) -> Draft;
}

macro_rules! handler {
    ($($t:ident),*) => {
        impl<F, Fut, R, $($t),*> Handler<($($t,)*)> for F
        where
            F: Fn($($t),*) -> Fut,
            Fut: Future<Output = R>,
            R: Output,
            $($t: Input,)*
        {
            fn draft(g: &mut Gens) -> Draft {
                let mut d = Draft::default();
                $(<$t as Input>::document(&mut d, g);)*
                R::document(&mut d, g);
                d
            }
        }
    };
}
handler!();
handler!(T1);
handler!(T1, T2);
handler!(T1, T2, T3);
handler!(T1, T2, T3, T4);
handler!(T1, T2, T3, T4, T5);
handler!(T1, T2, T3, T4, T5, T6);
handler!(T1, T2, T3, T4, T5, T6, T7);

/// The drafting function of a handler (used by the `table!` macro).
pub fn drafter<M, H: Handler<M>>(_: H) -> fn(&mut Gens) -> Draft {
    H::draft
}

/// Completes a draft with what a handler's types cannot say.
pub type Amend = fn(&mut Draft, &mut Gens);

/// What a handler's types cannot say: (method, path, amend). A test fails when an entry names
/// no route of the table.
pub const SPECIAL: &[(&str, &str, Amend)] = &[
    ("POST", "/api/session", |d, g| {
        d.reply = Some(Reply::json(
            201,
            "Signed in: `Set-Cookie: nova_session=…` (HttpOnly, SameSite=Strict); send \
             `csrf_token` as `X-CSRF-Token` on every change",
            g.output.subschema_for::<SessionInfo>(),
        ));
        d.errors.push(429);
    }),
    ("DELETE", "/api/session", |d, _| {
        d.reply = Some(Reply::empty(204, "Signed out; the cookie is cleared"));
    }),
    ("POST", "/api/folders", |d, _| {
        d.reply = Some(Reply::empty(201, "Created (no body)"));
    }),
    ("POST", "/api/labs", |d, g| {
        d.reply = Some(Reply::json(
            201,
            "Created: the lab as listed for the caller (its owner)",
            g.output.subschema_for::<LabListItem>(),
        ));
    }),
    ("POST", "/api/labs/import", |d, g| {
        d.reply = Some(Reply::json(
            201,
            "Imported: the lab as listed for the caller (its owner)",
            g.output.subschema_for::<LabListItem>(),
        ));
    }),
    ("POST", "/api/labs/import/unl", |d, g| {
        d.body = Some(("application/octet-stream", None));
        d.notes.push(
            "The body is the `.unl` file itself (`curl --data-binary @lab.unl`). Images and \
             templates are not part of a `.unl`: import those on the host with \
             `nova-ve-import-eveng`."
                .into(),
        );
        d.reply = Some(Reply::json(
            201,
            "Imported: the lab, and what the conversion could not keep exactly",
            g.output.subschema_for::<UnlImported>(),
        ));
        d.errors.push(422);
    }),
    ("GET", "/api/labs/{id}/export", |d, g| {
        d.reply = Some(Reply::json(
            200,
            "The lab JSON document (`Content-Disposition: attachment`)",
            g.output.subschema_for::<nova_api::model::Lab>(),
        ));
    }),
    ("GET", "/api/labs/{id}/events", |d, g| {
        d.notes.push(
            "Text frames from the server: first `hello` (the lab's current `seq`), then the \
             events after `since` when the server still has them, else `resnapshot` (the whole \
             lab), then every event as it happens. The `Origin` must be the gateway's own (or \
             allowed). Close codes: 4008 too slow (reconnect with `?since=`), 4003 access \
             revoked, 4004 lab deleted. See docs/events.md."
                .into(),
        );
        d.websocket = Some(json!({
            "server": { "anyOf": [
                g.output.subschema_for::<StreamControl>(),
                g.output.subschema_for::<EventMessage>(),
            ]},
        }));
    }),
    ("GET", "/api/labs/{id}/nodes/{node}/console", |d, g| {
        d.notes.push(
            "Binary frames are the terminal: keyboard input from the client, output (recent \
             output first) from the gateway. A text frame from the client resizes the \
             terminal. Close codes: docs/api.md."
                .into(),
        );
        d.websocket = Some(json!({
            "client": g.output.subschema_for::<ConsoleControl>(),
        }));
    }),
    ("GET", "/api/labs/{id}/links/{link}/capture", |d, _| {
        d.reply = Some(pcap());
    }),
    (
        "GET",
        "/api/labs/{id}/nodes/{node}/interfaces/{index}/capture",
        |d, _| {
            d.reply = Some(pcap());
        },
    ),
    ("PUT", "/api/images/{kind}/{name}", |d, _| {
        d.notes.push(
            "The body is the image file itself, with a `Content-Length` (`curl -T file`); \
             optional `X-Checksum-Sha256` (hex) is checked. At most 64 GiB; an existing image \
             is never replaced (409)."
                .into(),
        );
        d.errors.extend([409, 411, 413]);
    }),
    ("GET", "/metrics", |d, _| {
        d.reply = Some(Reply {
            status: 200,
            description: "Prometheus text exposition format, version 0.0.4".into(),
            content: Some(("text/plain", json!({ "type": "string" }))),
        });
    }),
    ("GET", "/api/openapi.json", |d, _| {
        d.reply = Some(Reply::json(
            200,
            "An OpenAPI 3.1 document",
            json!({ "type": "object" }),
        ));
    }),
];

/// A live capture: a pcap stream until the client leaves or `seconds` pass.
fn pcap() -> Reply {
    Reply {
        status: 200,
        description: "A live pcap stream (taken on the host side by netd), until the client \
                      disconnects or `seconds` pass"
            .into(),
        content: Some((
            "application/vnd.tcpdump.pcap",
            json!({ "type": "string", "contentMediaType": "application/vnd.tcpdump.pcap" }),
        )),
    }
}

/// The rule in words.
pub fn rule_text(rule: Rule) -> &'static str {
    match rule {
        Rule::Public => "public: no sign-in needed",
        Rule::SignedIn => "needs a signed-in user (session or API token)",
        Rule::Editor => "needs the editor or admin role",
        Rule::Admin => "needs the admin role",
        Rule::LabView => {
            "needs read access to the lab (viewer, editor, owner or admin); a lab the caller \
             may not see is 404"
        }
        Rule::LabEdit => "needs edit access to the lab (editor, owner or admin)",
        Rule::LabOwner => "needs to own the lab (or be an admin)",
        Rule::LocalOrAdmin => {
            "a caller on the gateway's own host (loopback, not through a reverse proxy), or an \
             admin"
        }
    }
}

fn is_change(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The problem details a status stands for: (status, name in `components/responses`, words).
const ERRORS: &[(u16, &str, &str)] = &[
    (400, "BadRequest", "Malformed or invalid input"),
    (
        401,
        "Unauthorized",
        "Not signed in (no or expired session, unknown API token)",
    ),
    (
        403,
        "Forbidden",
        "Not allowed: role, lab access, or a missing or wrong `X-CSRF-Token`",
    ),
    (
        404,
        "NotFound",
        "Unknown id, or a lab the caller may not see",
    ),
    (
        409,
        "Conflict",
        "Conflicts with the current state (exists, running, last admin)",
    ),
    (413, "PayloadTooLarge", "The body is larger than allowed"),
    (
        415,
        "UnsupportedMediaType",
        "The body is not `application/json`",
    ),
    (
        422,
        "Unprocessable",
        "Well-formed, but not supported here (e.g. link delay without sch_netem)",
    ),
    (
        429,
        "TooManyRequests",
        "Too many failed sign-ins; try again later",
    ),
];

fn error_ref(status: u16) -> Value {
    let name = ERRORS
        .iter()
        .find(|e| e.0 == status)
        .map_or("Error", |e| e.1);
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// The operation's tag: the kind of thing its path is about.
fn tag(path: &str) -> String {
    let segs: Vec<&str> = path
        .trim_start_matches("/api")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segs.as_slice() {
        ["labs", id, sub @ ("nodes" | "networks" | "links"), ..] if id.starts_with('{') => {
            (*sub).to_string()
        }
        ["metrics"] | ["openapi.json"] => "system".into(),
        [first, ..] => (*first).to_string(),
        [] => "api".into(),
    }
}

/// `{*path}` → `path` (OpenAPI has no catch-all; the parameter says it may hold `/`).
fn params(path: &str) -> Vec<(String, bool)> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|p| match p.strip_prefix('*') {
            Some(rest) => (rest.to_string(), true),
            None => (p.to_string(), false),
        })
        .collect()
}

fn openapi_path(path: &str) -> String {
    path.replace("{*", "{")
}

fn operation(doc: &Documented, g: &mut Gens) -> Value {
    let r = &doc.route;
    let mut d = (doc.draft)(g);
    for (m, p, amend) in SPECIAL {
        if r.method.as_str() == *m && r.path == *p {
            amend(&mut d, g);
        }
    }
    let lines: Vec<&str> = doc.doc.iter().map(|l| l.trim()).collect();
    let summary = lines.first().copied().unwrap_or("");
    let mut description: Vec<String> = Vec::new();
    let rest = lines.get(1..).unwrap_or(&[]).join("\n");
    if !rest.trim().is_empty() {
        description.push(rest.trim().to_string());
    }
    description.extend(d.notes.iter().cloned());
    let mut access = format!("**Access:** {} (`{:?}`).", rule_text(r.rule), r.rule);
    if !r.action.is_empty() {
        access.push_str(&format!(" Audited as `{}`.", r.action));
    }
    description.push(access);

    let mut parameters = Vec::new();
    let names = params(r.path);
    let types = d.path.take().filter(|t| t.len() == names.len());
    for (i, (name, rest)) in names.iter().enumerate() {
        let schema = types
            .as_ref()
            .map_or_else(|| json!({ "type": "string" }), |t| t[i].clone());
        let mut p = json!({ "name": name, "in": "path", "required": true, "schema": schema });
        if let Some(words) = param_text(name) {
            p["description"] = json!(words);
        } else if *rest {
            p["description"] = json!("The rest of the path: may contain `/`.");
        }
        parameters.push(p);
    }
    if let Some(q) = &d.query {
        let required: Vec<&str> = q["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = q["properties"].as_object() {
            for (name, schema) in props {
                let mut schema = schema.clone();
                let mut p = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                });
                if let Some(desc) = schema.as_object_mut().and_then(|o| o.remove("description")) {
                    p["description"] = desc;
                }
                p["schema"] = not_null(schema);
                parameters.push(p);
            }
        }
    }

    let mut responses = Map::new();
    if let Some(reply) = &d.reply {
        let mut resp = json!({ "description": reply.description });
        if let Some((media, schema)) = &reply.content {
            resp["content"] = json!({ *media: { "schema": schema } });
        }
        responses.insert(reply.status.to_string(), resp);
    }
    let mut errors: Vec<u16> = d.errors.clone();
    let has_input = !names.is_empty() || d.query.is_some() || d.body.is_some();
    if has_input {
        errors.push(400);
    }
    if r.rule != Rule::Public {
        errors.extend([401, 403]);
    }
    if !names.is_empty() || r.rule.is_lab_scoped() {
        errors.push(404);
    }
    if is_change(&r.method) && r.rule != Rule::Public {
        errors.push(409);
    }
    // labd's NotSupported: what this host cannot do (e.g. link delay without sch_netem).
    if is_change(&r.method) && r.rule.is_lab_scoped() {
        errors.push(422);
    }
    match &d.body {
        Some(("application/json", _)) => errors.extend([413, 415]),
        Some(_) => errors.push(413),
        None => {}
    }
    errors.sort_unstable();
    errors.dedup();
    for e in errors {
        responses.insert(e.to_string(), error_ref(e));
    }
    responses.insert("default".into(), error_ref(0));

    let id: String = doc
        .handler
        .split("::")
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("_");
    let mut op = json!({
        "operationId": id,
        "summary": summary,
        "description": description.join("\n\n"),
        "tags": [tag(r.path)],
        "x-nova-rule": format!("{:?}", r.rule),
        "security": security(r),
        "responses": responses,
    });
    if !r.action.is_empty() {
        op["x-nova-audit"] = json!(r.action);
    }
    if !parameters.is_empty() {
        op["parameters"] = json!(parameters);
    }
    if let Some((media, schema)) = &d.body {
        let schema = schema.clone().unwrap_or_else(|| json!({}));
        op["requestBody"] =
            json!({ "required": true, "content": { *media: { "schema": schema } } });
    }
    if let Some(ws) = d.websocket.take() {
        op["x-nova-websocket"] = ws;
    }
    op
}

/// Who may call: nobody needs to sign in for a public route; the others take the session
/// cookie (with the CSRF header on changes) or an API token.
fn security(r: &Route) -> Value {
    let session = if is_change(&r.method) {
        json!({ "session": [], "csrf": [] })
    } else {
        json!({ "session": [] })
    };
    match r.rule {
        Rule::Public => json!([]),
        Rule::LocalOrAdmin => json!([{}, session, { "token": [] }]),
        _ => json!([session, { "token": [] }]),
    }
}

/// Rewrites every `$ref` in `v` with `f`.
fn rewrite_refs(v: &mut Value, f: &impl Fn(&str) -> Option<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if k == "$ref"
                    && let Some(new) = x.as_str().and_then(f)
                {
                    *x = Value::String(new);
                } else {
                    rewrite_refs(x, f);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_refs(x, f)),
        _ => {}
    }
}

/// The problem details body (`crate::error`).
fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": { "type": "string", "description": "Always `about:blank`." },
            "title": { "type": "string", "description": "The status's reason phrase." },
            "status": { "type": "integer", "description": "The HTTP status." },
            "detail": {
                "type": "string",
                "description": "What was wrong and, where the client can act, what to do."
            }
        }
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut g = Gens::new();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for doc in super::documented() {
        let op = operation(&doc, &mut g);
        let path = openapi_path(doc.route.path);
        if !paths.contains_key(&path) {
            order.push(path.clone());
        }
        paths
            .entry(path)
            .or_default()
            .insert(doc.route.method.as_str().to_ascii_lowercase(), op);
    }
    // Request and reply schemas of one type differ where a field is optional on input and
    // always written on output: the reply's then gets its own name.
    let mut schemas = g.input.take_definitions(true);
    let replies = g.output.take_definitions(true);
    let names = reply_names(&schemas, &replies);
    for (name, mut schema) in replies {
        if names[&name] == name && schemas.contains_key(&name) {
            continue; // the same schema both ways
        }
        rewrite_refs(&mut schema, &|r| reply_ref(r, &names));
        schemas.insert(names[&name].clone(), schema);
    }
    schemas.insert("Problem".into(), problem_schema());
    let mut sorted = Map::new();
    let mut keys: Vec<String> = schemas.keys().cloned().collect();
    keys.sort();
    for k in keys {
        if let Some(v) = schemas.remove(&k) {
            sorted.insert(k, v);
        }
    }

    let mut responses = Map::new();
    for (status, name, words) in ERRORS {
        responses.insert(
            (*name).to_string(),
            json!({
                "description": format!("{status}: {words}"),
                "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
            }),
        );
    }
    responses.insert(
        "Error".into(),
        json!({
            "description": "Any other error, e.g. 500, or 502/503 when labd or the database \
                            failed or is unreachable",
            "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
        }),
    );

    let mut path_map = Map::new();
    for p in order {
        if let Some(ops) = paths.remove(&p) {
            path_map.insert(p, Value::Object(ops));
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for ops in path_map.values() {
        for op in ops.as_object().into_iter().flat_map(|o| o.values()) {
            if let Some(t) = op["tags"][0].as_str()
                && !tags.iter().any(|x| x == t)
            {
                tags.push(t.to_string());
            }
        }
    }

    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "nova-ve HTTP API",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "The web gateway's REST API and WebSockets over nova-ve-labd.",
            "description": "Generated from the gateway's route table and the Rust types of \
                `nova-api`. JSON bodies; unknown fields are refused. Errors are RFC 9457 \
                problem details (`application/problem+json`). Sign in with `POST /api/session` \
                (a `nova_session` cookie, and a `csrf_token` to send as `X-CSRF-Token` on every \
                POST, PUT, PATCH and DELETE), or send an API token as `Authorization: Bearer \
                nvt_…`. See docs/api.md.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [{ "url": "/" }],
        "tags": tags.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
        "security": [{ "session": [] }, { "token": [] }],
        "paths": path_map,
        "components": {
            "schemas": sorted,
            "responses": responses,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": crate::guard::COOKIE,
                    "description": "The session cookie set by `POST /api/session` (HttpOnly, \
                                    SameSite=Strict)."
                },
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "The session's `csrf_token` (from `POST` or `GET \
                                    /api/session`): with the cookie, every POST, PUT, PATCH \
                                    and DELETE needs it."
                },
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "nvt_…",
                    "description": "An API token (`POST /api/tokens`); no CSRF header needed."
                }
            }
        }
    });
    rewrite_refs(&mut doc, &|r| reply_ref(r, &names));
    tidy_descriptions(&mut doc);
    doc
}

/// A reply schema's `$ref`, pointing into `components/schemas` under its final name.
fn reply_ref(r: &str, names: &BTreeMap<String, String>) -> Option<String> {
    r.strip_prefix(REPLY_SCHEMAS)
        .map(|name| format!("{SCHEMAS}{}", names.get(name).map_or(name, String::as_str)))
}

/// The final name of each reply schema: its own, unless the request schema of that name
/// differs (then `…Reply`). Differences propagate through references, so this repeats until
/// nothing changes.
fn reply_names(
    requests: &Map<String, Value>,
    replies: &Map<String, Value>,
) -> BTreeMap<String, String> {
    let mut names: BTreeMap<String, String> =
        replies.keys().map(|n| (n.clone(), n.clone())).collect();
    loop {
        let mut changed = false;
        for (name, schema) in replies {
            let Some(request) = requests.get(name) else {
                continue;
            };
            if names[name] != *name {
                continue;
            }
            let mut schema = schema.clone();
            rewrite_refs(&mut schema, &|r| reply_ref(r, &names));
            if schema != *request {
                let mut new = format!("{name}Reply");
                while requests.contains_key(&new) || replies.contains_key(&new) {
                    new.push('_');
                }
                names.insert(name.clone(), new);
                changed = true;
            }
        }
        if !changed {
            return names;
        }
    }
}

/// Rustdoc's intra-doc links (`[`Lab::nodes`]`) as plain code in every description.
fn tidy_descriptions(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                match x {
                    Value::String(s) if k == "description" => {
                        *s = s.replace("[`", "`").replace("`]", "`");
                    }
                    _ => tidy_descriptions(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(tidy_descriptions),
        _ => {}
    }
}

/// A query parameter's schema: absent rather than `null`.
fn not_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let rest: Vec<&Value> = any.iter().filter(|s| s["type"] != "null").collect();
        if let [only] = rest.as_slice() {
            let only = (*only).clone();
            schema.as_object_mut().map(|o| o.remove("anyOf"));
            if let (Some(o), Value::Object(add)) = (schema.as_object_mut(), only) {
                o.extend(add);
            }
        }
    }
    schema
}

/// Words for the path parameters the table uses.
fn param_text(name: &str) -> Option<&'static str> {
    Some(match name {
        "id" => "The lab's id.",
        "node" => "The node's id in the lab.",
        "net" => "The network's id in the lab.",
        "link" => "The link's id (`lnk_NNN`).",
        "user" => "The user's id.",
        "token" => "The API token's id.",
        "index" => "The interface's index on the node.",
        "path" => "The folder's path (`a/b`): may contain `/`.",
        _ => return None,
    })
}

static DOCUMENT: LazyLock<Bytes> = LazyLock::new(|| {
    Bytes::from(serde_json::to_vec_pretty(&document()).expect("the document serializes"))
});

/// `GET /api/openapi.json`.
pub async fn serve() -> Response {
    let mut r = DOCUMENT.clone().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        document()
    }

    fn op<'a>(d: &'a Value, method: &str, path: &str) -> &'a Value {
        &d["paths"][path][method]
    }

    #[test]
    fn every_route_of_the_table_has_an_operation() {
        let d = doc();
        let mut ids = std::collections::HashSet::new();
        for r in super::super::table() {
            let path = openapi_path(r.path);
            let method = r.method.as_str().to_ascii_lowercase();
            let o = op(&d, &method, &path);
            assert!(
                o.is_object(),
                "{} {}: no operation in the document",
                r.method,
                r.path
            );
            let summary = o["summary"].as_str().unwrap_or("");
            assert!(
                !summary.trim().is_empty(),
                "{} {}: give the route a doc comment in the table (its summary)",
                r.method,
                r.path
            );
            assert_eq!(
                o["x-nova-rule"],
                format!("{:?}", r.rule),
                "{} {}",
                r.method,
                r.path
            );
            assert!(
                o["description"]
                    .as_str()
                    .unwrap()
                    .contains(rule_text(r.rule)),
                "{} {}: the rule in words",
                r.method,
                r.path
            );
            let ok = o["responses"]
                .as_object()
                .unwrap()
                .keys()
                .any(|k| k.starts_with('2') || k == "101");
            assert!(
                ok,
                "{} {}: no success reply; the handler returns an untyped Response: describe it \
                 in openapi::SPECIAL",
                r.method, r.path
            );
            assert!(ids.insert(o["operationId"].as_str().unwrap().to_string()));
            let declared: Vec<&str> = o["parameters"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let want: Vec<String> = params(r.path).into_iter().map(|p| p.0).collect();
            assert_eq!(declared, want, "{} {}: path parameters", r.method, r.path);
        }
        let count: usize = d["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|o| o.as_object().unwrap().len())
            .sum();
        assert_eq!(
            count,
            super::super::table().len(),
            "no operation without a route"
        );
    }

    #[test]
    fn special_entries_name_routes_of_the_table() {
        let table = super::super::table();
        for (m, p, _) in SPECIAL {
            assert!(
                table
                    .iter()
                    .any(|r| r.method.as_str() == *m && r.path == *p),
                "openapi::SPECIAL names {m} {p}, which is not in the table"
            );
        }
    }

    #[test]
    fn every_ref_resolves() {
        fn walk(v: &Value, d: &Value, bad: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                        let ok = r.strip_prefix('#').and_then(|p| d.pointer(p)).is_some();
                        if !ok {
                            bad.push(r.to_string());
                        }
                    }
                    o.values().for_each(|x| walk(x, d, bad));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, d, bad)),
                _ => {}
            }
        }
        let d = doc();
        let mut bad = Vec::new();
        walk(&d, &d, &mut bad);
        assert!(bad.is_empty(), "unresolved: {bad:?}");
        assert!(d["components"].get("x-reply-schemas").is_none());
    }

    #[test]
    fn schemas_follow_the_types() {
        let d = doc();
        let s = &d["components"]["schemas"];
        // Unknown fields are refused in requests.
        assert_eq!(s["NodeSpec"]["additionalProperties"], false);
        assert_eq!(s["LinkSpec"]["additionalProperties"], false);
        let req: Vec<&str> = s["NodeSpec"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(req, ["name", "template"]);
        // The `type` rename, and a string enum that keeps unknown values.
        assert!(s["NodeSpec"]["properties"]["type"].is_object());
        let kinds = serde_json::to_string(&s["NodeKind"]).unwrap();
        assert!(
            kinds.contains("\"linux\"") && kinds.contains("anyOf"),
            "{kinds}"
        );
        // Hand-written schemas: an endpoint is a node interface or a network.
        let ends = serde_json::to_string(&s["Endpoint"]["anyOf"]).unwrap();
        assert!(ends.contains("NodeEndpoint") && ends.contains("NetworkEndpoint"));
        // Bodies and replies by reference.
        let add = op(&d, "post", "/api/labs/{id}/nodes");
        assert_eq!(
            add["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/NodeSpec"
        );
        assert_eq!(
            add["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Created"
        );
        let get = op(&d, "get", "/api/labs/{id}");
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/LabSnapshot"
        );
        assert!(s["Lab"]["properties"]["nodes"].is_object());
        // Path parameters typed by the handler: a node id is an integer.
        let node = op(&d, "get", "/api/labs/{id}/nodes/{node}");
        assert_eq!(node["parameters"][1]["name"], "node");
        assert_eq!(node["parameters"][1]["schema"]["type"], "integer");
        // Query parameters from the query type.
        let audit = op(&d, "get", "/api/audit");
        let q: Vec<&str> = audit["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(q.contains(&"before") && q.contains(&"lab"), "{q:?}");
        assert_eq!(audit["parameters"][0]["schema"]["type"], "integer");
        // A type that reads as it writes has one schema, not a `…Reply` twin.
        assert!(s.get("EndpointReply").is_none() && s.get("NodeEndpointReply").is_none());
        // Errors are problem details.
        assert_eq!(
            add["responses"]["403"]["$ref"],
            "#/components/responses/Forbidden"
        );
        assert!(
            d["components"]["responses"]["Forbidden"]["content"]["application/problem+json"]
                .is_object()
        );
        // WebSockets answer 101.
        assert!(op(&d, "get", "/api/labs/{id}/events")["responses"]["101"].is_object());
    }

    #[test]
    fn security_follows_the_rule() {
        let d = doc();
        assert_eq!(op(&d, "post", "/api/session")["security"], json!([]));
        assert_eq!(
            op(&d, "post", "/api/labs/{id}/nodes")["security"],
            json!([{ "session": [], "csrf": [] }, { "token": [] }])
        );
        assert_eq!(
            op(&d, "get", "/api/labs")["security"],
            json!([{ "session": [] }, { "token": [] }])
        );
        let schemes = &d["components"]["securitySchemes"];
        assert_eq!(schemes["session"]["name"], crate::guard::COOKIE);
        assert!(
            schemes["csrf"]["name"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(crate::guard::CSRF_HEADER)
        );
        assert_eq!(schemes["token"]["scheme"], "bearer");
        let edit = op(&d, "patch", "/api/labs/{id}/nodes/{node}");
        assert!(
            edit["description"]
                .as_str()
                .unwrap()
                .contains("needs edit access to the lab")
        );
        assert_eq!(edit["x-nova-audit"], "node.update");
    }

    #[tokio::test]
    async fn problem_schema_matches_the_errors_the_gateway_sends() {
        let r = ApiError::forbidden("no").into_response();
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        keys.sort();
        let schema = problem_schema();
        let mut want: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        want.sort();
        assert_eq!(keys, want);
    }

    #[tokio::test]
    async fn served_from_memory_as_json() {
        let r = serve().await;
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(r.into_body(), 16 << 20).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert!(std::ptr::eq(
            DOCUMENT.as_ref().as_ptr(),
            LazyLock::force(&DOCUMENT).as_ref().as_ptr()
        ));
    }
}
