//! The gateway's integration-test harness: a real sandbox (systemd, D-Bus, polkit) sharing the
//! host's network namespace, nova-ve-labd, and the real `nova-ve-gateway.service` listening on
//! a free loopback port, on SQLite (the default file) or on a PostgreSQL database of its own; a
//! small blocking HTTP and WebSocket client to talk to it.
//!
//! Needs root, the binaries built (`cargo build -p nova-ve-netd -p nova-ve-labd -p
//! nova-ve-gateway --bins`) and, for the PostgreSQL variants, the host's PostgreSQL with the
//! login role `nova_gw_test` (`scripts/install-test-deps` starts it and creates the role).
//!
//! The sandbox shares the host's network, so an interface made inside would be the host's. netd
//! runs (labd requires it), but it only makes interfaces for running nodes, and the labs here
//! hold only kinds this version does not start (qemu) or nodes nobody starts: at the end of
//! every test the harness checks that netd owns no interface.

#![allow(dead_code)] // each test binary uses its part

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, Request, header};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use nova_test_sandbox::Sandbox;
use serde_json::{Value, json};
use tungstenite::client::IntoClientRequest as _;

/// Defines `mod NAME { fn sqlite(); fn postgres(); }` for each test function `NAME(Db)`, so every
/// test runs on both databases (`cargo nextest run -p nova-ve-gateway postgres`).
macro_rules! on_both_dbs {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::common::Db::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::common::Db::Postgres)
            }
        }
    )+};
}

/// The gateway's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// The default: a SQLite file in the gateway's state directory (the sandbox's /var/lib).
    Sqlite,
    /// A database of this test's own on the host's PostgreSQL, over TCP with a password.
    Postgres,
}

/// The role the gateway signs in to PostgreSQL with (created by `scripts/install-test-deps`).
pub const PG_ROLE: &str = "nova_gw_test";
/// Its password (a test role on a loopback-only server).
pub const PG_PASSWORD: &str = "nova-gw-test";
/// How the test itself reaches PostgreSQL: as root, over the host's unix socket.
const PG_ROOT_URL: &str = "postgres:///postgres?host=/var/run/postgresql";
const SQLITE_URL: &str = "sqlite:///var/lib/nova-ve-gateway/gateway.db";
const GATEWAY: &str = "/usr/libexec/nova-ve/nova-ve-gateway";
const UNIT: &str = "nova-ve-gateway.service";

/// A password for test users (the store wants a dozen bytes or more).
pub fn password_of(username: &str) -> String {
    format!("pw-{username}-0123456789")
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn psql(sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args([PG_ROOT_URL, "-v", "ON_ERROR_STOP=1", "-tAqc", sql])
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// A PostgreSQL database of one test, dropped when the test ends (also when it fails).
#[derive(Debug)]
pub struct PgDb {
    name: String,
}

impl PgDb {
    /// Creates an empty database owned by [`PG_ROLE`].
    pub fn create() -> PgDb {
        let fix =
            "run `sudo scripts/install-test-deps` (it starts PostgreSQL and creates the role)";
        let role = format!("SELECT rolcanlogin FROM pg_roles WHERE rolname = '{PG_ROLE}'");
        match psql(&role) {
            Ok(can_login) if can_login == "t" => {}
            Ok(_) => panic!("PostgreSQL has no login role {PG_ROLE}: {fix}"),
            Err(e) => panic!("PostgreSQL is not reachable at {PG_ROOT_URL} as root ({e}): {fix}"),
        }
        let name = unique("nova_gw_test");
        if let Err(e) = psql(&format!("CREATE DATABASE {name} OWNER {PG_ROLE}")) {
            panic!("cannot create database {name}: {e}: {fix}");
        }
        PgDb { name }
    }

    /// The URL the gateway uses: TCP on loopback with the role's password (its uid inside the
    /// sandbox means nothing to the host, so peer authentication cannot work).
    pub fn url(&self) -> String {
        format!(
            "postgres://{PG_ROLE}:{PG_PASSWORD}@127.0.0.1:5432/{}",
            self.name
        )
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = psql(&drop) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released for the gateway).
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

/// The gateway in its sandbox. Fields drop in order: the sandbox (and the gateway in it) goes
/// before its PostgreSQL database.
#[derive(Debug)]
pub struct Gateway {
    /// The sandbox.
    pub sb: Sandbox,
    /// Where the gateway listens.
    pub addr: SocketAddr,
    /// Its database.
    pub db: Db,
    /// The first administrator's password (`admin create`), once started.
    pub admin_password: String,
    pg: Option<PgDb>,
}

/// `nova-ve-gateway ARGS` in `sb` as an operator runs it: as the gateway's user, with its
/// environment file and state directory (`systemd-run --wait --pipe`, like scripts/demo).
pub fn operator(sb: &Sandbox, args: &[&str]) -> Output {
    let mut argv = vec![
        "systemd-run",
        "--quiet",
        "--wait",
        "--pipe",
        "--collect",
        "-p",
        "User=nova-ve-gw",
        "-p",
        "Group=nova-ve-gw",
        "-p",
        "StateDirectory=nova-ve-gateway",
        "-p",
        "StateDirectoryMode=0700",
        "-p",
        "EnvironmentFile=/etc/nova-ve/gateway.env",
        GATEWAY,
    ];
    argv.extend_from_slice(args);
    sb.run(&argv).expect("systemd-run")
}

impl Gateway {
    /// A sandbox with labd running and the gateway configured (`/etc/nova-ve/gateway.env`:
    /// listen address, database URL), its database neither migrated nor the unit started.
    pub fn configure(db: Db) -> Gateway {
        let bins = nova_test_sandbox::paths::bin_dir().expect("target dir");
        for b in ["nova-ve-labd", "nova-ve-gateway"] {
            assert!(
                bins.join(b).exists(),
                "{b} not built: cargo build -p nova-ve-netd -p nova-ve-labd -p nova-ve-gateway --bins"
            );
        }
        let pg = (db == Db::Postgres).then(PgDb::create);
        let url = pg.as_ref().map_or(SQLITE_URL.to_string(), PgDb::url);
        let sb = Sandbox::builder()
            .host_network(true)
            .boot()
            .unwrap_or_else(|e| panic!("sandbox: {e}"));
        sb.run_ok(&["systemctl", "start", "nova-ve-labd.service"])
            .unwrap_or_else(|e| panic!("start labd: {e}\n{}", sb.journal_tail(60)));
        let addr = free_addr();
        let listen = format!("NOVA_VE_LISTEN={addr}");
        let database = format!("NOVA_VE_DATABASE_URL={url}");
        sb.run_ok(&[
            "sh",
            "-c",
            "mkdir -p /etc/nova-ve && printf '%s\\n' \"$@\" >/etc/nova-ve/gateway.env",
            "sh",
            &listen,
            &database,
        ])
        .expect("write gateway.env");
        Gateway {
            sb,
            addr,
            db,
            admin_password: String::new(),
            pg,
        }
    }

    /// A running gateway: migrated, with an administrator, the unit started; and that
    /// administrator signed in.
    pub fn start(db: Db) -> (Gateway, Client) {
        let mut gw = Gateway::configure(db);
        gw.operator_ok(&["migrate"]);
        let created = gw.operator_ok(&["admin", "create", "--username", "admin"]);
        let password = created
            .lines()
            .find_map(|l| l.strip_prefix("password: "))
            .unwrap_or_else(|| panic!("no password in {created:?}"))
            .to_string();
        gw.start_unit()
            .unwrap_or_else(|e| panic!("{UNIT} did not start: {e}\n{}", gw.journal()));
        let admin = gw.login("admin", &password);
        gw.admin_password = password;
        (gw, admin)
    }

    /// `nova-ve-gateway ARGS` as an operator runs it: as the gateway's user, with its
    /// environment file and state directory (`systemd-run --wait --pipe`, like scripts/demo).
    pub fn operator(&self, args: &[&str]) -> Output {
        operator(&self.sb, args)
    }

    /// [`Gateway::operator`], which must succeed; its stdout.
    pub fn operator_ok(&self, args: &[&str]) -> String {
        let out = self.operator(args);
        assert!(
            out.status.success(),
            "nova-ve-gateway {args:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `systemctl start nova-ve-gateway.service` (returns once it is ready: Type=notify).
    pub fn start_unit(&self) -> Result<String, nova_test_sandbox::Error> {
        self.sb.run_ok(&["systemctl", "start", UNIT])
    }

    /// The gateway unit's journal.
    pub fn journal(&self) -> String {
        self.sb
            .journal(UNIT)
            .unwrap_or_else(|e| format!("(journal: {e})"))
    }

    /// A client that is not signed in.
    pub fn anonymous(&self) -> Client {
        Client {
            addr: self.addr,
            session: None,
            token: None,
            headers: Vec::new(),
            user: Value::Null,
        }
    }

    /// A client signed in as `username` (POST /api/session).
    pub fn login(&self, username: &str, password: &str) -> Client {
        let anon = self.anonymous();
        let r = anon.post(
            "/api/session",
            &json!({"username": username, "password": password}),
        );
        assert_eq!(r.status, 201, "sign-in of {username}: {}", r.text());
        let cookie = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.split(';').next()?.strip_prefix("nova_session="))
            .expect("a nova_session cookie")
            .to_string();
        let info = r.json();
        Client {
            session: Some((cookie, info["csrf_token"].as_str().expect("csrf").into())),
            user: info["user"].clone(),
            ..anon
        }
    }

    /// A new user with `role` (created by `admin`), signed in.
    pub fn user(&self, admin: &Client, username: &str, role: &str) -> Client {
        admin
            .post(
                "/api/users",
                &json!({"username": username, "password": password_of(username), "role": role}),
            )
            .expect(201);
        self.login(username, &password_of(username))
    }
}

impl Gateway {
    /// The interfaces netd made (in the host's namespace, which the sandbox shares).
    pub fn netd_interfaces(&self) -> String {
        let list = [
            "busctl",
            "--system",
            "--timeout=5",
            "call",
            "org.novave.Net1",
            "/org/novave/Net1",
            "org.novave.Net1",
            "ListInterfaces",
        ];
        match self.sb.run(&list) {
            Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
            // netd not running: it made nothing.
            _ => String::new(),
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let owned = self.netd_interfaces();
            let count = owned.split_whitespace().nth(1).unwrap_or("0");
            assert_eq!(count, "0", "the test made interfaces on the host: {owned}");
        }
        if std::thread::panicking() {
            let journal = self.journal();
            let tail: Vec<&str> = journal.lines().rev().take(60).collect();
            eprintln!(
                "--- {UNIT} journal (last lines) ---\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// A blocking HTTP client of the gateway: anonymous, a session (cookie and CSRF token), or an
/// API token.
#[derive(Debug, Clone)]
pub struct Client {
    /// The gateway.
    pub addr: SocketAddr,
    session: Option<(String, String)>,
    token: Option<String>,
    headers: Vec<(String, String)>,
    /// The signed-in user (`UserInfo`), Null when anonymous.
    pub user: Value,
}

/// A response.
#[derive(Debug)]
pub struct Resp {
    /// What was asked (for messages).
    pub request: String,
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: axum::http::HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Resp {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (Null when empty).
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {}", self.request, self.text()))
    }

    /// The Content-Type.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Whether the body is an RFC 9457 problem (content type and fields).
    pub fn is_problem(&self) -> bool {
        self.content_type() == "application/problem+json"
            && serde_json::from_slice::<Value>(&self.body).is_ok_and(|p| {
                p["status"] == self.status && p["detail"].as_str().is_some_and(|d| !d.is_empty())
            })
    }

    /// Asserts the status; the body as JSON (a JSON string when it is not JSON).
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}: expected {status}, got {}: {}",
            self.request,
            self.status,
            self.text()
        );
        if self.content_type().contains("json") {
            self.json()
        } else {
            Value::String(self.text())
        }
    }

    /// Asserts a refusal: `status`, with a problem-details body.
    #[track_caller]
    pub fn refused(self, status: u16) -> String {
        assert_eq!(
            self.status,
            status,
            "{}: expected {status}, got {}: {}",
            self.request,
            self.status,
            self.text()
        );
        assert!(
            self.is_problem(),
            "{}: {status} without problem details ({}): {}",
            self.request,
            self.content_type(),
            self.text()
        );
        self.json()["detail"].as_str().unwrap_or("").to_string()
    }
}

thread_local! {
    static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
}

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

impl Client {
    /// This client, with an API token instead of its session.
    pub fn with_token(&self, secret: &str) -> Client {
        Client {
            session: None,
            token: Some(secret.to_string()),
            ..self.clone()
        }
    }

    /// This client, sending `name: value` with every request.
    pub fn with_header(&self, name: &str, value: &str) -> Client {
        let mut c = self.clone();
        c.headers.push((name.to_string(), value.to_string()));
        c
    }

    /// The signed-in user's id.
    pub fn id(&self) -> i64 {
        self.user["id"].as_i64().expect("a signed-in client")
    }

    /// The signed-in user's name.
    pub fn name(&self) -> &str {
        self.user["username"].as_str().unwrap_or("-")
    }

    /// GET.
    pub fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None)
    }

    /// POST with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::POST, path, Some(body))
    }

    /// PUT with a JSON body.
    pub fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PUT, path, Some(body))
    }

    /// PATCH with a JSON body.
    pub fn patch(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PATCH, path, Some(body))
    }

    /// DELETE.
    pub fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None)
    }

    /// Any method, with an optional JSON body.
    pub fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        match body {
            Some(v) => self.raw(
                method,
                path,
                Some("application/json"),
                serde_json::to_vec(v).expect("JSON"),
            ),
            None => self.raw(method, path, None, Vec::new()),
        }
    }

    /// Any method with any body bytes and content type.
    pub fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let request = format!("{method} {path} as {}", self.name());
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string());
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        for (k, v) in self.auth_headers() {
            b = b.header(k, v);
        }
        let req = b
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_else(|e| panic!("{request}: {e}"));
        let addr = self.addr;
        let (status, headers, body) = RT
            .with(|rt| rt.block_on(exchange(addr, req)))
            .unwrap_or_else(|e| panic!("{request}: {e}"));
        Resp {
            request,
            status,
            headers,
            body,
        }
    }

    fn auth_headers(&self) -> Vec<(String, String)> {
        let mut h = self.headers.clone();
        if let Some((cookie, csrf)) = &self.session {
            h.push(("cookie".into(), format!("nova_session={cookie}")));
            h.push(("x-csrf-token".into(), csrf.clone()));
        }
        if let Some(t) = &self.token {
            h.push(("authorization".into(), format!("Bearer {t}")));
        }
        h
    }

    /// Opens a WebSocket on `path` (with `Origin: origin` if given); `Err(status)` when the
    /// gateway refuses the upgrade.
    pub fn ws(&self, path: &str, origin: Option<&str>) -> Result<Ws, u16> {
        let stream = TcpStream::connect(self.addr).expect("connect");
        self.ws_on(stream, path, origin)
    }

    /// Opens a WebSocket whose socket has a small receive buffer (a client that reads slowly
    /// fills it soon).
    pub fn ws_small_buffer(&self, path: &str) -> Ws {
        let addr = self.addr;
        let stream = RT.with(|rt| {
            rt.block_on(async {
                let s = tokio::net::TcpSocket::new_v4()?;
                s.set_recv_buffer_size(4096)?;
                s.connect(addr).await?.into_std()
            })
        });
        let stream = stream.expect("connect");
        stream.set_nonblocking(false).expect("blocking socket");
        self.ws_on(stream, path, None)
            .unwrap_or_else(|s| panic!("WebSocket {path} refused: {s}"))
    }

    fn ws_on(&self, stream: TcpStream, path: &str, origin: Option<&str>) -> Result<Ws, u16> {
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .expect("read timeout");
        let mut req = format!("ws://{}{path}", self.addr)
            .into_client_request()
            .expect("WebSocket request");
        let mut headers = self.auth_headers();
        if let Some(o) = origin {
            headers.push(("origin".into(), o.into()));
        }
        for (k, v) in headers {
            let name: axum::http::HeaderName = k.parse().expect("header name");
            req.headers_mut()
                .insert(name, HeaderValue::from_str(&v).expect("header value"));
        }
        match tungstenite::client::client(req, stream) {
            Ok((ws, _)) => Ok(ws),
            Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r))) => {
                Err(r.status().as_u16())
            }
            Err(e) => panic!("WebSocket {path}: {e}"),
        }
    }
}

async fn exchange(
    addr: SocketAddr,
    req: Request<Full<Bytes>>,
) -> Result<(u16, axum::http::HeaderMap, Bytes), String> {
    let work = async {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let conn = tokio::spawn(conn);
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        conn.abort();
        Ok((parts.status.as_u16(), parts.headers, body))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, work)
        .await
        .map_err(|_| format!("no answer within {REQUEST_TIMEOUT:?}"))?
}

/// A WebSocket client.
pub type Ws = tungstenite::WebSocket<TcpStream>;

/// What a WebSocket read gave.
#[derive(Debug, Clone, PartialEq)]
pub enum WsMsg {
    /// A text message, as JSON.
    Json(Value),
    /// The server closed (with this code, if it sent one), or the connection ended.
    Closed(Option<u16>),
}

/// The next message (pings and pongs skipped).
pub fn ws_read(ws: &mut Ws) -> WsMsg {
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                return WsMsg::Json(serde_json::from_str(&t).expect("JSON message"));
            }
            Ok(tungstenite::Message::Close(f)) => return WsMsg::Closed(f.map(|f| f.code.into())),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("no WebSocket message within {REQUEST_TIMEOUT:?}")
            }
            Err(_) => return WsMsg::Closed(None),
        }
    }
}

/// The next message, which must be JSON (not a close).
#[track_caller]
pub fn ws_json(ws: &mut Ws) -> Value {
    match ws_read(ws) {
        WsMsg::Json(v) => v,
        WsMsg::Closed(c) => panic!("WebSocket closed ({c:?}) where a message was expected"),
    }
}

// ---- labs -------------------------------------------------------------------------------------

/// A node spec of a kind this version does not run (qemu): safe in a sandbox on the host's
/// network.
pub fn qemu_node(name: &str, ethernet: u32) -> Value {
    json!({"name": name, "template": "linux", "type": "qemu", "ethernet": ethernet})
}

/// Creates an empty lab in the top folder; its id.
pub fn create_lab(c: &Client, name: &str) -> String {
    let lab = c
        .post("/api/labs", &json!({"folder": "", "name": name}))
        .expect(201);
    lab["id"].as_str().expect("lab id").to_string()
}

/// Adds nodes in one request; their ids.
pub fn add_nodes(c: &Client, lab: &str, specs: Vec<Value>) -> Vec<u32> {
    let created = c
        .post(
            &format!("/api/labs/{lab}/nodes/batch"),
            &json!({"nodes": specs}),
        )
        .expect(201);
    created
        .as_array()
        .expect("created nodes")
        .iter()
        .map(|c| c["id"].as_str().and_then(|s| s.parse().ok()).expect("id"))
        .collect()
}

/// Adds a network; its id.
pub fn add_network(c: &Client, lab: &str, name: &str) -> u32 {
    let created = c
        .post(&format!("/api/labs/{lab}/networks"), &json!({"name": name}))
        .expect(201);
    created["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("network id")
}

/// Links a node interface to a network; the link's id.
pub fn add_link(c: &Client, lab: &str, node: u32, interface: u32, net: u32) -> String {
    let created = c
        .post(
            &format!("/api/labs/{lab}/links"),
            &json!({"from": {"node_id": node, "interface_index": interface},
                    "to": {"network_id": net}}),
        )
        .expect(201);
    created["id"].as_str().expect("link id").to_string()
}

/// The gateway's snapshot of a lab (`LabSnapshot`: lab, runtime, seq).
pub fn snapshot(c: &Client, lab: &str) -> Value {
    c.get(&format!("/api/labs/{lab}")).expect(200)
}

/// Everything a refused request must leave alone, as an administrator reads it: users, folders,
/// and every lab (without its event `seq`) with its shares.
pub fn world(admin: &Client) -> Value {
    let labs = admin.get("/api/labs").expect(200);
    let labs: Vec<Value> = labs
        .as_array()
        .expect("labs")
        .iter()
        .map(|l| {
            let id = l["id"].as_str().expect("id");
            let mut snap = snapshot(admin, id);
            snap["seq"] = Value::Null;
            json!({
                "item": l,
                "snapshot": snap,
                "shares": admin.get(&format!("/api/labs/{id}/shares")).expect(200),
            })
        })
        .collect();
    json!({
        "users": admin.get("/api/users").expect(200),
        "folders": admin.get("/api/folders").expect(200),
        "labs": labs,
    })
}
