import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

const VERSION = '0.1.0';

@Controller()
export class OpenApiController {
  private readonly document = buildOpenApiDocument(VERSION);

  @Get('openapi.json')
  openapi() {
    return this.document;
  }
}
