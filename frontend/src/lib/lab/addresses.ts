// The interface addresses of a linux node, as its extras carry them (daemons/labd/src/linux.rs):
// `addresses` `{"eth0": ["10.0.1.10/24"]}` and, for hosts, `default_gateway` `"10.0.1.1"`.
// labd checks them again; these checks only give an early, precise message.

import type { JsonValue, LabNode } from '../api/types';

type Extras = { [key in string]: JsonValue };

/** What the address form edits: one text per interface (addresses separated by spaces or
 * commas) and the default gateway ('' = none). */
export interface AddressForm {
  interfaces: string[];
  gateway: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]+$/i;

/** An IPv4 or IPv6 address (IPv6 loosely: hex digits and colons, at least two of them). */
export function isIp(text: string): boolean {
  if (IPV4.test(text)) return true;
  return IPV6.test(text) && text.includes(':') && (text.match(/:/g)?.length ?? 0) >= 2;
}

/** `address/prefix`, the prefix within the family's length. */
export function isCidr(text: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m || !m[1] || !m[2] || !isIp(m[1])) return false;
  const len = Number(m[2]);
  return len <= (m[1].includes(':') ? 128 : 32);
}

/** The addresses written in one interface's field. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

function stringList(v: JsonValue | undefined): string[] {
  return Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : [];
}

/** The form for a node: interfaces `eth0 … eth<ethernet-1>`. */
export function addressFormOf(node: Pick<LabNode, 'ethernet' | 'extras'>): AddressForm {
  const extras = node.extras ?? {};
  const raw = extras['addresses'];
  const addrs = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
  const gw = extras['default_gateway'];
  return {
    interfaces: Array.from({ length: node.ethernet }, (_, i) =>
      stringList(addrs[`eth${i}`]).join(', '),
    ),
    gateway: typeof gw === 'string' ? gw : '',
  };
}

/** Whether two forms say the same. */
export function sameForm(a: AddressForm, b: AddressForm): boolean {
  return (
    a.gateway.trim() === b.gateway.trim() &&
    a.interfaces.length === b.interfaces.length &&
    a.interfaces.every(
      (t, i) => splitAddresses(t).join(',') === splitAddresses(b.interfaces[i] ?? '').join(','),
    )
  );
}

/**
 * The node's extras with the form's addresses and gateway (the other keys kept: FRR
 * configuration, daemons, profile), or the first problem found. `withGateway` false: the
 * gateway is left as it was (routers have none).
 */
export function extrasWithAddresses(
  extras: Extras | undefined,
  form: AddressForm,
  withGateway: boolean,
): { extras: Extras } | { error: string } {
  const out: Extras = { ...(extras ?? {}) };
  const addresses: { [name: string]: JsonValue } = {};
  for (const [i, text] of form.interfaces.entries()) {
    const list = splitAddresses(text);
    const bad = list.find((a) => !isCidr(a));
    if (bad !== undefined) return { error: `eth${i}: “${bad}” is not an address/prefix` };
    if (list.length > 0) addresses[`eth${i}`] = list;
  }
  if (Object.keys(addresses).length > 0) out['addresses'] = addresses;
  else delete out['addresses'];
  if (withGateway) {
    const gw = form.gateway.trim();
    if (gw !== '' && !isIp(gw)) return { error: `“${gw}” is not an IP address` };
    if (gw !== '') out['default_gateway'] = gw;
    else delete out['default_gateway'];
  }
  return { extras: out };
}
