import { PhoenixConfig } from '@phoenix/config';

export type BusConfigSlice = PhoenixConfig['bus'];
