//! Prometheus metrics (`GET /metrics`, text format 0.0.4): API latency per route, WebSocket
//! clients, console sessions; lab and node counts are read from the lab copies when scraped.
//! Counting is a few atomic adds and one short lock per request.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The gateway's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// By (method, route template, status class).
    requests: Mutex<BTreeMap<(String, &'static str, u16), Histogram>>,
    ws_clients: AtomicI64,
    consoles: AtomicI64,
    consoles_opened: AtomicU64,
}

/// Decrements a gauge when dropped (a WebSocket client or console session that ended).
#[derive(Debug)]
pub struct GaugeGuard<'a>(&'a AtomicI64);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Records one API request.
    pub fn observe(&self, method: &str, route: &'static str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let mut map = self.requests.lock().expect("metrics");
        let h = map
            .entry((method.to_string(), route, status / 100 * 100))
            .or_default();
        h.count += 1;
        h.sum += secs;
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.counts[i] += 1;
            }
        }
    }

    /// Counts an event WebSocket client while the guard lives.
    pub fn ws_client(&self) -> GaugeGuard<'_> {
        self.ws_clients.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(&self.ws_clients)
    }

    /// Counts a console session while the guard lives.
    pub fn console_session(&self) -> GaugeGuard<'_> {
        self.consoles_opened.fetch_add(1, Ordering::Relaxed);
        self.consoles.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(&self.consoles)
    }

    /// The exposition text: these counters plus the lab and node counts given.
    pub fn render(&self, labs: u32, nodes: &BTreeMap<String, BTreeMap<String, u32>>) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(out, "# HELP nova_ve_labs Labs known to labd.");
        let _ = writeln!(out, "# TYPE nova_ve_labs gauge");
        let _ = writeln!(out, "nova_ve_labs {labs}");
        let _ = writeln!(out, "# HELP nova_ve_nodes Nodes by kind and state.");
        let _ = writeln!(out, "# TYPE nova_ve_nodes gauge");
        for (kind, states) in nodes {
            for (state, n) in states {
                let _ = writeln!(
                    out,
                    "nova_ve_nodes{{kind=\"{kind}\",state=\"{state}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP nova_ve_websocket_clients Open lab event WebSockets."
        );
        let _ = writeln!(out, "# TYPE nova_ve_websocket_clients gauge");
        let _ = writeln!(
            out,
            "nova_ve_websocket_clients {}",
            self.ws_clients.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP nova_ve_console_sessions Open node consoles.");
        let _ = writeln!(out, "# TYPE nova_ve_console_sessions gauge");
        let _ = writeln!(
            out,
            "nova_ve_console_sessions {}",
            self.consoles.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP nova_ve_console_sessions_opened_total Node consoles opened."
        );
        let _ = writeln!(out, "# TYPE nova_ve_console_sessions_opened_total counter");
        let _ = writeln!(
            out,
            "nova_ve_console_sessions_opened_total {}",
            self.consoles_opened.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP nova_ve_http_request_duration_seconds API request latency by route."
        );
        let _ = writeln!(
            out,
            "# TYPE nova_ve_http_request_duration_seconds histogram"
        );
        let map = self.requests.lock().expect("metrics").clone();
        for ((method, route, class), h) in &map {
            let labels = format!(
                "method=\"{method}\",route=\"{route}\",status=\"{}xx\"",
                class / 100
            );
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "nova_ve_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "nova_ve_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "nova_ve_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "nova_ve_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_histograms_and_gauges() {
        let m = Metrics::default();
        m.observe("GET", "/api/labs/{id}", 200, Duration::from_micros(700));
        m.observe("GET", "/api/labs/{id}", 204, Duration::from_millis(30));
        let _c = m.console_session();
        {
            let _w = m.ws_client();
        }
        let mut nodes = BTreeMap::new();
        nodes.insert(
            "linux".to_string(),
            BTreeMap::from([("running".to_string(), 3)]),
        );
        let text = m.render(2, &nodes);
        let l = "method=\"GET\",route=\"/api/labs/{id}\",status=\"2xx\"";
        for want in [
            "nova_ve_labs 2".to_string(),
            "nova_ve_nodes{kind=\"linux\",state=\"running\"} 3".to_string(),
            "nova_ve_console_sessions 1".to_string(),
            "nova_ve_websocket_clients 0".to_string(),
            format!("nova_ve_http_request_duration_seconds_bucket{{{l},le=\"0.0005\"}} 0"),
            format!("nova_ve_http_request_duration_seconds_bucket{{{l},le=\"0.001\"}} 1"),
            format!("nova_ve_http_request_duration_seconds_bucket{{{l},le=\"0.05\"}} 2"),
            format!("nova_ve_http_request_duration_seconds_count{{{l}}} 2"),
        ] {
            assert!(text.contains(&want), "{want} in\n{text}");
        }
    }
}
