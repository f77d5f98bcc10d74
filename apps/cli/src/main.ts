import { runCli } from './cli';

void runCli(process.argv);
