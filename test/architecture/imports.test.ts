// The architecture holds: dependencies point the way README "Layout" says, checked on every file of src/.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importViolations, importsOf, type SourceFile } from './import-rules.js';

const SRC = path.resolve(import.meta.dirname, '../../src');

async function sourceFiles(): Promise<SourceFile[]> {
  const names = (await fs.readdir(SRC, { recursive: true })).filter((name) => name.endsWith('.ts'));
  return Promise.all(
    names.map(async (name) => ({ path: name.split(path.sep).join('/'), text: await fs.readFile(path.join(SRC, name), 'utf8') })),
  );
}

describe('import rules of src/', () => {
  it('src/ breaks none of them', async () => {
    const files = await sourceFiles();
    // The rules ran over the real tree: the domain and its ports were read.
    expect(files.map((file) => file.path)).toEqual(
      expect.arrayContaining(['domain/upload-service.ts', 'domain/ports/blob-store.ts', 'runtime.ts']),
    );
    expect(importViolations(files)).toEqual([]);
  });

  it('reads every form of import: multi-line, type-only, re-export, dynamic', () => {
    const text = [
      "import type {\n  A,\n  B,\n} from '../storage/blob/x.js';",
      "export * from '../api/types.js';",
      "const lazy = await import('../runtime.js');",
      "import fs from 'node:fs';",
    ].join('\n');
    expect(importsOf({ path: 'domain/x.ts', text }).map((edge) => edge.to)).toEqual([
      'storage/blob/x.ts',
      'api/types.ts',
      'runtime.ts',
      'node:fs',
    ]);
  });

  it('catches each kind of broken rule in a small bad tree', () => {
    const bad: SourceFile[] = [
      { path: 'domain/bad.ts', text: "import type { X } from '../storage/metadata/sql-metadata-store.js';\nimport 'kysely';" },
      { path: 'domain/ports/bad.ts', text: "import type { Y } from '../../http/app.js';" },
      { path: 'http/routes/bad.ts', text: "import type { Z } from '../../storage/blob/fs-blob-store.js';" },
      { path: 'cli/bad.ts', text: "import { FsBlobStore } from '../storage/blob/fs-blob-store.js';" },
      { path: 'client/bad.ts', text: "import type { P } from '../domain/authentication.js';" },
      { path: 'storage/blob/bad.ts', text: "import type { Q } from '../../http/app.js';" },
      { path: 'api/bad.ts', text: "import type { R } from '../domain/types.js';" },
    ];
    const violations = importViolations(bad);
    expect(violations).toEqual([
      expect.stringMatching(/^domain\/bad\.ts imports storage\/metadata\/sql-metadata-store\.ts: domain\/ imports only domain\/ and api\//),
      expect.stringMatching(/^domain\/bad\.ts imports storage\/metadata\/sql-metadata-store\.ts: only the composition root/),
      expect.stringMatching(/^domain\/bad\.ts imports kysely: the domain uses no framework/),
      expect.stringMatching(/^domain\/ports\/bad\.ts imports http\/app\.ts: domain\//),
      expect.stringMatching(/^http\/routes\/bad\.ts imports storage\/blob\/fs-blob-store\.ts: http\/ reaches storage only through/),
      expect.stringMatching(/^http\/routes\/bad\.ts imports storage\/blob\/fs-blob-store\.ts: only the composition root/),
      expect.stringMatching(/^cli\/bad\.ts imports storage\/blob\/fs-blob-store\.ts: only the composition root/),
      expect.stringMatching(/^client\/bad\.ts imports domain\/authentication\.ts: the SDK/),
      expect.stringMatching(/^storage\/blob\/bad\.ts imports http\/app\.ts: storage\//),
      expect.stringMatching(/^api\/bad\.ts imports domain\/types\.ts: api\//),
    ]);
  });

  it('keeps the upload core isomorphic and the page on client/, api/ and pure domain/ modules', () => {
    const tree: SourceFile[] = [
      { path: 'client/client.ts', text: "import { request } from 'undici';" },
      { path: 'client/errors.ts', text: "import type { ErrorBody } from '../api/types.js';" },
      { path: 'domain/hashing.ts', text: "import { createHash } from 'node:crypto';" },
      { path: 'domain/pure.ts', text: "import mime from 'mime-types';" },
      { path: 'client/upload/bad.ts', text: "import { Readable } from 'node:stream';\nimport { PressCloudClient } from '../client.js';" },
      { path: 'client/upload/ok.ts', text: "import { PressCloudApiError } from '../errors.js';" },
      {
        path: 'web/bad.ts',
        text: "import { X } from '../cli/push/constants.js';\nimport { h } from '../domain/hashing.js';\nimport 'undici';",
      },
      { path: 'web/ok.ts', text: "import { p } from '../domain/pure.js';\nimport { e } from '../client/errors.js';\nimport 'mime-types';" },
    ];
    expect(importViolations(tree)).toEqual([
      expect.stringMatching(/^client\/upload\/bad\.ts imports node:stream: the upload core .* runs in browsers too/),
      expect.stringMatching(/^client\/upload\/bad\.ts imports client\/client\.ts: the upload core imports nothing bound to Node/),
      expect.stringMatching(/^web\/bad\.ts imports cli\/push\/constants\.ts: the page \(web\/\) imports only client\/, api\/ and domain\//),
      expect.stringMatching(/^web\/bad\.ts imports domain\/hashing\.ts: the page imports only modules that run in a browser/),
      expect.stringMatching(/^web\/bad\.ts imports undici: the page bundles no Node built-in/),
    ]);
    // The composition root may wire adapters; the domain may use api/ and mime-types.
    expect(
      importViolations([
        { path: 'runtime.ts', text: "import { FsBlobStore } from './storage/blob/fs-blob-store.js';" },
        { path: 'domain/ok.ts', text: "import type { Manifest } from '../api/types.js';\nimport mimeTypes from 'mime-types';" },
      ]),
    ).toEqual([]);
  });
});
