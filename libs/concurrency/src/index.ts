export * from './keyed-serial-queue';
