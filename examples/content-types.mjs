/** Content types by file extension, for the example's static server and the browser tests' (test/browser/support.ts). */
export const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.md': 'text/plain; charset=utf-8',
  '.pem': 'text/plain; charset=utf-8',
};
