// Folder paths ("team/ospf", "" = top) as a tree, and the checks the server will apply.

export interface FolderNode {
  path: string;
  name: string;
  children: FolderNode[];
}

/** The tree of every folder in `paths` (parents are added when only a child is listed). */
export function buildFolderTree(paths: Iterable<string>): FolderNode {
  const root: FolderNode = { path: '', name: 'All labs', children: [] };
  const byPath = new Map<string, FolderNode>([['', root]]);
  const ensure = (path: string): FolderNode => {
    const found = byPath.get(path);
    if (found) return found;
    const cut = path.lastIndexOf('/');
    const parent = ensure(cut < 0 ? '' : path.slice(0, cut));
    const node: FolderNode = { path, name: path.slice(cut + 1), children: [] };
    parent.children.push(node);
    byPath.set(path, node);
    return node;
  };
  for (const p of paths) {
    const clean = p
      .split('/')
      .filter((s) => s !== '')
      .join('/');
    if (clean !== '') ensure(clean);
  }
  const sort = (n: FolderNode) => {
    n.children.sort((a, b) => a.name.localeCompare(b.name));
    n.children.forEach(sort);
  };
  sort(root);
  return root;
}

/** A reason the lab or folder name would be refused (lab-format.md), or null. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'A name is needed.';
  if ([...name].length > 64) return 'At most 64 characters.';
  if (new TextEncoder().encode(name).length > 200) return 'At most 200 bytes.';
  if (name.startsWith('.')) return 'A name cannot start with a dot.';
  if (/^\s|\s$/.test(name)) return 'A name cannot start or end with a space.';
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f\u007f]/.test(name))
    return 'No slashes, backslashes or control characters.';
  return null;
}

/** Like nameProblem, for each segment of a folder path (at most 16 levels). */
export function folderPathProblem(path: string): string | null {
  const parts = path.split('/');
  if (parts.length > 16) return 'At most 16 levels of folders.';
  for (const p of parts) {
    if (p === '..') return 'A folder cannot be called “..”.';
    const problem = nameProblem(p);
    if (problem) return `“${p}”: ${problem}`;
  }
  return null;
}

/** The file name without its extension, as a default lab name. */
export function fileStem(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '');
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
