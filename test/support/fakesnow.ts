import { FakeSnowflake, startFakeSnowflake as start } from '../../bench/lib/fakesnow';
import { venvBin } from '../setup/test-tools';

export type { FakeSnowflake };

/** fakesnow from the test tools' venv, behind the proxy the Node driver needs (bench/lib/fakesnow.ts). */
export const startFakeSnowflake = (logFile: string): Promise<FakeSnowflake> => start(logFile, venvBin('fakesnow'));
