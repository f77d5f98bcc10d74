import { runCli } from './cli';

// Exit once the command is done (after stdout drains), whatever timers client libraries keep.
void runCli(process.argv).then(() => process.stdout.write('', () => process.exit()));
