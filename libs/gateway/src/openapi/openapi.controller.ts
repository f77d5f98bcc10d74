import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import { OpenApiRoutes } from './openapi.document';

@Controller()
export class OpenApiController {
  constructor(private readonly routes: OpenApiRoutes) {}

  @Get('openapi.json')
  @ApiOperation({ summary: 'This document (OpenAPI 3.1)' })
  @ApiResponse({ status: 200, description: 'The OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } })
  openapi() {
    return this.routes.get();
  }
}
