import { INestApplication } from '@nestjs/common';

/** Every route Express serves for the app, as `METHOD /path/{param}`. */
export function servedRoutes(app: INestApplication): string[] {
  type Router = { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  const express = app.getHttpAdapter().getInstance() as { router?: Router; _router?: Router };
  const router = (express.router ?? express._router)!; // Express 5 / 4
  return router.stack
    .filter((layer) => layer.route)
    .flatMap((layer) => Object.keys(layer.route!.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`));
}
