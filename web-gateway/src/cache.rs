//! Reads never wait on D-Bus: the gateway keeps a copy of every lab it serves, kept current by
//! labd's event stream (one match rule for all labs). Each lab has a ring of recent events for
//! WebSocket replay and a broadcast channel that fans events out; a `seq` gap makes the copy
//! re-read (`GetSnapshot`) and tells subscribers to resnapshot.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use futures_util::StreamExt as _;
use nova_api::{EVENT_SCHEMA_VERSION, EventMessage, EventPayload, LabEvent, LabRef, LabSnapshot};
use nova_dbus::lab::LabResult;
use tokio::sync::broadcast;

use crate::labd::Labd;

/// Events kept per lab for replay to a reconnecting client.
pub const RING: usize = 1024;
/// Messages a WebSocket subscriber may fall behind before it is dropped.
pub const FANOUT_BUFFER: usize = 1024;

/// What subscribers of one lab receive.
#[derive(Debug, Clone)]
pub enum Feed {
    /// One event: its seq and its JSON (an `EventMessage`).
    Event(u64, Arc<str>),
    /// Events were missed; take a new snapshot.
    Resnapshot,
    /// The lab was deleted.
    Deleted,
}

#[derive(Debug, Default)]
struct EntryState {
    snap: Option<Arc<LabSnapshot>>,
    ring: VecDeque<(u64, Arc<str>)>,
    last_seq: u64,
}

/// One lab's copy, ring and fan-out.
#[derive(Debug)]
pub struct LabEntry {
    state: tokio::sync::Mutex<EntryState>,
    tx: broadcast::Sender<Feed>,
}

/// Every lab's copy.
#[derive(Debug)]
pub struct LabCache {
    labd: Labd,
    index: RwLock<BTreeMap<String, LabRef>>,
    entries: Mutex<HashMap<String, Arc<LabEntry>>>,
}

impl LabCache {
    /// A cache over `labd`, with the list of labs read once.
    pub async fn new(labd: Labd) -> LabResult<Arc<LabCache>> {
        let cache = Arc::new(LabCache {
            labd,
            index: RwLock::new(BTreeMap::new()),
            entries: Mutex::new(HashMap::new()),
        });
        cache.reload_index().await?;
        Ok(cache)
    }

    /// The labd client.
    pub fn labd(&self) -> &Labd {
        &self.labd
    }

    /// Re-reads the list of labs.
    pub async fn reload_index(&self) -> LabResult<()> {
        let labs = self.labd.manager().list_labs().await?;
        let mut idx = self.index.write().expect("index");
        idx.clear();
        for l in labs {
            idx.insert(
                l.id.clone(),
                LabRef {
                    id: l.id,
                    name: l.name,
                    folder: l.folder,
                },
            );
        }
        Ok(())
    }

    /// Every lab, from memory.
    pub fn labs(&self) -> Vec<LabRef> {
        self.index
            .read()
            .expect("index")
            .values()
            .cloned()
            .collect()
    }

    /// One lab's place, from memory.
    pub fn lab_ref(&self, id: &str) -> Option<LabRef> {
        self.index.read().expect("index").get(id).cloned()
    }

    fn entry(&self, id: &str) -> Arc<LabEntry> {
        self.entries
            .lock()
            .expect("entries")
            .entry(id.to_string())
            .or_insert_with(|| {
                Arc::new(LabEntry {
                    state: tokio::sync::Mutex::new(EntryState::default()),
                    tx: broadcast::channel(FANOUT_BUFFER).0,
                })
            })
            .clone()
    }

    /// The lab's copy: from memory, read from labd the first time.
    pub async fn snapshot(&self, id: &str) -> LabResult<Arc<LabSnapshot>> {
        let entry = self.entry(id);
        let mut st = entry.state.lock().await;
        if let Some(s) = &st.snap {
            return Ok(s.clone());
        }
        let s = self.fetch(id).await?;
        st.last_seq = st.last_seq.max(s.seq);
        st.snap = Some(s.clone());
        Ok(s)
    }

    /// Re-reads the lab after a change made through this gateway, so the caller reads its own
    /// write even before labd's event arrives.
    pub async fn refresh(&self, id: &str) -> LabResult<Arc<LabSnapshot>> {
        let entry = self.entry(id);
        let mut st = entry.state.lock().await;
        let s = self.fetch(id).await?;
        if st.snap.as_ref().is_none_or(|old| old.seq <= s.seq) {
            st.snap = Some(s.clone());
        }
        Ok(st.snap.clone().unwrap_or(s))
    }

    async fn fetch(&self, id: &str) -> LabResult<Arc<LabSnapshot>> {
        let text = self.labd.lab(id).await?.get_snapshot().await?;
        let snap: LabSnapshot = serde_json::from_str(&text).map_err(|e| {
            nova_dbus::lab::LabError::Failed(format!("labd sent a snapshot we cannot read: {e}"))
        })?;
        Ok(Arc::new(snap))
    }

    /// A subscription to one lab: the receiver first (so nothing is missed), then the events
    /// after `since` still in the ring (`None` when the ring no longer reaches back that far),
    /// and the lab's copy.
    pub async fn subscribe(&self, id: &str, since: Option<u64>) -> LabResult<Subscription> {
        // The receiver before the copy: an event in between is then in both (the stream skips
        // what the copy holds, by seq); the other way round it would be in neither.
        let entry = self.entry(id);
        let rx = entry.tx.subscribe();
        let snap = self.snapshot(id).await?;
        let st = entry.state.lock().await;
        let current = st.last_seq.max(snap.seq);
        let replay = match since {
            None => Some(Vec::new()),
            Some(s) if s >= current => Some(Vec::new()),
            Some(s) => {
                let oldest = st.ring.front().map(|(q, _)| *q);
                if oldest.is_some_and(|o| o <= s + 1) {
                    Some(
                        st.ring
                            .iter()
                            .filter(|(q, _)| *q > s)
                            .map(|(q, j)| (*q, j.clone()))
                            .collect(),
                    )
                } else {
                    None
                }
            }
        };
        Ok(Subscription {
            seq: current,
            replay,
            snapshot: snap,
            rx,
        })
    }

    /// Applies one event from the bus.
    pub async fn on_event(&self, lab_id: &str, seq: u64, event: LabEvent) {
        match &event {
            LabEvent::LabCreated { lab } | LabEvent::LabRenamed { lab } => {
                self.index
                    .write()
                    .expect("index")
                    .insert(lab.id.clone(), lab.clone());
            }
            LabEvent::LabDeleted { .. } => {
                self.index.write().expect("index").remove(lab_id);
            }
            _ => {}
        }
        let entry = self.entry(lab_id);
        let mut st = entry.state.lock().await;
        let msg = EventMessage {
            lab_id: lab_id.to_string(),
            seq,
            v: EVENT_SCHEMA_VERSION,
            event,
        };
        let json: Arc<str> = serde_json::to_string(&msg).unwrap_or_default().into();
        let mut gap = false;
        if let Some(snap) = st.snap.as_mut() {
            gap = !Arc::make_mut(snap).apply(seq, &msg.event);
        }
        if gap {
            tracing::info!(LAB_ID = %lab_id, "event gap at seq {seq}: re-reading the lab");
            st.snap = self.fetch(lab_id).await.ok();
            let _ = entry.tx.send(Feed::Resnapshot);
        }
        st.last_seq = st.last_seq.max(seq);
        st.ring.push_back((seq, json.clone()));
        while st.ring.len() > RING {
            st.ring.pop_front();
        }
        let _ = entry.tx.send(Feed::Event(seq, json));
        if matches!(msg.event, LabEvent::LabDeleted { .. }) {
            let _ = entry.tx.send(Feed::Deleted);
            drop(st);
            self.entries.lock().expect("entries").remove(lab_id);
        }
    }

    /// Follows labd's Event signal until the bus connection ends.
    pub async fn follow(self: Arc<Self>) -> zbus::Result<()> {
        let mut events = self.labd.manager().receive_event().await?;
        // labd may have changed labs between the first ListLabs and the subscription.
        let _ = self.reload_index().await;
        while let Some(sig) = events.next().await {
            let Ok(args) = sig.args() else { continue };
            match EventPayload::parse(args.r#type, args.json) {
                Ok(p) => self.on_event(args.lab_id, args.seq, p.event).await,
                Err(e) => tracing::warn!(LAB_ID = %args.lab_id, "event ignored: {e}"),
            }
        }
        Ok(())
    }
}

/// What a new subscriber gets.
#[derive(Debug)]
pub struct Subscription {
    /// The lab's current seq.
    pub seq: u64,
    /// Events after `since` to send first (`None`: too far behind, resnapshot).
    pub replay: Option<Vec<(u64, Arc<str>)>>,
    /// The lab's copy.
    pub snapshot: Arc<LabSnapshot>,
    /// Live events.
    pub rx: broadcast::Receiver<Feed>,
}
