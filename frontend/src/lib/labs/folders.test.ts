import { describe, expect, it } from 'vitest';
import { buildFolderTree, fileStem, folderPathProblem, nameProblem } from './folders';

describe('folders', () => {
  it('builds a sorted tree and adds missing parents', () => {
    const t = buildFolderTree(['team/ospf', 'a', 'team', 'x/y/z', '']);
    expect(t.children.map((c) => c.path)).toEqual(['a', 'team', 'x']);
    expect(t.children[1]?.children.map((c) => c.name)).toEqual(['ospf']);
    expect(t.children[2]?.children[0]?.children[0]?.path).toBe('x/y/z');
  });
  it('checks names like the server', () => {
    expect(nameProblem('OSPF area 0')).toBeNull();
    expect(nameProblem('')).not.toBeNull();
    expect(nameProblem('.hidden')).not.toBeNull();
    expect(nameProblem(' x')).not.toBeNull();
    expect(nameProblem('a/b')).not.toBeNull();
    expect(nameProblem('x'.repeat(65))).not.toBeNull();
    expect(folderPathProblem('team/ospf')).toBeNull();
    expect(folderPathProblem('team/../x')).not.toBeNull();
    expect(folderPathProblem('a//b')).not.toBeNull();
  });
  it('takes the stem of a file name', () => {
    expect(fileStem('C:\\labs\\my lab.unl')).toBe('my lab');
    expect(fileStem('ospf.json')).toBe('ospf');
    expect(fileStem('.json')).toBe('.json');
  });
});
