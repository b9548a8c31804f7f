// A small real site to publish and render: pages in nested directories linking each other relatively, a
// stylesheet, a script, images, a 404.html, _redirects and _headers; and a page that tries to reach the
// browser page's token from the site's origin.
import fs from 'node:fs/promises';
import path from 'node:path';

/** A valid 1×1 PNG. */
const PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

export const SITE_COLOR = 'rgb(18, 52, 86)';

const page = (title: string, depth: string, body: string) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="stylesheet" href="${depth}css/site.css">
<script defer src="${depth}js/site.js"></script>
</head>
<body>
<h1>${title}</h1>
${body}
</body>
</html>
`;

export const PUBLISHED_SITE: Record<string, string | Buffer> = {
  'index.html': page(
    'Home',
    '',
    '<nav><a id="to-docs" href="docs/">Docs</a> <a id="to-about" href="about">About</a></nav>\n<img id="logo" src="img/logo.svg" alt="logo" width="40" height="40">\n<img id="pixel" src="img/pixel.png" alt="" width="4" height="4">',
  ),
  'about.html': page('About', '', '<p>About this site.</p><a id="home" href="./">Home</a>'),
  'docs/index.html': page('Docs', '../', '<a id="to-guide" href="guide">Guide</a> <a id="up" href="../">Up</a>'),
  'docs/guide.html': page('Guide', '../', '<img id="guide-pixel" src="../img/pixel.png" alt="" width="4" height="4">'),
  'css/site.css': `h1 { color: ${SITE_COLOR}; }\nbody { font-family: sans-serif; margin: 2rem; }\n`,
  'js/site.js': "document.documentElement.dataset.scriptRan = 'yes';\n",
  'img/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="18" fill="#123456"/></svg>\n',
  'img/pixel.png': PIXEL_PNG,
  '404.html': page('Lost', '/', '<p id="lost">This page does not exist.</p>'),
  _redirects: '/old-about /about 301\n/app/* /docs/ 200\nthis line is not a rule\n',
  _headers: '/*\n  X-Frame-Options: DENY\n  X-Site-Header: from-headers-file\n',
  // Tries what a hostile upload would: the token in sessionStorage, and the API with the page's credentials.
  'steal.html': `<!doctype html><meta charset="utf-8"><title>steal</title>
<script>
(async () => {
  const found = { storage: Object.keys(sessionStorage).map((key) => [key, sessionStorage.getItem(key)]) };
  try {
    const answer = await fetch('http://presscloud.test:' + location.port + '/v1/manifests', { credentials: 'include' });
    found.api = 'answered ' + answer.status + ' ' + (await answer.text()).slice(0, 60);
  } catch (err) {
    found.api = 'blocked';
  }
  const frame = document.createElement('iframe');
  frame.src = 'http://presscloud.test:' + location.port + '/';
  document.body.append(frame);
  await new Promise((resolve) => frame.addEventListener('load', resolve));
  try {
    found.frame = String(frame.contentWindow.sessionStorage.length);
  } catch (err) {
    found.frame = 'blocked';
  }
  document.title = JSON.stringify(found);
})();
</script>
`,
};

export async function writePublishedSite(root: string): Promise<void> {
  for (const [name, content] of Object.entries(PUBLISHED_SITE)) {
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fs.writeFile(path.join(root, name), content);
  }
}
