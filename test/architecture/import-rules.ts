// The dependency rules of src/ (README "Layout"): which folder may import which. Imports are read with
// TypeScript's own pre-parser, so multi-line, type-only, re-exports and dynamic import() all count.
import path from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Relative to src/, with forward slashes: `domain/upload-service.ts`. */
  readonly path: string;
  readonly text: string;
}

export interface ImportEdge {
  readonly from: string;
  /** A path relative to src/ for our own modules; the bare specifier for packages and node: builtins. */
  readonly to: string;
  readonly isPackage: boolean;
}

/** Wiring adapters to ports happens here and nowhere else. */
const COMPOSITION_ROOT = new Set(['runtime.ts', 'server.ts']);
const ROOT_NAMES = [...COMPOSITION_ROOT].join(', ');
/** Packages the domain may use: pure helpers, never a framework, a driver or an SDK. */
const DOMAIN_PACKAGES = new Set(['mime-types', 'hash-wasm']);

export function importsOf(file: SourceFile): ImportEdge[] {
  const { importedFiles } = ts.preProcessFile(file.text, true, true);
  return importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith('.')) return { from: file.path, to: fileName, isPackage: true };
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), fileName)).replace(/\.js$/, '.ts');
    return { from: file.path, to: resolved, isPackage: false };
  });
}

/** The first folder under src/ (`domain`, `http`, …), or the file's own name for files at the top. */
export function layerOf(srcPath: string): string {
  const slash = srcPath.indexOf('/');
  return slash === -1 ? srcPath : srcPath.slice(0, slash);
}

/** Packages the page may bundle: pure helpers that run in a browser. */
const WEB_PACKAGES = new Set(['mime-types', 'ignore', 'hash-wasm']);

/** The upload core, written once for Node and browsers: it may use only what both have (fetch, web streams). */
const isIsomorphic = (srcPath: string) => srcPath.startsWith('client/upload/');

/** Files that reach a Node built-in or a package, directly or through our own imports: the page cannot bundle them. */
function nodeBound(files: readonly SourceFile[]): Set<string> {
  const edges = files.flatMap(importsOf);
  const bound = new Set(edges.filter((edge) => edge.isPackage && !WEB_PACKAGES.has(edge.to)).map((edge) => edge.from));
  for (let grew = true; grew; ) {
    grew = false;
    for (const edge of edges) {
      if (!edge.isPackage && bound.has(edge.to) && !bound.has(edge.from)) {
        bound.add(edge.from);
        grew = true;
      }
    }
  }
  return bound;
}

/** Every broken rule, one sentence each; empty when the tree obeys them. */
export function importViolations(files: readonly SourceFile[]): string[] {
  const violations: string[] = [];
  const bound = nodeBound(files);
  for (const edge of files.flatMap(importsOf)) {
    const from = layerOf(edge.from);
    const broken = (rule: string) => violations.push(`${edge.from} imports ${edge.to}: ${rule}`);
    if (edge.isPackage) {
      if (isIsomorphic(edge.from)) broken('the upload core (client/upload/) runs in browsers too: no Node built-in, no package');
      if (from === 'web' && !WEB_PACKAGES.has(edge.to))
        broken('the page bundles no Node built-in and only browser packages (mime-types, ignore, hash-wasm)');
      if (edge.to.startsWith('node:')) continue;
      if (from === 'domain' && !DOMAIN_PACKAGES.has(edge.to)) broken('the domain uses no framework, driver or SDK');
      if (from === 'api') broken('the API types depend on nothing');
      continue;
    }
    const to = layerOf(edge.to);
    if (isIsomorphic(edge.from) && !isIsomorphic(edge.to) && bound.has(edge.to)) broken('the upload core imports nothing bound to Node');
    if (from === 'web' && bound.has(edge.to)) broken('the page imports only modules that run in a browser');
    if (from === to) continue;
    const http = from === 'http' && (to === 'storage' || to === 'cli' || COMPOSITION_ROOT.has(to));
    if (from === 'domain' && to !== 'api') broken('domain/ imports only domain/ and api/');
    if (from === 'api') broken('api/ imports only api/');
    if (from === 'client' && to !== 'api') broken('the SDK (client/) imports only client/ and api/');
    if (from === 'web' && to !== 'client' && to !== 'api' && to !== 'domain')
      broken('the page (web/) imports only client/, api/ and domain/');
    if (http) broken('http/ reaches storage only through the domain ports');
    if (from === 'storage' && to !== 'domain' && to !== 'api')
      broken('storage/ implements the domain ports, importing nothing else of ours');
    if (to === 'storage' && !COMPOSITION_ROOT.has(from)) broken(`only the composition root (${ROOT_NAMES}) wires adapters`);
  }
  return violations;
}
