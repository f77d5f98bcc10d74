/** Injection tokens of the observability module (own file: the controller needs them too). */
export const PHOENIX_LOGGER = Symbol('PHOENIX_LOGGER');
export const APP_NAME = Symbol('APP_NAME');
