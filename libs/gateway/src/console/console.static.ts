import * as fs from 'node:fs';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import express from 'express';

/**
 * The console's built files (`npm run build` writes them to dist/console) at `/console/`. Static
 * and public: the pages hold no data; every API call they make carries the user's key.
 */
export function serveConsole(app: INestApplication, dir: string): void {
  const index = path.join(dir, 'index.html');
  app.use('/console', (req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!fs.existsSync(index)) {
      res.status(404).type('text/plain').send('The console is not built: run `npm run build` (it writes dist/console).');
      return;
    }
    if (req.originalUrl === '/console') return res.redirect(301, '/console/');
    next();
  });
  app.use('/console', express.static(dir, { index: 'index.html', fallthrough: true, maxAge: '1h', setHeaders: (res, file) => file.endsWith('index.html') && res.setHeader('cache-control', 'no-cache') }));
}
