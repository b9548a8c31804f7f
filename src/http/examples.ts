// One consistent story for the OpenAPI document's examples: a two-file site uploaded and completed.
// The digests are real (of the bytes below), so the examples can be replayed against a server.

/** SHA-256 of `<!doctype html><title>Hello</title><h1>Hello</h1>\n` (50 bytes). */
export const INDEX_SHA256 = 'cb59a1f2bade2bd06dd15b7310b875d56e2e6438d5fd308303c231c40235d4df';
/** SHA-256 of `body{margin:0}\n` (15 bytes). */
export const STYLE_SHA256 = '6d6068180a5c710c68c8ee0e290cb9b37b3450492d3f9e3ae46083deb152fbcf';
export const MANIFEST_ID = '039bfdfc82ab2e19156633f39a7c58186b9d4e0aca66656405b3eabc24912607';
export const UPLOAD_SESSION_ID = 'us_raTVXAAWK7obysnm4XW7yQ';
const UPLOAD_TOKEN = 'pcu_VWJct3y9l0VQeYs_Uc_O9VfYMpQenKnrnZ9102m40o8';
const EXPIRES_AT = '2026-11-30T15:00:00.000Z';
const CREATED_AT = '2026-11-30T14:05:12.345Z';

const PREVIEW_URL = `http://${MANIFEST_ID.slice(0, 32)}.localhost:8080/`;
const ALIAS_URL = 'http://www.localhost:8080/';
const EARLIER_MANIFEST_ID = '6e1f7b0c2d9a4e5f8a3b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f';

const FILES = [
  { path: 'index.html', sha256: INDEX_SHA256, size: 50, mime: 'text/html' },
  { path: 'css/style.css', sha256: STYLE_SHA256, size: 15 },
];

export const EXAMPLES = {
  createSessionBody: { files: FILES, expiresInSeconds: 3600, label: 'site' },
  createdSession: {
    uploadSessionId: UPLOAD_SESSION_ID,
    uploadToken: UPLOAD_TOKEN,
    state: 'open',
    expiresAt: EXPIRES_AT,
    fileCount: 2,
    blobCount: 2,
    totalBytes: 65,
    missing: [STYLE_SHA256],
  },
  sessionStatus: {
    uploadSessionId: UPLOAD_SESSION_ID,
    state: 'completed',
    expiresAt: EXPIRES_AT,
    fileCount: 2,
    blobCount: 2,
    totalBytes: 65,
    missing: [],
    manifestId: MANIFEST_ID,
  },
  putBlob: {
    uploadSessionId: UPLOAD_SESSION_ID,
    alreadyPresent: false,
    blob: { sha256: STYLE_SHA256, size: 15, mime: 'text/css', r2Key: `sha256/6d/60/${STYLE_SHA256}` },
  },
  putBlobs: {
    uploadSessionId: UPLOAD_SESSION_ID,
    results: [
      {
        sha256: STYLE_SHA256,
        status: 200,
        alreadyPresent: false,
        blob: { sha256: STYLE_SHA256, size: 15, mime: 'text/css', r2Key: `sha256/6d/60/${STYLE_SHA256}` },
      },
      { sha256: INDEX_SHA256, status: 400, error: 'digest_mismatch', message: 'The bytes hash to 3a7b…, not to the sha256 in the path.' },
    ],
  },
  completedSession: {
    uploadSessionId: UPLOAD_SESSION_ID,
    state: 'completed',
    manifest: { manifestId: MANIFEST_ID, fileCount: 2, totalBytes: 65, createdAt: CREATED_AT, label: 'site', previewUrl: PREVIEW_URL },
  },
  manifest: {
    manifestId: MANIFEST_ID,
    createdAt: CREATED_AT,
    fileCount: 2,
    totalBytes: 65,
    label: 'site',
    previewUrl: PREVIEW_URL,
    files: FILES,
  },
  manifestList: {
    manifests: [{ manifestId: MANIFEST_ID, createdAt: CREATED_AT, fileCount: 2, totalBytes: 65, label: 'site', previewUrl: PREVIEW_URL }],
    nextCursor: 'WyIyMDI2LTExLTMwVDE0OjA1OjEyLjM0NVoiLCIwMzliZmRmYyJd',
  },
  putAliasBody: { manifestId: MANIFEST_ID },
  aliasSet: { name: 'www', manifestId: MANIFEST_ID, url: ALIAS_URL, previewUrl: PREVIEW_URL, updatedAt: CREATED_AT },
  aliasList: { aliases: [{ name: 'www', manifestId: MANIFEST_ID, url: ALIAS_URL, updatedAt: CREATED_AT }] },
  alias: {
    name: 'www',
    manifestId: MANIFEST_ID,
    url: ALIAS_URL,
    updatedAt: CREATED_AT,
    history: [
      { manifestId: MANIFEST_ID, at: CREATED_AT },
      { manifestId: EARLIER_MANIFEST_ID, at: EXPIRES_AT.replace('15:00', '09:30') },
    ],
  },
  error: { error: 'session_not_found', message: 'No such upload session.' },
  healthz: { status: 'ok' },
  readyz: { status: 'ready', database: 'sqlite', blobStore: 'fs' },
  metrics:
    '# HELP presscloud_blobs_stored_total Blobs newly written to the blob store\n' +
    '# TYPE presscloud_blobs_stored_total counter\n' +
    'presscloud_blobs_stored_total 2\n',
} as const;
