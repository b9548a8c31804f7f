// /docs: the rendered reference, under the product's name and mark, reading its spec from /openapi.json (the
// address a user should copy) rather than the plugin's own /docs/json.
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';

/** The page's icon (src/web/icon.svg) beside the product's name: the mark a user knows from the upload page. */
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 172 32"><rect width="32" height="32" rx="8" fill="#4f46e5"/>' +
  '<path d="M10.5 22.5h11.25a4.75 4.75 0 0 0 .6-9.46 6.25 6.25 0 0 0-12.1 1.7 3.9 3.9 0 0 0 .25 7.76z" fill="#fff"/>' +
  '<path d="M16 20v-6.5m-3 3 3-3 3 3" fill="none" stroke="#4f46e5" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>' +
  '<text x="40" y="23" font-family="system-ui, sans-serif" font-size="20" font-weight="600" fill="#fff">PressCloud</text></svg>';

export const DOCS_TITLE = 'PressCloud API reference';

export function docsUiOptions(): FastifySwaggerUiOptions {
  return {
    routePrefix: '/docs',
    theme: { title: DOCS_TITLE },
    logo: { type: 'image/svg+xml', content: LOGO_SVG, href: '/docs', target: '_self' },
    // With `urls`, Swagger UI loads and shows this address instead of the plugin's ./json.
    uiConfig: { urls: [{ url: '/openapi.json', name: 'PressCloud API (/openapi.json)' }] } as FastifySwaggerUiOptions['uiConfig'],
  };
}
