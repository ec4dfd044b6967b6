// One open lab: its document and runtime, kept current by the event stream, plus the edits
// the canvas makes that are not events of their own (positions, viewport).

import { api } from '../api';
import { errorMessage } from '../api/client';
import { CLOSE_GONE, LabEventsClient, wsUrl, type EventsStatus } from '../api/events';
import type { LabDocument, LabEvent, LabSnapshot, Position, Viewport } from '../api/types';
import { applyEvent, type LabCopy, type RuntimeMap } from './apply';

const LAYOUT_DEBOUNCE_MS = 400;
const VIEWPORT_DEBOUNCE_MS = 1500;

export class LabState {
  readonly labId: string;
  lab = $state<LabDocument | null>(null);
  runtime = $state<RuntimeMap>({});
  warnings = $state<{ [nodeId: number]: string[] }>({});
  /** File-stem name and folder, when known (lab list or lab_renamed). */
  name = $state<string | undefined>(undefined);
  folder = $state<string | undefined>(undefined);
  status = $state<EventsStatus>('connecting');
  loadError = $state<string | null>(null);
  deleted = $state(false);
  /** Why the gateway ended the event stream for good (access revoked), or null. */
  revoked = $state<string | null>(null);

  private events: LabEventsClient | null = null;
  private closed = false;
  private layout: {
    nodes: Record<string, Position>;
    networks: Record<string, Position>;
    viewport?: Viewport;
  } = { nodes: {}, networks: {} };
  private layoutTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnects = 0;

  constructor(labId: string) {
    this.labId = labId;
  }

  /** Reads the lab and follows its events. */
  async open(): Promise<void> {
    let seq: number;
    try {
      seq = await this.read();
    } catch (err) {
      this.loadError = errorMessage(err);
      return;
    }
    if (this.closed) return;
    this.events = new LabEventsClient({
      seq,
      url: (since) => wsUrl(`${api.eventsPath(this.labId)}?since=${since}`),
      onEvent: (ev) => this.apply(ev),
      onResnapshot: (snapshot) => void this.resnapshot(snapshot),
      onEnded: (code, reason) => {
        if (code === CLOSE_GONE) {
          this.deleted = true;
        } else if (reason === 'signed out') {
          this.revoked = 'You were signed out.';
          // A 401 here sends the user to the sign-in page.
          api.session.probe().catch(() => undefined);
        } else {
          this.revoked = 'Your access to this lab was revoked.';
        }
      },
      onStatus: (s, info) => {
        this.status = s;
        if (s === 'live') this.reconnects = 0;
        // A stream that keeps failing may mean the session ended: the probe sends the user to
        // the sign-in page on 401, and is harmless otherwise.
        if (s === 'reconnecting' && info.delayMs !== undefined && ++this.reconnects % 3 === 2) {
          api.session.probe().catch(() => undefined);
        }
      },
    });
    this.events.start();
  }

  close(): void {
    this.closed = true;
    this.events?.stop();
    this.events = null;
    void this.flushLayout();
  }

  private async read(): Promise<number> {
    return this.take(await api.labs.get(this.labId));
  }

  /** Replaces the copy with a snapshot; returns its seq. */
  private take(snap: LabSnapshot): number {
    this.lab = snap.lab;
    this.runtime = snap.runtime ?? {};
    if (snap.ref) {
      this.name = snap.ref.name;
      this.folder = snap.ref.folder;
    }
    this.loadError = null;
    return snap.seq;
  }

  private async resnapshot(snapshot: LabSnapshot | null): Promise<void> {
    if (snapshot) {
      this.events?.resynced(this.take(snapshot));
      return;
    }
    for (let delay = 500; !this.closed; delay = Math.min(delay * 2, 15_000)) {
      try {
        const seq = await this.read();
        this.events?.resynced(seq);
        return;
      } catch (err) {
        this.loadError = errorMessage(err);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private apply(ev: LabEvent) {
    const lab = this.lab;
    if (!lab) return;
    const copy: LabCopy = {
      lab,
      runtime: this.runtime,
      warnings: this.warnings,
      name: this.name,
      folder: this.folder,
    };
    const result = applyEvent(copy, ev);
    this.name = copy.name;
    this.folder = copy.folder;
    if (result === 'deleted') {
      this.deleted = true;
      this.events?.stop();
    } else if (result === 'reload') {
      this.events?.resync();
    }
  }

  node(id: number) {
    return this.lab?.nodes[String(id)];
  }

  network(id: number) {
    return this.lab?.networks[String(id)];
  }

  /** Moves nodes/networks here at once and on the server after a short pause. */
  move(
    nodes: Record<string, { left: number; top: number }>,
    networks: Record<string, { left: number; top: number }>,
  ) {
    const lab = this.lab;
    if (!lab) return;
    for (const [id, p] of Object.entries(nodes)) {
      const n = lab.nodes[id];
      if (n) Object.assign(n, p);
    }
    for (const [id, p] of Object.entries(networks)) {
      const n = lab.networks[id];
      if (n) Object.assign(n, p);
    }
    Object.assign(this.layout.nodes, nodes);
    Object.assign(this.layout.networks, networks);
    this.scheduleLayout(LAYOUT_DEBOUNCE_MS);
  }

  setViewport(vp: Viewport) {
    this.layout.viewport = { x: Math.round(vp.x), y: Math.round(vp.y), zoom: vp.zoom };
    this.scheduleLayout(VIEWPORT_DEBOUNCE_MS);
  }

  private scheduleLayout(ms: number) {
    if (this.layoutTimer !== null) clearTimeout(this.layoutTimer);
    this.layoutTimer = setTimeout(() => void this.flushLayout(), ms);
  }

  /** Sends the pending positions; returns an error message, or null. */
  async flushLayout(): Promise<string | null> {
    if (this.layoutTimer !== null) clearTimeout(this.layoutTimer);
    this.layoutTimer = null;
    const body = this.layout;
    const empty = (o: object) => Object.keys(o).length === 0;
    if (empty(body.nodes) && empty(body.networks) && !body.viewport) return null;
    this.layout = { nodes: {}, networks: {} };
    try {
      await api.labs.layout(this.labId, body);
      return null;
    } catch (err) {
      return errorMessage(err);
    }
  }
}
