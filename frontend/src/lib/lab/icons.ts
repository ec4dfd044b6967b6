// Which picture a node or network gets on the canvas.

import type { LabNetwork, LabNode } from '../api/types';

export type IconKind =
  'router' | 'switch' | 'firewall' | 'server' | 'host' | 'cloud' | 'bridge' | 'container';

const BY_WORD: [RegExp, IconKind][] = [
  [/firewall|fw|asa|fortigate|palo|pan-?os|srx|checkpoint|sophos|pfsense|opnsense/i, 'firewall'],
  [/switch|nexus|nxos|n9k|cat9k|arista|veos|ceos|cumulus|sonic|l2/i, 'switch'],
  [/router|frr|vyos|csr|xrv|iosv|c7200|c8000|mikrotik|vmx|junos|ios|quagga|bird/i, 'router'],
  [/server|linux|ubuntu|debian|centos|windows|win|alpine|host|pc|vpcs|desktop/i, 'server'],
  [/cloud|internet|nat/i, 'cloud'],
];

/** From the icon file (Router.png, Switch.png, …), then the template key, then the kind. */
export function nodeIcon(node: Pick<LabNode, 'icon' | 'template' | 'type'>): IconKind {
  for (const text of [node.icon, node.template]) {
    if (!text) continue;
    for (const [re, kind] of BY_WORD) if (re.test(text)) return kind;
  }
  if (node.type === 'docker') return 'container';
  if (node.type === 'linux') return 'host';
  return 'router';
}

export function networkIcon(net: Pick<LabNetwork, 'type'>): IconKind {
  return net.type === 'nat_cloud' || net.type === 'bridge_cloud' || net.type.startsWith('pnet')
    ? 'cloud'
    : 'bridge';
}

/** SVG paths (24×24 viewBox, stroked) for each icon kind. */
export const ICON_PATHS: Record<IconKind, string> = {
  router: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z M8 9h8l-2-2 M16 15H8l2 2 M9 12h6',
  switch: 'M3 7h18v10H3z M7 10h10l-2-2 M17 14H7l2 2',
  firewall: 'M3 5h18v14H3z M3 10h18 M3 14h18 M9 5v5 M15 10v4 M9 14v5',
  server: 'M5 3h14v6H5z M5 9h14v6H5z M5 15h14v6H5z M8 6h.01 M8 12h.01 M8 18h.01',
  host: 'M3 4h18v12H3z M8 20h8 M12 16v4',
  container: 'M3 8l9-5 9 5v8l-9 5-9-5z M3 8l9 5 9-5 M12 13v8',
  cloud: 'M7 18a4 4 0 0 1-.5-8A6 6 0 0 1 18 9a4.5 4.5 0 0 1-.5 9z',
  bridge: 'M4 12h16 M6 8v8 M12 8v8 M18 8v8',
};
