// Applies one live event (docs/events.md) to the local copy of a lab and its runtime view.
// Objects in payloads have the exact shape of the lab JSON, so they replace what we hold; every
// event applies idempotently (a snapshot may already contain it).

import type { LabDocument, LabEvent, NodeRuntime } from '../api/types';
import { isNetworkEnd, isNodeEnd } from './interfaces';

export type RuntimeMap = { [nodeId: number]: NodeRuntime };

export interface LabCopy {
  lab: LabDocument;
  runtime: RuntimeMap;
  /** The lab's name and folder (file stem and folder; not in the document). */
  name?: string;
  folder?: string;
  /** Warnings per node from `node_warning`, newest last. */
  warnings?: { [nodeId: number]: string[] };
}

/**
 * What the caller must do after an event: nothing more, re-read the lab, or leave (the lab
 * was deleted).
 */
export type ApplyResult = 'applied' | 'ignored' | 'reload' | 'deleted';

export function applyEvent(copy: LabCopy, ev: LabEvent): ApplyResult {
  const { lab } = copy;
  if (ev.lab_id !== undefined && ev.lab_id !== lab.id) return 'ignored';
  switch (ev.type) {
    case 'lab_created':
      return 'ignored';
    case 'lab_renamed':
      copy.name = ev.lab.name;
      copy.folder = ev.lab.folder;
      return 'applied';
    case 'lab_deleted':
      return 'deleted';
    case 'node_created':
    case 'node_updated':
      lab.nodes[String(ev.node.id)] = ev.node;
      return 'applied';
    case 'node_deleted': {
      const id = ev.node_id;
      delete lab.nodes[String(id)];
      delete copy.runtime[id];
      if (copy.warnings) delete copy.warnings[id];
      // The server sends link_deleted first; drop leftovers in case one was missed.
      lab.links = lab.links.filter(
        (l) =>
          !(isNodeEnd(l.from) && l.from.node_id === id) &&
          !(isNodeEnd(l.to) && l.to.node_id === id),
      );
      return 'applied';
    }
    case 'node_state': {
      const { node_id, state, unit, pid, console, interfaces, problems } = ev;
      copy.runtime[node_id] = {
        node_id,
        state,
        unit,
        pid,
        console,
        interfaces: interfaces ?? [],
        problems: problems ?? [],
      };
      if (state === 'starting' && copy.warnings) delete copy.warnings[node_id];
      return 'applied';
    }
    case 'node_warning': {
      copy.warnings ??= {};
      const list = (copy.warnings[ev.node_id] ??= []);
      list.push(ev.message);
      if (list.length > 20) list.splice(0, list.length - 20);
      return 'applied';
    }
    case 'node_wiped':
      return 'applied';
    case 'network_created':
    case 'network_updated':
      lab.networks[String(ev.network.id)] = ev.network;
      return 'applied';
    case 'network_deleted': {
      const id = ev.network_id;
      delete lab.networks[String(id)];
      lab.links = lab.links.filter(
        (l) =>
          !(isNetworkEnd(l.from) && l.from.network_id === id) &&
          !(isNetworkEnd(l.to) && l.to.network_id === id),
      );
      return 'applied';
    }
    case 'link_created':
    case 'link_updated': {
      const i = lab.links.findIndex((l) => l.id === ev.link.id);
      if (i >= 0) lab.links[i] = ev.link;
      else lab.links.push(ev.link);
      return 'applied';
    }
    case 'link_deleted':
      lab.links = lab.links.filter((l) => l.id !== ev.link_id);
      return 'applied';
    case 'layout_updated': {
      // docs/events.md first said "re-read positions"; the contract now carries them.
      if (!ev.nodes || !ev.networks) return 'reload';
      for (const [id, p] of Object.entries(ev.nodes)) {
        const n = lab.nodes[id];
        if (n) Object.assign(n, { left: p.left, top: p.top });
      }
      for (const [id, p] of Object.entries(ev.networks)) {
        const n = lab.networks[id];
        if (n) Object.assign(n, { left: p.left, top: p.top });
      }
      if (ev.viewport) lab.viewport = { ...ev.viewport };
      return 'applied';
    }
    default:
      // A type this version does not know (new within schema 1): re-read to stay correct.
      return 'reload';
  }
}
