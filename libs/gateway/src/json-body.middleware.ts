import { Injectable, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { InjectConfig, PhoenixConfig } from '@phoenix/config';
import { GatewayError, GatewayErrorCode } from './errors/gateway.exception';

export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

/**
 * JSON body parsing with a size limit whose failures reach the error filter as typed errors
 * (413 / 400 with a JSON body) instead of Express's HTML pages. Keeps the raw bytes for
 * signature checks (webhooks).
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: express.RequestHandler;

  constructor(@InjectConfig() config: PhoenixConfig) {
    this.parse = express.json({
      limit: config.gateway.maxBodyBytes,
      type: ['application/json', 'application/*+json'],
      verify: (req, _res, buf) => {
        (req as RawBodyRequest).rawBody = buf;
      },
    });
    this.limit = config.gateway.maxBodyBytes;
  }

  private readonly limit: number;

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.parse(req, res, (err?: unknown) => {
        if (!err) return resolve();
        const type = (err as { type?: string }).type;
        if (type === 'entity.too.large') {
          return reject(new GatewayError(GatewayErrorCode.PayloadTooLarge, `request body exceeds ${this.limit} bytes`));
        }
        if (type === 'entity.parse.failed') {
          return reject(new GatewayError(GatewayErrorCode.BadRequest, `request body is not valid JSON: ${(err as Error).message}`));
        }
        reject(new GatewayError(GatewayErrorCode.BadRequest, `unreadable request body (${type ?? 'unknown'})`));
      });
    });
    next();
  }
}
