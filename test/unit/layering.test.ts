import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const sources = join(root, 'function/src');

/**
 * The import rule of docs/architecture.md, from the top (the handler) down. A module may import
 * a module of any layer below its own. Within one layer only files of the same folder (actions/,
 * steps/) may import each other, and never in a circle. A folder entry ends with "/".
 */
const LAYERS: readonly (readonly string[])[] = [
  ['index.ts'],
  ['environment.ts'],
  ['rotation.ts'],
  ['actions/', 'steps/'],
  ['discovery.ts', 'fleet.ts'],
  ['instances.ts', 'replicaWait.ts', 'userClone.ts'],
  ['passwordSetter.ts', 'topology.ts'],
  ['database.ts'],
  ['provision.ts', 'administrator.ts'],
  ['events.ts', 'candidates.ts', 'databaseErrors.ts', 'passwordStatements.ts', 'grants.ts', 'userNames.ts'],
  ['staging.ts', 'topic.ts'],
  ['logger.ts'],
  ['config.ts'],
  ['servedSecrets.ts', 'awsEndpoints.ts'],
  ['password.ts', 'version.ts', 'variables.ts'],
  ['errors.ts', 'text.ts', 'protocol.ts'],
];

/** Packages that only these modules may import: one place talks to each outside system. */
const PACKAGE_OWNERS: Record<string, readonly string[]> = {
  // environment.ts creates the client; every command goes through SecretStaging.
  '@aws-sdk/client-secrets-manager': ['staging.ts', 'environment.ts'],
  '@aws-sdk/client-sns': ['topic.ts', 'environment.ts'],
  mysql2: ['database.ts'],
  'mysql2/promise': ['database.ts'],
};

type Graph = Map<string, string[]>;

/** Every import and re-export specifier of a source file, static or dynamic. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns)
    for (const match of source.matchAll(pattern)) found.push(match[1] as string);
  return found;
}

/** Module (path under function/src) -> what it imports: other modules by path, packages by name. */
function importGraph(): Graph {
  const files = readdirSync(sources, { recursive: true, encoding: 'utf8' }).filter((name) =>
    name.endsWith('.ts'),
  );
  const graph: Graph = new Map();
  for (const file of files) {
    const module = file.split('\\').join('/');
    const imports = specifiers(readFileSync(join(sources, file), 'utf8')).map((specifier) =>
      specifier.startsWith('.')
        ? relative(sources, resolve(dirname(join(sources, file)), specifier))
            .split('\\')
            .join('/')
        : `package:${specifier}`,
    );
    graph.set(module, imports);
  }
  return graph;
}

function folderOf(module: string): string {
  const folder = posix.dirname(module);
  return folder === '.' ? '' : `${folder}/`;
}

/** The layer of a module (0 is the top), or undefined when the table does not place it. */
function layerOf(module: string): number | undefined {
  const index = LAYERS.findIndex((layer) =>
    layer.some((entry) => (entry.endsWith('/') ? module.startsWith(entry) : module === entry)),
  );
  return index < 0 ? undefined : index;
}

/** Every import the rule forbids, as "importer -> imported (why)". */
function violations(graph: Graph): string[] {
  const found: string[] = [];
  for (const [module, imports] of graph) {
    const own = layerOf(module);
    for (const target of imports) {
      if (target.startsWith('package:')) continue;
      const theirs = layerOf(target);
      if (own === undefined || theirs === undefined) continue;
      if (theirs < own) found.push(`${module} -> ${target} (imports a layer above its own)`);
      // Beside it: same layer, and not two files of one folder.
      if (theirs === own && (folderOf(module) === '' || folderOf(module) !== folderOf(target))) {
        found.push(`${module} -> ${target} (imports a module beside it in its layer)`);
      }
    }
  }
  return found;
}

/** An import circle, as the modules along it, or undefined. */
function findCycle(graph: Graph): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (module: string): string[] | undefined => {
    if (path.includes(module)) return [...path.slice(path.indexOf(module)), module];
    if (done.has(module)) return undefined;
    path.push(module);
    for (const target of graph.get(module) ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(module);
    return undefined;
  };
  for (const module of graph.keys()) {
    const cycle = visit(module);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The layer table of docs/architecture.md: its rows, each a list of the modules in backquotes. */
function documentedLayers(): string[][] {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The import rule'));
  return section
    .split('\n')
    .filter((line) => /^\|\s*\d+\s*\|/.test(line))
    .map((line) => [...(line.split('|')[2] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1] as string));
}

describe('the import rule of function/src', () => {
  const graph = importGraph();

  it('places every module of function/src in a layer', () => {
    // act
    const unplaced = [...graph.keys()].filter((module) => layerOf(module) === undefined);

    // assess
    expect(graph.size).toBeGreaterThan(20);
    expect(unplaced).toEqual([]);
  });

  it('has no module import one of a layer above it or beside it', () => {
    // act
    const found = violations(graph);

    // assess
    expect(found).toEqual([]);
  });

  it('has no import circle', () => {
    // act
    const cycle = findCycle(graph);

    // assess
    expect(cycle).toBeUndefined();
  });

  it('imports nothing from outside function/src but packages', () => {
    // act
    const outside = [...graph].flatMap(([module, imports]) =>
      imports.filter((target) => target.startsWith('../')).map((target) => `${module} -> ${target}`),
    );

    // assess
    expect(outside).toEqual([]);
  });

  it('talks to Secrets Manager, SNS and the databases from one module each', () => {
    // act
    const strays = [...graph].flatMap(([module, imports]) =>
      imports
        .filter((target) => target.startsWith('package:'))
        .map((target) => target.slice('package:'.length))
        .filter((name) => PACKAGE_OWNERS[name] !== undefined && !PACKAGE_OWNERS[name]?.includes(module))
        .map((name) => `${module} -> ${name}`),
    );

    // assess
    expect(strays).toEqual([]);
  });

  it('is the rule docs/architecture.md states, layer by layer', () => {
    // act
    const documented = documentedLayers();

    // assess
    expect(documented).toEqual(LAYERS.map((layer) => [...layer]));
  });
});

describe('the import rule checker', () => {
  it('reports a back edge, a sideways import and a circle in a made-up graph', () => {
    // prepare
    const graph: Graph = new Map([
      ['instances.ts', ['passwordSetter.ts', 'candidates.ts']],
      ['passwordSetter.ts', ['instances.ts']],
      ['actions/heal.ts', ['steps/rollback.ts', 'actions/work.ts']],
      ['events.ts', ['candidates.ts']],
    ]);

    // act
    const found = violations(graph);
    const cycle = findCycle(graph);

    // assess
    expect(found).toEqual([
      'passwordSetter.ts -> instances.ts (imports a layer above its own)',
      'actions/heal.ts -> steps/rollback.ts (imports a module beside it in its layer)',
      'events.ts -> candidates.ts (imports a module beside it in its layer)',
    ]);
    expect(cycle).toEqual(['instances.ts', 'passwordSetter.ts', 'instances.ts']);
  });
});
