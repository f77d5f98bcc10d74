export * from './plan';
export * from './planners';
export * from './playbooks';
export * from './supervisor.module';
export * from './supervisor.service';
export * from './task-runtime';
export * from './task-state.schema';
